import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { predictCycles } from '../../src/hw/cycles.js';
import { solveFoldPlan, useful } from '../../src/hw/fold-plan.js';
import { planAccelerator } from '../../src/hw/plan.js';
import { scheduleAccelerator } from '../../src/hw/schedule.js';
import { loadIr } from '../../src/ir/serialize.js';
import type { Graph } from '../../src/ir/types.js';
import { quantizedZoo } from '../helpers/hw-models.js';
import { tempDir } from '../helpers/tmp.js';
import { expectUserError } from '../helpers/user-error.js';

describe('solveFoldPlan (the folding solver on a plan, cycles from the cycle model)', () => {
  const dir = tempDir();
  let graph: Graph;
  beforeAll(async () => {
    graph = loadIr((await quantizedZoo(join(dir, 'zoo'), 4)).ir);
  }, 120_000);

  test('useful values: where ceil(n / v) changes', () => {
    // n = 10: 1 item at v >= 10, 2 at 5..9, 3 at 4, 4 at 3, 5 at 2 (ceil(10/2) = 5), 10 at 1.
    expect(useful([10], 64)).toEqual([1, 2, 3, 4, 5, 10]);
    expect(useful([10, 3], 4)).toEqual([1, 2, 3, 4]);
  });

  test('never more multipliers than the best one-tile uniform fold, found by enumerating every (P, S) with the cycle model', () => {
    const base = planAccelerator(graph);
    const uniform: { m: number; cycles: number }[] = [];
    for (let pe = 1; pe <= 16; pe++) {
      for (let simd = 1; simd <= 16; simd++) {
        for (const window of [1, 2, 4]) {
          const c = predictCycles(scheduleAccelerator(base, { tiles: base.tiles.map(() => ({ pe, simd })), window }));
          uniform.push({ m: pe * simd * base.tiles.length, cycles: c.total });
        }
      }
    }
    const slowest = Math.max(...uniform.map((u) => u.cycles)), fastest = Math.min(...uniform.map((u) => u.cycles));
    for (const frac of [0.1, 0.3, 0.6, 0.9]) {
      const target = Math.round(fastest + frac * (slowest - fastest));
      const best = Math.min(...uniform.filter((u) => u.cycles <= target).map((u) => u.m));
      const f = solveFoldPlan(graph, { cycles: target, minUtilization: 0 });
      expect(f.cycles.total).toBeLessThanOrEqual(target);
      expect(f.multipliers).toBeLessThanOrEqual(best);
      // The plan it returns schedules to the cycles it reports (the internal check), and records its tiles in the IR.
      expect(predictCycles(scheduleAccelerator(planAccelerator(f.graph), f.folding)).total).toBe(f.cycles.total);
      expect(planAccelerator(f.graph).tiles.length).toBe(f.folding.tiles.length);
    }
  });

  test('a looser target never takes more multipliers; a minimum utilization holds per tile', () => {
    const base = predictCycles(scheduleAccelerator(planAccelerator(graph), 1)).total;
    let last = Infinity;
    for (const div of [6, 4, 3, 2, 1]) {
      const f = solveFoldPlan(graph, { cycles: Math.ceil(base / div), minUtilization: 0.6 });
      expect(f.multipliers).toBeLessThanOrEqual(last);
      last = f.multipliers;
      f.folding.tiles.forEach((t, i) => {
        const on = f.layers.filter((l) => l.tile === i);
        expect(on.reduce((a, l) => a + l.macs, 0) / (on.reduce((a, l) => a + l.cycles, 0) * t.pe * t.simd)).toBeGreaterThanOrEqual(0.6);
      });
    }
  });

  test('elementwise lanes: the smallest E among the plans of fewest multipliers, found by enumerating E', () => {
    // The zoo's elementwise steps (a 75-code table and a 75-code residual add) at one element per cycle: the fastest
    // plan there, and a target 40 cycles under it, which only more elementwise lanes can meet (V fixed at 1, so that E
    // alone makes the difference).
    const fastest1 = solveFoldPlan(graph, { cycles: Infinity, objective: 'cycles', minUtilization: 0, elementwise: 1, windowLanes: 1 }).cycles.total;
    const loose = solveFoldPlan(graph, { cycles: fastest1 * 3, minUtilization: 0, windowLanes: 1 });
    expect(loose.folding.elementwise ?? 1).toBe(1);
    const target = fastest1 - 40;
    const f = solveFoldPlan(graph, { cycles: target, minUtilization: 0, windowLanes: 1 });
    const e = f.folding.elementwise ?? 1;
    expect(e).toBeGreaterThan(1);
    expect(f.cycles.total).toBeLessThanOrEqual(target);
    expect(predictCycles(scheduleAccelerator(planAccelerator(f.graph), f.folding)).total).toBe(f.cycles.total);
    expectSmallestOfFewest(e, f.multipliers, (e2) => ({ cycles: target, minUtilization: 0, elementwise: e2, windowLanes: 1 }));
  });

  test('window lanes: the smallest V among the plans of fewest multipliers, found by enumerating V', () => {
    // The zoo's pools (5 and 3 planes): the fastest plan at one plane per cycle, and a target under it that only
    // more window lanes (or elementwise lanes) can meet; E fixed at 1 so that V alone makes the difference.
    const fastest1 = solveFoldPlan(graph, { cycles: Infinity, objective: 'cycles', minUtilization: 0, elementwise: 1, windowLanes: 1 }).cycles.total;
    const loose = solveFoldPlan(graph, { cycles: fastest1 * 3, minUtilization: 0, elementwise: 1 });
    expect(loose.folding.windowLanes ?? 1).toBe(1);
    const target = fastest1 - 100;
    const f = solveFoldPlan(graph, { cycles: target, minUtilization: 0, elementwise: 1 });
    const v = f.folding.windowLanes ?? 1;
    expect(v).toBeGreaterThan(1);
    expect(f.cycles.total).toBeLessThanOrEqual(target);
    expect(predictCycles(scheduleAccelerator(planAccelerator(f.graph), f.folding)).total).toBe(f.cycles.total);
    expectSmallestOfFewest(v, f.multipliers, (v2) => ({ cycles: target, minUtilization: 0, elementwise: 1, windowLanes: v2 }));
  });

  /** The solver's lane count `chosen` (with `multipliers`) against every count 1..16 solved on its own: no count
   *  needs fewer multipliers, and every smaller one needs more (or cannot meet the target). */
  const expectSmallestOfFewest = (chosen: number, multipliers: number, targetAt: (lanes: number) => Parameters<typeof solveFoldPlan>[1]) => {
    for (let lanes = 1; lanes <= 16; lanes++) {
      let m = Infinity;
      try {
        m = solveFoldPlan(graph, targetAt(lanes)).multipliers;
      } catch {
        // no plan at this count meets the target
      }
      expect(m).toBeGreaterThanOrEqual(multipliers);
      if (lanes < chosen) expect(m).toBeGreaterThan(multipliers);
    }
  };

  test('an unreachable target is a user error naming the fastest plan', () => {
    expectUserError(() => solveFoldPlan(graph, { cycles: 50 }), 'E_HW', /meets 50 cycles/, /fastest plan found takes \d+ cycles.*--wide-write/);
  });
});
