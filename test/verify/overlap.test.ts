/** Overlapped steps in Verilator (emit verilog --overlap, src/hw/overlap.ts): a LeNet-5-like model (SIMD and window
 *  tap lanes, so replicas change owners too) and a residual block on two tiles (tile after tile, the add after the
 *  conv that writes one of its inputs), each through `verify --layers` (every layer bit for bit against the golden
 *  model, every inference cycle for cycle against the overlapped cycle model) and lint; and the port trace of the
 *  LeNet-like build (+define+ADEQUATE_PORTS): every step starts in the cycle the model's timeline says, every read
 *  address the model's address walks use is on its memory's port in the cycle they say, and the writes are exactly
 *  the model's (memory, address, cycle) triples. */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect } from 'vitest';
import { loadIr, saveIr } from '../../src/ir/serialize.js';
import { bindMultipliers, type LayerBinding } from '../../src/passes/bind-multipliers.js';
import { planAccelerator } from '../../src/hw/plan.js';
import { scheduleAccelerator, type Schedule } from '../../src/hw/schedule.js';
import { predictCycles } from '../../src/hw/cycles.js';
import { forEachRead, forEachWrite } from '../../src/hw/overlap.js';
import { uniformFolding } from '../../src/hw/fold.js';
import { buildModel, runModel } from '../../src/verify/verilator.js';
import { layoutOnnx, quantizedModel } from '../helpers/hw-models.js';
import { lenetLikeOnnx, residualOnnx } from '../helpers/overlap-models.js';
import { tempDir } from '../helpers/tmp.js';
import { testWithTool } from '../helpers/tools.js';
import { verilogPasses } from '../helpers/verilog-passes.js';

const work = tempDir();

/** Compares a port trace of one inference with the model: step starts, read ports, writes. */
function checkPorts(stdout: string, s: Schedule, minReads: number): void {
  const lines = stdout.split('\n').map((l) => l.trim().split(' '));
  const go = new Map<number, number>(), reads = new Map<string, number>(), writes = new Set<string>();
  for (const [tag, a, b, c, d] of lines) {
    if (tag === 'ADQ_GO' && !go.has(Number(a))) go.set(Number(a), Number(b));
    if (tag === 'ADQ_R') reads.set(`${a}/${b}/${d}`, Number(c));
    if (tag === 'ADQ_W') writes.add(`${a}/${b}/${c}`);
  }
  const over = predictCycles(s, { overlap: true }).overlap!;
  const t0 = go.get(0)!;
  expect(s.steps.map((st) => go.get(st.index)! - t0)).toEqual(over.starts);
  const expected = new Set<string>();
  let checkedReads = 0;
  for (const st of s.steps) {
    const start = go.get(st.index)!;
    forEachRead(st, (m, a, c, port) => {
      const at = reads.get(`${m}/${port}/${start + c}`);
      if (at !== a) expect.fail(`step ${st.index} (${st.layer.name}) reads memory ${m} port ${port} at ${a} in its cycle ${c}; the port holds ${at}`);
      checkedReads++;
    });
    forEachWrite(st, (m, a, c) => expected.add(`${m}/${a}/${start + c}`));
  }
  expect(checkedReads).toBeGreaterThan(minReads);
  expect([...writes].sort()).toEqual([...expected].sort());
}

