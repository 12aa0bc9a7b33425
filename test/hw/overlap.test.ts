/** Overlapped steps (src/hw/overlap.ts): the start offset of each step after the previous one, against a brute-force
 *  cycle-by-cycle check of every address (each candidate offset simulated: does every read of the producer's memory
 *  see the producer's last write of that address?), on the adjacent step pairs of three small models at several
 *  foldings; a hazard worked by hand (a dense layer on another tile after the conv that writes its input); the
 *  structural rules (same unit, a memory both read); and the overlapped timeline of the cycle model. */
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { loadIr } from '../../src/ir/serialize.js';
import { planAccelerator, type AcceleratorPlan } from '../../src/hw/plan.js';
import { scheduleAccelerator, type Schedule, type Step } from '../../src/hw/schedule.js';
import { predictCycles, stepCycles } from '../../src/hw/cycles.js';
import { forEachRead, forEachWrite, overlapTimeline, rawOffset, stepOffset, walkAgrees } from '../../src/hw/overlap.js';
import { uniformFolding } from '../../src/hw/fold.js';
import { solveFoldPlan } from '../../src/hw/fold-plan.js';
import { quantizedModel, quantizedZoo } from '../helpers/hw-models.js';
import { lenetLikeOnnx, residualOnnx, convDenseOnnx } from '../helpers/overlap-models.js';
import { tempDir } from '../helpers/tmp.js';

/** Simulates L started `o` cycles after E, cycle by cycle (a cycle's reads before its writes land): does every
 *  read L makes of an address E writes return E's last write of it? */
function safeAt(e: Step, l: Step, o: number): boolean {
  const writes: [number, number][] = [], reads: [number, number][] = [];
  forEachWrite(e, (m, a, c) => m === e.output && writes.push([a, c]));
  forEachRead(l, (m, a, c) => m === e.output && reads.push([a, o + c]));
  const total = new Map<number, number>();
  for (const [a] of writes) total.set(a, (total.get(a) ?? 0) + 1);
  const horizon = Math.max(0, ...writes.map(([, c]) => c), ...reads.map(([, c]) => c)) + 1;
  const writesAt = Array.from({ length: horizon }, () => [] as number[]), readsAt = Array.from({ length: horizon }, () => [] as number[]);
  for (const [a, c] of writes) writesAt[c]!.push(a);
  for (const [a, c] of reads) readsAt[c]!.push(a);
  const landed = new Map<number, number>();
  for (let t = 0; t < horizon; t++) {
    for (const a of readsAt[t]!) if (total.has(a) && landed.get(a) !== total.get(a)) return false;
    for (const a of writesAt[t]!) landed.set(a, (landed.get(a) ?? 0) + 1);
  }
  return true;
}

const pairs = (s: Schedule) => s.steps.slice(1).map((l, i) => [s.steps[i]!, l] as const);

