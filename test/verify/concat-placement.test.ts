/** Concat placement in the Verilog accelerator (src/hw/concat-placement.ts, src/hw/schedule.ts): a placed input's
 *  producer writes it at its offset inside the Concat's memory, its readers read it there, and the Concat copies
 *  only the other inputs or is no step at all. Each model goes through `emit verilog` + `verify --layers` in
 *  Verilator (references: the integer golden model, bit for bit in every layer, and the cycle model, cycle for
 *  cycle); the cycles saved are checked against the schedule without placement (every Concat a copy step). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { loadIr } from '../../src/ir/serialize.js';
import { planAccelerator, type AcceleratorPlan } from '../../src/hw/plan.js';
import { scheduleAccelerator, type Schedule } from '../../src/hw/schedule.js';
import { COPY_DRAIN, predictCycles } from '../../src/hw/cycles.js';
import { concatCopiedOnnx, concatSharedOnnx, denseChainOnnx, fireOnnx, quantizedModel } from '../helpers/hw-models.js';
import { tempDir } from '../helpers/tmp.js';
import { testWithTool } from '../helpers/tools.js';
import { verilogPasses as verilogRoundTrip } from '../helpers/verilog-passes.js';

const work = tempDir();

/** Emits, lints and verifies a build; returns verify's JSON and the top's text. */
async function verilogPasses(ir: string, inputs: string, name: string, flags: readonly string[], count: number): Promise<{ j: Record<string, unknown>; top: string; build: string }> {
  const build = join(work, name);
  const j = await verilogRoundTrip(ir, inputs, build, flags, count);
  return { j, top: readFileSync(join(build, 'rtl', 'adequate_top.v'), 'utf8'), build };
}

const concatSteps = (s: Schedule) => s.steps.filter((st) => st.layer.node.op === 'Concat').map((st) => [st.layer.name, st.channels]);
const placedOf = (s: Schedule, buffer: string) => s.memories.find((m) => m.buffer.name === buffer)!.placed;
const sizeOf = (plan: AcceleratorPlan, b: string) => plan.buffers.get(b)!.size;

