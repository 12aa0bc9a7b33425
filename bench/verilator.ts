/** Verilator: build time of the LeNet-5 accelerator (exact, 4 lanes; a fresh build folder, Verilator's runtime objects
 *  already in the per-user cache as they are after the first build on a machine, and also the full build without
 *  them) and its simulation speed in cycles per second over 20 inferences. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { emitVerilog } from '../src/emit/verilog/index.js';
import { planAccelerator } from '../src/hw/plan.js';
import { quantizeSample } from '../src/hw/reference.js';
import { predictCycles } from '../src/hw/cycles.js';
import { scheduleAccelerator } from '../src/hw/schedule.js';
import { sizeOf } from '../src/ir/types.js';
import { buildModel, runModel } from '../src/verify/verilator.js';
import { quantizedLenet } from './fixtures.js';
import type { Benchmark } from './types.js';

export const verilatorBench: Benchmark = {
  name: 'verilator',
  summary: 'Verilator: LeNet-5 accelerator (exact, 4 lanes) build seconds and simulated cycles per second (20 inferences)',
  async run() {
    const { graph, samples } = quantizedLenet(20);
    const plan = planAccelerator(graph);
    const dir = mkdtempSync(join(tmpdir(), 'adequate-bench-verilator-'));
    try {
      const build = async (name: string) => {
        const d = join(dir, name);
        await emitVerilog(plan, { lanes: 4, part: 'xc7z020clg400-1', clockNs: 10, multiplierImpl: 'auto' }, d);
        return d;
      };
      const first = await buildModel(await build('a'), 'plain'); // fills the runtime cache if it was empty
      const b = await build('b');
      const model = await buildModel(b, 'plain');
      const per = sizeOf(plan.hostInput.shape);
      const inputs = Array.from({ length: 20 }, (_, i) => quantizeSample(plan, samples.inputs.data.subarray(i * per, (i + 1) * per) as Float32Array).data);
      const run = await runModel(b, model, inputs, plan.output.size, dir);
      return {
        build_seconds: +model.seconds.toFixed(1),
        first_build_seconds: +first.seconds.toFixed(1),
        cycles_per_inference: predictCycles(scheduleAccelerator(plan, 4)).total,
        sim_cycles_per_second: Math.round(run.simCycles / run.simSeconds),
        inferences_per_second: +(20 / run.simSeconds).toFixed(1),
      };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
