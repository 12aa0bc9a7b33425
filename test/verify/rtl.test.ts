import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect } from 'vitest';
import { readBuild } from '../../src/emit/build-dir.js';
import { libraryContext } from '../../src/golden/parallel.js';
import { predictCycles } from '../../src/hw/cycles.js';
import { planAccelerator } from '../../src/hw/plan.js';
import { quantizeSample, referenceBuffers } from '../../src/hw/reference.js';
import { scheduleAccelerator } from '../../src/hw/schedule.js';
import { loadDatasetFor } from '../../src/cli/dataset-options.js';
import { sizeOf } from '../../src/ir/types.js';
import { buildModel, runModel } from '../../src/verify/verilator.js';
import { REPO, runCliAsync } from '../helpers/cli.js';
import { bindThreeTiles } from '../helpers/hw-models.js';
import { tempDir } from '../helpers/tmp.js';
import { testWithTool } from '../helpers/tools.js';

interface VerifyJson {
  count: number;
  mismatches: number;
  cycle_mismatches: number;
  cycles: number;
  predicted_cycles: number;
  top1?: number;
  sim_cycles_per_second: number;
  first_mismatch?: { inference: number; layer?: string; step?: number };
  layer_mismatches?: number;
  trace?: string;
}

const EXAMPLES = [
  { name: 'lenet', onnx: 'examples/lenet5-mnist/model.onnx', lanes: [4, 8] },
  { name: 'mlp', onnx: 'examples/mlp-mnist/model.onnx', lanes: [3, 8] },
] as const;

describe('Verilator verification of the examples', () => {
  const dir = tempDir();
  const irs = new Map<string, string>();
  beforeAll(async () => {
    await Promise.all(EXAMPLES.map(async (e) => {
      const q = join(dir, `${e.name}-q`);
      const r = await runCliAsync(['quantize', join(REPO, e.onnx), '-o', q, '--calib', '64', '--eval-limit', '10']);
      if (r.code !== 0) throw new Error(r.stderr);
      irs.set(`${e.name}-exact`, q);
      bindThreeTiles(q, join(dir, `${e.name}-approx`));
      irs.set(`${e.name}-approx`, join(dir, `${e.name}-approx`));
    }));
  }, 180_000);

  const built = new Map<string, string>();
  for (const e of EXAMPLES)
    for (const binding of ['exact', 'approx'] as const)
      for (const lanes of e.lanes) {
        testWithTool('verilator', `${e.name}, ${binding === 'exact' ? 'exact' : 'three tiles: netlist, table, exact'}, ${lanes} lanes: 50 inputs bit for bit and cycle for cycle`, async () => {
          const build = join(dir, `${e.name}-${binding}-${lanes}`);
          const emit = await runCliAsync(['emit', 'verilog', irs.get(`${e.name}-${binding}`)!, '-o', build, '--lanes', String(lanes)]);
          expect(emit.code, emit.stderr).toBe(0);
          const rtl = readFileSync(join(build, 'verilator.f'), 'utf8').split('\n').filter((l) => l.startsWith('rtl/'));
          const lint = spawnSync('verilator', ['--lint-only', '-Wall', '--top-module', 'adequate_top', ...rtl], { cwd: build, encoding: 'utf8' });
          expect(lint.stderr, 'verilator --lint-only -Wall').toBe('');
          const r = await runCliAsync(['verify', build, '--count', '50', '--json']);
          expect(r.code, r.stderr).toBe(0);
          const j = JSON.parse(r.stdout) as VerifyJson;
          expect([j.count, j.mismatches, j.cycle_mismatches]).toEqual([50, 0, 0]);
          expect(j.cycles).toBe(j.predicted_cycles);
          expect(j.top1).toBeGreaterThan(binding === 'exact' ? 0.9 : 0.5);
          built.set(`${e.name}-${binding}-${lanes}`, build);
        }, 400_000);
      }

  testWithTool('verilator', 'random output back-pressure (m_axis_tready low half the time) gives the same outputs, only later', async () => {
    const build = built.get('lenet-exact-4');
    expect(build, 'the lenet exact 4-lane test ran first').toBeDefined();
    const { graph, irDir } = readBuild(build!, 'verilog');
    const plan = planAccelerator(graph);
    const data = loadDatasetFor(irDir, { limit: 4 }, graph.inputs[0]!.shape);
    const per = sizeOf(plan.hostInput.shape);
    const inputs = [0, 1, 2, 3].map((i) => quantizeSample(plan, data.inputs.data.subarray(i * per, (i + 1) * per) as Float32Array));
    const model = await buildModel(build!, 'plain');
    expect(model.cached).toBe(true);
    const run = await runModel(build!, model, inputs.map((t) => t.data), plan.output.size, tempDir(), { backpressure: 50, seed: 3 });
    const predicted = predictCycles(scheduleAccelerator(plan, 4)).total;
    run.results.forEach((r, i) => {
      expect(Array.from(r.outputs)).toEqual(Array.from(referenceBuffers(plan, inputs[i]!, libraryContext(undefined)).get(plan.output.name)!.data));
      expect(r.cycles).toBeGreaterThan(predicted);
    });
  }, 300_000);

  testWithTool('verilator', 'a corrupted weight ROM: exit code 3, the mismatches counted, the first differing layer named; --layers and --trace', async () => {
    const source = built.get('mlp-exact-8');
    expect(source, 'the mlp exact 8-lane test ran first').toBeDefined();
    const build = join(dir, 'mlp-corrupt');
    cpSync(source!, build, { recursive: true });
    // Flip one bit of every weight word of the second dense layer (step 1).
    const rom = join(build, 'rtl/mem/w_s1.hex');
    writeFileSync(rom, readFileSync(rom, 'utf8').split('\n').map((w) => (w ? (BigInt('0x' + w) ^ 4n).toString(16).padStart(w.length, '0') : w)).join('\n'));
    const r = await runCliAsync(['verify', build, '--count', '6', '--json']);
    expect(r.code).toBe(3);
    const j = JSON.parse(r.stdout) as VerifyJson;
    expect(j.mismatches).toBeGreaterThan(0);
    expect(j.first_mismatch?.layer).toBe('/logits/net/net.2/Gemm');
    const text = await runCliAsync(['verify', build, '--count', '3', '--layers', '--trace']);
    expect(text.code).toBe(3);
    expect(text.stdout).toMatch(/first differing layer of inference 0: '\/logits\/net\/net.2\/Gemm' \(step 1\)/);
    expect(text.stdout).toMatch(/^FAIL/m);
    expect(existsSync(join(build, 'trace.fst')) && statSync(join(build, 'trace.fst')).size > 1000).toBe(true);
  }, 400_000);
});