describe('overlapped steps in Verilator', () => {
  let lenet: { ir: string; inputs: string };
  let residual: { ir: string; inputs: string };
  let layout: { ir: string; inputs: string };
  beforeAll(async () => {
    layout = await quantizedModel(join(work, 'layout'), layoutOnnx(), [1, 4, 6, 6], 4);
    lenet = await quantizedModel(join(work, 'lenet'), lenetLikeOnnx(), [1, 1, 14, 14], 4);
    const res = await quantizedModel(join(work, 'res'), residualOnnx(), [1, 2, 8, 8], 4);
    // Exact multipliers on two tiles, alternating: conv, conv and the 1x1 conv, dense run tile after tile.
    const g = loadIr(res.ir);
    const layers = new Map<string, LayerBinding>();
    let i = 0;
    for (const n of g.nodes) if (n.op === 'QConv' || n.op === 'QGemm') layers.set(n.name, { multiplier: undefined, tile: i++ % 2 });
    const ir = join(work, 'res', 'two-tiles');
    mkdirSync(ir, { recursive: true });
    saveIr(ir, bindMultipliers.run(g, { layers }).graph);
    residual = { ir, inputs: res.inputs };
  }, 240_000);

  testWithTool('verilator', 'LeNet-5-like at P=2, S=3, W=2: every layer bit-exact, cycle-exact, faster than serial; the port trace follows the address walks', async () => {
    const flags = ['--pe', '2', '--simd', '3', '--window-taps', '2', '--overlap'];
    const j = await verilogPasses(lenet.ir, lenet.inputs, join(work, 'b-lenet'), flags, 3);
    const plan = planAccelerator(loadIr(lenet.ir));
    const s = scheduleAccelerator(plan, uniformFolding(plan, 2, 3, 2));
    const serial = predictCycles(s).total, over = predictCycles(s, { overlap: true });
    expect(j.predicted_cycles).toBe(over.total);
    expect(over.total).toBeLessThan(serial);
    expect(over.overlap!.offsets.filter((o) => !o.serial).length).toBeGreaterThanOrEqual(3);
    const build = join(work, 'b-lenet');
    const model = await buildModel(build, 'ports');
    const codes = Array.from({ length: plan.input.size }, (_, k) => (k * 37) % 200);
    const run = await runModel(build, model, [codes], plan.output.size, mkdtempSync(join(work, 'ports-')), {});
    checkPorts(run.stdout, s, 1000);
  }, 600_000);

  testWithTool('verilator', 'a residual block on two tiles (4 lanes, W=2): every layer bit-exact, cycle-exact, faster than serial', async () => {
    const j = await verilogPasses(residual.ir, residual.inputs, join(work, 'b-res'), ['--lanes', '4', '--window-taps', '2', '--overlap'], 3);
    const plan = planAccelerator(loadIr(residual.ir));
    expect(plan.tiles.length).toBe(2);
    const s = scheduleAccelerator(plan, uniformFolding(plan, 4, 1, 2));
    const over = predictCycles(s, { overlap: true });
    expect(j.predicted_cycles).toBe(over.total);
    // conv -> conv on the other tile, the 1x1 conv -> the add, the add -> the pool overlap.
    expect(over.overlap!.offsets.map((o) => o.reason)).toEqual(['raw', 'raw', 'raw', 'raw', 'raw']);
    expect(over.total).toBeLessThan(predictCycles(s).total);
  }, 600_000);

  testWithTool('verilator', 'the layout model (copy steps, a broadcast, an independent pair, Concat offsets): the port trace follows the copy and elementwise walks', async () => {
    const build = join(work, 'b-layout');
    const { runCliAsync } = await import('../helpers/cli.js');
    const e = await runCliAsync(['emit', 'verilog', layout.ir, '-o', build, '--lanes', '3', '--overlap']);
    expect(e.code, e.stderr).toBe(0);
    const plan = planAccelerator(loadIr(layout.ir));
    const s = scheduleAccelerator(plan, 3);
    const over = predictCycles(s, { overlap: true }).overlap!;
    expect(new Set(over.offsets.map((o) => o.reason))).toEqual(new Set(['raw', 'independent', 'same-unit']));
    expect(s.steps.some((st) => st.unit === 'copy') && s.steps.some((st) => st.unit === 'eltwise')).toBe(true);
    const model = await buildModel(build, 'ports');
    const codes = Array.from({ length: plan.input.size }, (_, k) => (k * 53) % 251);
    const run = await runModel(build, model, [codes], plan.output.size, mkdtempSync(join(work, 'ports-')), {});
    checkPorts(run.stdout, s, 500);
  }, 600_000);
});