describe('overlap offsets', () => {
  const dir = tempDir();
  const plans: Record<string, AcceleratorPlan> = {};
  beforeAll(async () => {
    plans.lenet = planAccelerator(loadIr((await quantizedModel(join(dir, 'lenet'), lenetLikeOnnx(), [1, 1, 14, 14], 4)).ir));
    plans.residual = planAccelerator(loadIr((await quantizedModel(join(dir, 'res'), residualOnnx(), [1, 2, 8, 8], 4)).ir));
    plans.zoo = planAccelerator(loadIr((await quantizedZoo(join(dir, 'zoo'), 4)).ir));
    plans.convDense = planAccelerator(loadIr((await quantizedModel(join(dir, 'cd'), convDenseOnnx(), [1, 1, 6, 6], 4)).ir));
  }, 240_000);

  test('the RAW offset of every adjacent pair: the brute-force per-address simulation passes at it and fails one cycle earlier (3 models x 4 foldings)', () => {
    let checked = 0, overlapped = 0;
    for (const name of ['lenet', 'residual', 'zoo']) {
      const plan = plans[name]!;
      for (const [pe, simd, window] of [[1, 1, 1], [4, 1, 1], [2, 3, 2], [3, 5, 4]] as const) {
        const s = scheduleAccelerator(plan, uniformFolding(plan, pe, simd, window));
        for (const [e, l] of pairs(s)) {
          const ce = stepCycles(e), off = stepOffset(s, e, l, ce, stepCycles(l));
          if (!l.inputs.includes(e.output)) continue;
          // The offset is safe and one cycle less is not (a later start is always safe: reads only move later).
          const raw = rawOffset(s, e, l), what = `${name} ${pe}x${simd} W${window}: ${e.layer.name} -> ${l.layer.name} at ${raw}`;
          expect(safeAt(e, l, raw), what).toBe(true);
          if (raw > 1) expect(safeAt(e, l, raw - 1), what).toBe(false);
          if (off.reason === 'raw') expect(off.offset, what).toBe(Math.min(raw, ce));
          checked++;
          if (!off.serial) overlapped++;
        }
      }
    }
    expect(checked).toBeGreaterThan(30);
    expect(overlapped).toBeGreaterThan(10);
  });

  test('worked by hand: a dense layer on tile 1 after the 3x3 conv on tile 0 that writes its input', () => {
    const plan0 = plans.convDense!;
    const names = plan0.layers.filter((l) => l.tile !== undefined).map((l) => l.name);
    const plan = planAccelerator(plan0.graph, { tileOf: new Map([[names[0]!, 0], [names[1]!, 1]]) });
    // Conv: 1 input channel 6x6, 2 output channels 4x4, K = 9 taps, P = S = 1: period 9, G = 2 items of 16 positions.
    // Item-position q (= output address a, channel-major) has its last tap in cycle 9q + 9 and is written 8 cycles
    // later: w(a) = 9a + 17; the step takes (2*16 - 1)*9 + 9 + 8 + 1 = 297 cycles (the last write in cycle 296).
    const at = (simd: number) => {
      const s = scheduleAccelerator(plan, { tiles: [{ pe: 1, simd: 1 }, { pe: 1, simd }], window: 1 });
      const [conv, dense] = s.steps as [Step, Step];
      expect(stepCycles(conv)).toBe(297);
      return stepOffset(s, conv, dense, 297, stepCycles(dense));
    };
    // Dense, S = 1: tap t (input address t) read in cycle 1 + t: offset = max_a (9a + 17 + 1 - (1 + a)) = 8*31 + 17.
    expect(at(1)).toEqual({ offset: 265, serial: false, reason: 'raw' });
    // Dense, S = 32: every tap read in cycle 1, the first read needs the conv's last write (cycle 296): the dense
    // layer starts in the conv's last cycle, 296 cycles after it, as the serial controller would one cycle later.
    expect(at(32)).toEqual({ offset: 296, serial: false, reason: 'raw' });
    // On one tile: serial.
    const one = scheduleAccelerator(plan0, 1);
    expect(stepOffset(one, one.steps[0]!, one.steps[1]!, 297, stepCycles(one.steps[1]!))).toEqual({ offset: 297, serial: true, reason: 'same-unit' });
  });

  test('every step\'s modelled writes end in the step\'s last cycle (cycles.ts); a step whose cycles disagree runs serially', () => {
    for (const name of ['lenet', 'residual', 'zoo']) {
      const plan = plans[name]!;
      for (const f of [uniformFolding(plan, 1), uniformFolding(plan, 3, 5, 4), uniformFolding(plan, 4, 2, 2, true)]) {
        const s = scheduleAccelerator(plan, f);
        for (const st of s.steps) expect(walkAgrees(st, stepCycles(st)), `${name}: ${st.layer.name}`).toBe(true);
      }
    }
    const s = scheduleAccelerator(plans.lenet!, 4), [e, l] = [s.steps[0]!, s.steps[1]!];
    expect(stepOffset(s, e, l, stepCycles(e), stepCycles(l)).reason).toBe('raw');
    // A unit whose schedule changed without overlap.ts following it: one cycle more than its modelled writes.
    expect(stepOffset(s, e, l, stepCycles(e), stepCycles(l) + 1)).toMatchObject({ serial: true, reason: 'unmodelled' });
  });

  test('structural rules: a memory read by both steps keeps them serial (the zoo\'s residual add reads what the conv before it reads)', () => {
    const s = scheduleAccelerator(plans.zoo!, 4);
    const add = s.steps.find((st) => st.layer.node.op === 'QSum')!, before = s.steps[add.index - 1]!;
    expect(before.inputs.some((m) => add.inputs.includes(m))).toBe(true);
    expect(stepOffset(s, before, add, stepCycles(before), stepCycles(add))).toMatchObject({ serial: true, reason: 'shared-memory' });
  });

  test('the folding solver with --overlap: the plan meets the target overlapped, with no more multipliers than serially', () => {
    const graph = plans.lenet!.graph;
    const serial = solveFoldPlan(graph, { cycles: 2000, minUtilization: 0 });
    const over = solveFoldPlan(graph, { cycles: 2000, minUtilization: 0, overlap: true });
    expect(over.cycles.overlap).toBeDefined();
    expect(over.cycles.total).toBeLessThanOrEqual(2000);
    // Its cycles are the cycle model's of its own schedule, overlapped.
    expect(over.cycles.total).toBe(predictCycles(scheduleAccelerator(over.plan, over.folding), { overlap: true }).total);
    expect(over.multipliers).toBeLessThanOrEqual(serial.multipliers);
  });

  test('the timeline: start_{i+1} = max(start_i + offset_i, end_{i-1}); the run ends with the last step to finish', () => {
    const o = (offset: number) => ({ offset, serial: false, reason: 'raw' as const });
    // Step 2 waits for step 0 (ends at 10), not only for its offset after step 1 (3 + 2).
    expect(overlapTimeline([10, 5, 8], [o(3), o(2)])).toEqual({ starts: [0, 3, 10], run: 18 });
    // A short step 1 ends before step 0: the run is step 0's end when nothing follows.
    expect(overlapTimeline([10, 2], [o(1)])).toEqual({ starts: [0, 1], run: 10 });
    const plan = plans.lenet!, s = scheduleAccelerator(plan, 4);
    const serial = predictCycles(s), over = predictCycles(s, { overlap: true });
    expect(over.overlap!.serialRun).toBe(serial.total - serial.load - serial.stream);
    expect(over.total).toBe(over.load + over.overlap!.run + over.stream);
    expect(over.total).toBeLessThan(serial.total);
    expect(serial.overlap).toBeUndefined();
  });
});
