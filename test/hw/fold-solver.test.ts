import { describe, expect, test } from 'vitest';
import { multiplierLowerBound, solveFolding, type Fold, type FoldProblem } from '../../src/hw/fold-solver.js';

/** Mulberry32: a seeded generator, so every problem below is the same on every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CANDIDATES: Fold[] = [1, 2, 4].flatMap((pe) => [1, 2, 3].map((simd) => ({ pe, simd })));

/** A problem shaped like the cycle model: a layer of W work items takes about W / (pe*simd) cycles plus overheads
 *  that grow with pe (serializer) and simd (drain), so no fold is best everywhere. */
function randomProblem(seed: number, free: boolean): FoldProblem {
  const r = rng(seed);
  const n = 2 + Math.floor(r() * 3);
  const layers = Array.from({ length: n }, (_, i) => {
    const work = 20 + Math.floor(r() * 400), m = 1 + Math.floor(r() * 6);
    const cycles = CANDIDATES.map((c) => Math.ceil(m / c.pe) * Math.ceil(work / m / c.simd) * Math.max(1, c.pe / 2) + c.simd + c.pe);
    // A bound tile has one multiplier: its layers share the key.
    const tile = Math.floor(r() * 2), key = free ? (r() < 0.2 ? 'approx' : 'exact') : `t${tile}`;
    return { name: `l${i}`, key, ...(free ? {} : { tile }), macs: work, cycles };
  });
  const slowest = layers.reduce((a, l) => a + Math.max(...l.cycles), 0), quickest = layers.reduce((a, l) => a + Math.min(...l.cycles), 0);
  return { candidates: CANDIDATES, layers, fixedCycles: 50, target: 50 + Math.round(quickest + r() * (slowest - quickest)) };
}

/** Every partition of the layers into tiles (keys respected, fixed tiles kept), every fold per tile. */
function bruteForce(p: FoldProblem): { multipliers: number; feasible: boolean; fastest: number } {
  const n = p.layers.length;
  let best = Infinity, fastest = Infinity;
  const assign = (i: number, groups: number[][]): void => {
    if (i === n) {
      const foldsOf = (g: number): number[][] => (g === groups.length ? [[]] : foldsOf(g + 1).flatMap((rest) => CANDIDATES.map((_, c) => [c, ...rest])));
      for (const folds of foldsOf(0)) {
        const cycles = p.fixedCycles + groups.reduce((a, g, t) => a + g.reduce((b, l) => b + p.layers[l]!.cycles[folds[t]!]!, 0), 0);
        const cost = folds.reduce((a, c) => a + CANDIDATES[c]!.pe * CANDIDATES[c]!.simd, 0);
        const u = p.minUtilization ?? 0;
        const busy = groups.every((g, t) => {
          const f = CANDIDATES[folds[t]!]!;
          return g.reduce((b, l) => b + p.layers[l]!.macs, 0) >= u * g.reduce((b, l) => b + p.layers[l]!.cycles[folds[t]!]!, 0) * f.pe * f.simd;
        });
        if (!busy) continue;
        if (cycles <= p.target) best = Math.min(best, cost);
        if (cost <= (p.maxMultipliers ?? Infinity)) fastest = Math.min(fastest, cycles);
      }
      return;
    }
    const l = p.layers[i]!;
    groups.forEach((g, k) => {
      const first = p.layers[g[0]!]!;
      if (first.key !== l.key || first.tile !== l.tile) return;
      assign(i + 1, groups.map((h, j) => (j === k ? [...h, i] : h)));
    });
    // A fixed tile's layers all share one group.
    if (l.tile === undefined || !groups.some((g) => p.layers[g[0]!]!.tile === l.tile)) assign(i + 1, [...groups, [i]]);
  };
  assign(0, []);
  return { multipliers: best, feasible: Number.isFinite(best), fastest };
}

function recount(p: FoldProblem, s: ReturnType<typeof solveFolding>): { cycles: number; multipliers: number } {
  const idx = (f: Fold) => p.candidates.findIndex((c) => c.pe === f.pe && c.simd === f.simd);
  return {
    cycles: p.fixedCycles + s.tiles.reduce((a, t) => a + t.layers.reduce((b, l) => b + p.layers[l]!.cycles[idx(t.fold)]!, 0), 0),
    multipliers: s.tiles.reduce((a, t) => a + t.fold.pe * t.fold.simd, 0),
  };
}