describe('a fire module (squeeze 1x1, expand 1x1 and 3x3, channel Concat): both inputs placed', () => {
  let model: { ir: string; inputs: string };
  let plan: AcceleratorPlan;
  beforeAll(async () => {
    model = await quantizedModel(join(work, 'fire'), fireOnnx(), [1, 3, 6, 6], 20);
    plan = planAccelerator(loadIr(model.ir));
  }, 120_000);

  test('the schedule: no Concat step, both expand outputs inside the Concat memory, one copy of 288 elements fewer', () => {
    const s = scheduleAccelerator(plan, 4), before = scheduleAccelerator(plan, 4, undefined, false);
    expect(concatSteps(s)).toEqual([]);
    expect(concatSteps(before)).toEqual([['Concat_4', 288]]);
    expect(placedOf(s, 'cat')).toEqual([{ buffer: 'e1', at: 0 }, { buffer: 'e3', at: 144 }]);
    const e3 = s.steps.find((st) => st.buffer === 'e3')!;
    expect([e3.output, e3.outputBase]).toEqual([s.memoryOf.get('cat'), 144]);
    expect(s.memories.find((m) => m.buffer.name === 'cat')!.size).toBe(sizeOf(plan, 'cat'));
    expect(predictCycles(before).total - predictCycles(s).total).toBe(288 + COPY_DRAIN);
  });

  testWithTool('verilator', 'Verilator, 4 lanes: 10 inputs bit for bit in every layer, cycle for cycle, fewer cycles than the copy step', async () => {
    const { j, top, build } = await verilogPasses(model.ir, model.inputs, 'fire-v4', ['--lanes', '4'], 10);
    expect((j.layers as { op: string }[]).map((l) => l.op)).not.toContain('Concat');
    expect(j.cycles).toBe(predictCycles(scheduleAccelerator(plan, 4, undefined, false)).total - 288 - COPY_DRAIN);
    expect(top).toMatch(/\/\/ Concats that are no step \(every input was written in place inside the Concat's output\): Concat_4\./);
    expect(top).toMatch(/\/\/ {3}mem\d+: 288 x 8 bits( signed)?, cat; placed inside it: e1 at 0, e3 at 144/);
    expect(top).toMatch(/bus_waddr = t0_waddr \+ \d+'d144;/);
    const manifest = JSON.parse(readFileSync(join(build, 'build.json'), 'utf8')) as { memories: { buffers: string[]; placed: unknown[]; words: number }[] };
    expect(manifest.memories.find((m) => m.buffers.includes('cat'))).toMatchObject({ words: 288, placed: [{ buffer: 'e1', at: 0 }, { buffer: 'e3', at: 144 }] });
  }, 400_000);
});

describe('partly placed Concats: an input two Concats read, placed inputs read by other layers', () => {
  let model: { ir: string; inputs: string };
  let plan: AcceleratorPlan;
  beforeAll(async () => {
    model = await quantizedModel(join(work, 'shared'), concatSharedOnnx(), [1, 3, 6, 6], 20);
    plan = planAccelerator(loadIr(model.ir));
  }, 120_000);

  test('the schedule: e copied into both Concats, m1 and m2 placed, read at their offsets, the last Concat no step', () => {
    const ops = loadIr(model.ir).nodes.map((n) => `${n.op}(${n.inputs.join(',')})`);
    // The model as the test means it: no rescale in front of the channel Concats (one scale).
    expect(ops).toContain('Concat(e,m1)');
    expect(ops).toContain('Concat(m2,e)');
    const s = scheduleAccelerator(plan, 4), before = scheduleAccelerator(plan, 4, undefined, false);
    expect(concatSteps(s)).toEqual([['Concat_4', 144], ['Concat_6', 144]]);
    expect(concatSteps(before)).toEqual([['Concat_4', 288], ['Concat_6', 288], ['Concat_14', 20]]);
    expect(placedOf(s, 'cat1')).toEqual([{ buffer: 'm1', at: 144 }]);
    expect(placedOf(s, 'cat2')).toEqual([{ buffer: 'm2', at: 0 }]);
    // m1's readers: the pool making m2 and the conv making d read it at offset 144 of cat1's memory.
    for (const out of ['m2', 'd']) {
      const st = s.steps.find((x) => x.buffer === out)!;
      expect([st.inputs[0], st.inputBases[0]]).toEqual([s.memoryOf.get('cat1'), 144]);
    }
    // The copy steps read only e (port 0; cat2's second input, renumbered) and write it at its block: cat1's first
    // (element 0), cat2's second (element 144).
    for (const st of s.steps.filter((x) => x.layer.node.op === 'Concat')) expect([st.inputs, st.segments!.map((sg) => sg.port)]).toEqual([[s.memoryOf.get('e')], [0]]);
    expect(s.steps.filter((x) => x.layer.node.op === 'Concat').map((st) => st.segments!.map((sg) => sg.wbase))).toEqual([[0], [144]]);
    expect(predictCycles(before).total - predictCycles(s).total).toBe(144 + 144 + 20 + COPY_DRAIN);
  });

  testWithTool('verilator', 'Verilator, 3 lanes: 10 inputs bit for bit in every layer and cycle for cycle', async () => {
    const { j } = await verilogPasses(model.ir, model.inputs, 'shared-v3', ['--lanes', '3'], 10);
    expect((j.layers as { op: string; unit: string }[]).filter((l) => l.unit === 'copy').map((l) => l.op)).toEqual(['Concat', 'Concat']);
  }, 400_000);

  testWithTool('verilator', 'Verilator, 4 lanes x 2 SIMD, 3 window taps: the replicas of the Concat memory read at the placed offset', async () => {
    const s = scheduleAccelerator(plan, { tiles: plan.tiles.map(() => ({ pe: 4, simd: 2 })), window: 3 });
    expect(s.memories[s.memoryOf.get('cat1')!]!.ports).toBe(3);
    const { top } = await verilogPasses(model.ir, model.inputs, 'shared-v4s2', ['--lanes', '4', '--simd', '2', '--window-taps', '3'], 10);
    expect(top).toMatch(/mem\d+_raddr2 = rd_addr_r2 \+ mem\d+_rbase;/);
  }, 400_000);
});

describe('Concats that stay copy steps: a non-contiguous axis, and two placed inputs one step would read at two offsets', () => {
  let model: { ir: string; inputs: string };
  let plan: AcceleratorPlan;
  beforeAll(async () => {
    model = await quantizedModel(join(work, 'copied'), concatCopiedOnnx(), [1, 3, 6, 6], 20);
    plan = planAccelerator(loadIr(model.ir));
  }, 120_000);

  test('the schedule: the height Concat and the Concat of c and p copy everything; each step reads a memory at one offset', () => {
    expect(loadIr(model.ir).nodes.map((n) => `${n.op}(${n.inputs.join(',')})`)).toContain('Concat(c,p)');
    const s = scheduleAccelerator(plan, 3), before = scheduleAccelerator(plan, 3, undefined, false);
    expect(concatSteps(s)).toEqual([['Concat_2', 288], ['Concat_5', 576]]);
    expect(concatSteps(before)).toEqual([['Concat_2', 288], ['Concat_5', 576], ['Concat_11', 12]]);
    expect(placedOf(s, 'h')).toEqual([]);
    expect(placedOf(s, 'z')).toEqual([]);
    for (const st of s.steps) {
      const bases = new Map<number, Set<number>>();
      st.inputs.forEach((m, i) => bases.set(m, (bases.get(m) ?? new Set()).add(st.inputBases[i]!)));
      for (const b of bases.values()) expect(b.size).toBe(1);
    }
  });

  testWithTool('verilator', 'Verilator, 3 lanes: 10 inputs bit for bit in every layer and cycle for cycle', async () => {
    const { j } = await verilogPasses(model.ir, model.inputs, 'copied-v3', ['--lanes', '3'], 10);
    expect((j.layers as { op: string; unit: string }[]).filter((l) => l.unit === 'copy').map((l) => l.op)).toEqual(['Concat', 'Concat']);
  }, 400_000);
});

describe('a chain of Concats ending the network (DenseNet-style): placed at composed offsets, or copied into a wide-beat output', () => {
  let model: { ir: string; inputs: string };
  let plan: AcceleratorPlan;
  beforeAll(async () => {
    model = await quantizedModel(join(work, 'dense'), denseChainOnnx(), [1, 2, 4, 4], 20);
    plan = planAccelerator(loadIr(model.ir));
  }, 120_000);

  test('the schedule: one memory holds the whole chain; with 64-bit output beats the output Concat copies', () => {
    expect(loadIr(model.ir).nodes.map((n) => `${n.op}(${n.inputs.join(',')})`)).toEqual(expect.arrayContaining(['Concat(x0,c1)', 'Concat(cat1,c2)']));
    const s = scheduleAccelerator(plan, 4), before = scheduleAccelerator(plan, 4, undefined, false);
    expect(concatSteps(s)).toEqual([]);
    expect(placedOf(s, 'y.q')).toEqual([{ buffer: 'x0', at: 0 }, { buffer: 'c1', at: 64 }, { buffer: 'cat1', at: 0 }, { buffer: 'c2', at: 128 }]);
    // The last step, c2's pool, reads c1 (offset 64) from the memory it writes at offset 128 and that is streamed.
    const c2 = s.steps.find((st) => st.buffer === 'c2')!;
    expect([c2.index, c2.inputs[0], c2.inputBases[0], c2.output, c2.outputBase]).toEqual([s.steps.length - 1, s.output, 64, s.output, 128]);
    expect(predictCycles(before).total - predictCycles(s).total).toBe(128 + COPY_DRAIN + 192 + COPY_DRAIN);
    const wide = scheduleAccelerator(plan, 4, 64);
    expect(wide.memories[wide.output]!.interleave).toBe(2);
    expect(concatSteps(wide)).toEqual([['Concat_4', 192]]);
    expect(placedOf(wide, 'cat1')).toEqual([{ buffer: 'x0', at: 0 }, { buffer: 'c1', at: 64 }]);
    expect(wide.memories[wide.output]!.placed).toEqual([]);
  });

  testWithTool('verilator', 'Verilator, 4 lanes: 10 inputs bit for bit in every layer and cycle for cycle, no Concat step', async () => {
    // The output memory's read offset applies while the last step runs, not while the memory streams out from 0.
    const { j } = await verilogPasses(model.ir, model.inputs, 'dense-v4', ['--lanes', '4'], 10);
    expect((j.layers as { op: string }[]).map((l) => l.op)).toEqual(['QConv', 'MaxPool', 'MaxPool']);
  }, 400_000);

  testWithTool('verilator', 'Verilator, 4 lanes, 64-bit beats: the output Concat copies into the interleaved output memory', async () => {
    const { j } = await verilogPasses(model.ir, model.inputs, 'dense-v4-w64', ['--lanes', '4', '--stream-width', '64'], 10);
    expect((j.layers as { op: string }[]).map((l) => l.op)).toEqual(['QConv', 'MaxPool', 'MaxPool', 'Concat']);
  }, 400_000);
});
