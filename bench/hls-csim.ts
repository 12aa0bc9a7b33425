/** C simulation speed of the HLS C++ of the quantized LeNet-5 (issue 8: under 1 ms per image): the build is emitted
 *  with 4 lanes and an exact tile, compiled with g++ -O2 (adequate verify --hls), and run on 1,000 MNIST test images;
 *  the figure is the processor time spent in adequate_top per image, as the testbench measures it. Also the whole
 *  verification's wall time (golden-model references included) and its bit-exactness. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeBuildBase } from '../src/emit/build-dir.js';
import { emitHls } from '../src/emit/hls/index.js';
import { planAccelerator } from '../src/hw/plan.js';
import { verifyHls } from '../src/verify/hls.js';
import type { Benchmark } from './types.js';
import { quantizedLenet } from './fixtures.js';

const IMAGES = 1000;

export const hlsCsim: Benchmark = {
  name: 'hls-csim',
  summary: 'HLS C simulation of LeNet-5 (g++ -O2, exact tile, 4 lanes): ms per image in adequate_top',
  async run() {
    const { graph, samples } = quantizedLenet(IMAGES);
    const plan = planAccelerator(graph);
    const build = mkdtempSync(join(tmpdir(), 'adequate-bench-hls-'));
    try {
      const manifest = { kind: 'hls' as const, source: 'bench', model: plan.name, lanes: 4, options: {} };
      writeBuildBase(build, manifest, plan.graph);
      emitHls(plan, { lanes: 4, part: 'xc7z020clg400-1', clockNs: 10, multiplierImpl: 'auto' }, build);
      await verifyHls({ build, manifest, graph: plan.graph, data: samples, count: 1, layers: false, trace: false }); // compiles
      const t0 = performance.now();
      const r = await verifyHls({ build, manifest, graph: plan.graph, data: samples, count: IMAGES, layers: false, trace: false });
      const wall = (performance.now() - t0) / 1000;
      return {
        images: IMAGES,
        ms_per_image_csim: r.json.ms_per_inference as number,
        mismatches: r.json.mismatches as number,
        top1_csim: r.json.top1 as number,
        verify_wall_seconds: Number(wall.toFixed(2)),
      };
    } finally {
      rmSync(build, { recursive: true, force: true });
    }
  },
};