describe('solveFolding', () => {
  test('a hand-worked case: two layers, one tile each or shared', () => {
    // Layer a needs simd 2 to be fast, layer b needs pe 2. Within 25 cycles: two tiles (1x2 for a, 2x1 for b) take 4
    // multipliers and 20 cycles; one shared tile of 2x2 takes the same 4 in one tile (preferred); every plan of 2 or 3
    // multipliers takes 30 cycles.
    const candidates: Fold[] = [{ pe: 1, simd: 1 }, { pe: 1, simd: 2 }, { pe: 2, simd: 1 }, { pe: 2, simd: 2 }];
    const p: FoldProblem = { candidates, fixedCycles: 0, target: 25, layers: [{ name: 'a', key: 'x', macs: 20, cycles: [20, 10, 20, 10] }, { name: 'b', key: 'x', macs: 20, cycles: [20, 20, 10, 10] }] };
    const s = solveFolding(p);
    expect(s).toMatchObject({ feasible: true, multipliers: 4, cycles: 20 });
    expect(s.tiles).toEqual([{ fold: { pe: 2, simd: 2 }, layers: [0, 1] }]);
  });

  test('an unreachable target gives the fastest plan, marked infeasible', () => {
    const p: FoldProblem = { candidates: [{ pe: 1, simd: 1 }, { pe: 2, simd: 1 }], fixedCycles: 5, target: 10, layers: [{ name: 'a', key: 'x', macs: 20, cycles: [20, 12] }] };
    expect(solveFolding(p)).toMatchObject({ feasible: false, cycles: 17, multipliers: 2 });
  });

  test.each([false, true])('matches exhaustive enumeration on 200 random problems (free tiles: %s)', (free) => {
    let equal = 0;
    for (let seed = 1; seed <= 200; seed++) {
      const p = randomProblem(seed * 7919 + (free ? 1 : 0), free);
      const s = solveFolding(p), ref = bruteForce(p), again = recount(p, s);
      expect(s.feasible).toBe(ref.feasible);
      expect(again).toEqual({ cycles: s.cycles, multipliers: s.multipliers });
      if (!ref.feasible) continue;
      expect(s.cycles).toBeLessThanOrEqual(p.target);
      expect(s.multipliers).toBeGreaterThanOrEqual(ref.multipliers);
      if (s.multipliers === ref.multipliers) equal++;
      // Bound tiles make the assignment fixed: the knapsack is exact.
      if (!free) expect(s.multipliers).toBe(ref.multipliers);
    }
    expect(equal).toBeGreaterThan(free ? 190 : 0);
  });

  test('the fewest cycles within a multiplier bound, against exhaustive enumeration', () => {
    let equal = 0;
    for (let seed = 1; seed <= 100; seed++) {
      const p0 = randomProblem(seed * 104729, seed % 2 === 0);
      const p: FoldProblem = { ...p0, target: Infinity, maxMultipliers: 2 + (seed % 9), objective: 'cycles' };
      const s = solveFolding(p), ref = bruteForce(p);
      expect(s.multipliers).toBeLessThanOrEqual(p.maxMultipliers!);
      expect(recount(p, s)).toEqual({ cycles: s.cycles, multipliers: s.multipliers });
      expect(s.cycles).toBeGreaterThanOrEqual(ref.fastest);
      if (s.cycles === ref.fastest) equal++;
      if (seed % 2 === 1) expect(s.cycles).toBe(ref.fastest);
    }
    expect(equal).toBeGreaterThan(90);
  });

  test('with a minimum utilization per tile, against exhaustive enumeration', () => {
    let equal = 0, bound = 0;
    for (let seed = 1; seed <= 150; seed++) {
      const p: FoldProblem = { ...randomProblem(seed * 15485863, seed % 2 === 0), minUtilization: 0.3 + (seed % 5) * 0.1 };
      const s = solveFolding(p), ref = bruteForce(p);
      expect(s.feasible).toBe(ref.feasible);
      if (!ref.feasible) continue;
      bound++;
      for (const t of s.tiles) {
        const i = p.candidates.findIndex((c) => c.pe === t.fold.pe && c.simd === t.fold.simd);
        const macs = t.layers.reduce((a, l) => a + p.layers[l]!.macs, 0), cycles = t.layers.reduce((a, l) => a + p.layers[l]!.cycles[i]!, 0);
        expect(macs / (cycles * t.fold.pe * t.fold.simd)).toBeGreaterThanOrEqual(p.minUtilization!);
      }
      expect(s.multipliers).toBeGreaterThanOrEqual(ref.multipliers);
      if (s.multipliers === ref.multipliers) equal++;
      if (seed % 2 === 1) expect(s.multipliers).toBe(ref.multipliers);
    }
    expect(bound).toBeGreaterThan(20);
    expect(equal).toBeGreaterThan(bound * 0.9);
  });

  test('respects a multiplier bound', () => {
    const p: FoldProblem = { candidates: [{ pe: 1, simd: 1 }, { pe: 4, simd: 4 }], fixedCycles: 0, target: 100, maxMultipliers: 8, layers: [{ name: 'a', key: 'x', macs: 200, cycles: [200, 20] }] };
    expect(solveFolding(p).feasible).toBe(false);
  });

  test('the multiplier lower bound: never above the exhaustive optimum, equal to it for a single layer, Infinity when nothing meets the target', () => {
    let tight = 0;
    for (let seed = 1; seed <= 200; seed++) {
      const p = randomProblem(seed * 31337, seed % 2 === 0);
      const lb = multiplierLowerBound(p), ref = bruteForce(p);
      if (!ref.feasible) {
        // Infeasible plans may still have a finite bound (a relaxation), never a bound above a feasible optimum.
        continue;
      }
      expect(lb).toBeLessThanOrEqual(ref.multipliers);
      if (lb === ref.multipliers) tight++;
      // One layer: its own tile at the cheapest fold that meets the target is both the bound and the optimum.
      const one: FoldProblem = { ...p, layers: [p.layers[0]!], target: p.fixedCycles + Math.min(...p.layers[0]!.cycles) + (seed % 7) };
      expect(multiplierLowerBound(one)).toBe(bruteForce(one).multipliers);
    }
    // It is not a trivial bound: some problems reach it.
    expect(tight).toBeGreaterThan(10);
    const p = randomProblem(5, true);
    expect(multiplierLowerBound({ ...p, target: p.fixedCycles - 1 })).toBe(Infinity);
  });
});
