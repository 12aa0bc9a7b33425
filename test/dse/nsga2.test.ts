import { describe, expect, test } from 'vitest';
import { runNsga2, genomeKey, type Evaluation, type Nsga2Options } from '../../src/dse/nsga2.js';
import { hypervolume2d, paretoFront } from '../../src/dse/pareto.js';
import { isUserError } from '../../src/errors.js';

/** Every genome of a space with the given cardinalities (for exhaustive reference fronts). */
function* enumerate(genes: readonly number[]): Generator<number[]> {
  const g = genes.map(() => 0);
  for (;;) {
    yield [...g];
    let i = 0;
    while (i < genes.length && (g[i] = ((g[i] as number) + 1) % (genes[i] as number)) === 0) i++;
    if (i === genes.length) return;
  }
}

function exhaustiveFront(genes: readonly number[], f: (g: number[]) => Evaluation): number[][] {
  const all = [...enumerate(genes)].map((g) => ({ ...f(g), genome: g }));
  return paretoFront(all).map((d) => [...d.objectives]);
}

// Integer knapsack: 10 item kinds, 0..2 copies each; minimise (-value, weight).
const VALUES = [7, 3, 9, 4, 6, 8, 2, 5, 10, 1];
const WEIGHTS = [5, 2, 8, 3, 4, 7, 1, 4, 9, 2];
const knapGenes = VALUES.map(() => 3);
const knap = (g: readonly number[]): Evaluation => ({
  objectives: [-g.reduce((s, c, i) => s + c * (VALUES[i] as number), 0), g.reduce((s, c, i) => s + c * (WEIGHTS[i] as number), 0)],
});

// ZDT1 on a grid: 5 variables with 12 levels each.
const zdtGenes = [12, 12, 12, 12, 12];
const zdt1 = (g: readonly number[]): Evaluation => {
  const x = g.map((v) => v / 11);
  const f1 = x[0] as number;
  const gg = 1 + (9 * x.slice(1).reduce((s, v) => s + v, 0)) / (x.length - 1);
  return { objectives: [f1, gg * (1 - Math.sqrt(f1 / gg))] };
};

const base = (over: Partial<Nsga2Options>): Nsga2Options => ({ genes: knapGenes, objectives: 2, evaluate: knap, pop: 24, gen: 10, seed: 1, ...over });

describe('runNsga2', () => {
  test('deterministic under a seed; another seed explores differently', async () => {
    const a = await runNsga2(base({ seed: 42 }));
    const b = await runNsga2(base({ seed: 42 }));
    const c = await runNsga2(base({ seed: 43 }));
    expect(b.archive).toEqual(a.archive);
    expect(b.front).toEqual(a.front);
    expect(c.archive.map((d) => d.key)).not.toEqual(a.archive.map((d) => d.key));
  });

  test('an async evaluator that finishes out of order gives the same run', async () => {
    const sync = await runNsga2(base({ seed: 5, gen: 6 }));
    const slow = await runNsga2(
      base({
        seed: 5,
        gen: 6,
        concurrency: 4,
        evaluate: (g) => new Promise((resolve) => setTimeout(() => resolve(knap(g)), (g[0] as number) * 2 + (g[3] as number))),
      }),
    );
    expect(slow.archive).toEqual(sync.archive);
  });

  test('never evaluates a genome twice; canonical forms catch symmetric duplicates', async () => {
    const calls = new Map<string, number>();
    // 4 interchangeable tiles with 5 choices each: the canonical genome is sorted.
    const res = await runNsga2({
      genes: [5, 5, 5, 5],
      objectives: 2,
      pop: 12,
      gen: 30,
      seed: 3,
      canonicalize: (g) => [...g].sort((x, y) => x - y),
      evaluate: (g) => {
        calls.set(genomeKey(g), (calls.get(genomeKey(g)) ?? 0) + 1);
        const s = g.reduce((p, v) => p + v, 0);
        return { objectives: [s, 16 - s + (g[0] === g[3] ? 0 : 1)] };
      },
    });
    expect([...calls.values()].every((n) => n === 1)).toBe(true);
    expect(res.evaluations).toBe(calls.size);
    expect(calls.size).toBeLessThanOrEqual(70); // multisets of 4 out of 5: C(8,4) = 70
    for (const k of calls.keys()) expect(k).toBe([...k.split(',').map(Number)].sort((x, y) => x - y).join(','));
  });

  test('initial genomes are evaluated in generation 0, even more than the population', async () => {
    const initial = Array.from({ length: 30 }, (_, i) => knapGenes.map((_, j) => (i + j) % 3));
    const res = await runNsga2(base({ initial, pop: 8, gen: 2 }));
    const gen0 = new Set(res.archive.filter((d) => d.generation === 0).map((d) => d.key));
    for (const g of initial) expect(gen0.has(genomeKey(g))).toBe(true);
    expect(res.population).toHaveLength(8);
  });

  test('progress callback once per generation, evaluations increasing', async () => {
    const seen: [number, number][] = [];
    await runNsga2(base({ gen: 5, onGeneration: (i) => seen.push([i.generation, i.evaluations]) }));
    expect(seen.map((s) => s[0])).toEqual([0, 1, 2, 3, 4, 5]);
    for (let i = 1; i < seen.length; i++) expect((seen[i] as [number, number])[1]).toBeGreaterThanOrEqual((seen[i - 1] as [number, number])[1]);
  });

  test('abort stops between generations', async () => {
    const ctl = new AbortController();
    const res = await runNsga2(base({ gen: 50, signal: ctl.signal, onGeneration: (i) => (i.generation === 3 ? ctl.abort() : undefined) }));
    expect(res.generations).toBe(3);
  });

  test('tiny spaces: fewer genomes than the population still run', async () => {
    const res = await runNsga2({ genes: [2, 1], objectives: 1, pop: 6, gen: 3, seed: 9, evaluate: (g) => ({ objectives: [g[0] as number] }) });
    expect(res.evaluations).toBe(2);
    expect(res.front.map((d) => d.genome)).toEqual([[0, 0]]);
    expect(res.population).toHaveLength(6);
  });

  test('bad requests are user errors (E_DSE)', async () => {
    for (const o of [base({ pop: 1 }), base({ genes: [3, 0] }), base({ initial: [[0, 1]] }), base({ initial: [knapGenes.map(() => 3)] }), base({ mutationProb: 2 })]) {
      const err = await runNsga2(o).then(() => null, (e: unknown) => e);
      expect(isUserError(err) && err.code === 'E_DSE').toBe(true);
    }
  });
});

describe('convergence against exhaustive enumeration', () => {
  test('integer knapsack (3^10 designs): hypervolume within 2 %', async () => {
    const truth = exhaustiveFront(knapGenes, knap);
    const ref: [number, number] = [1, 2 * WEIGHTS.reduce((a, b) => a + b, 0) + 1];
    const res = await runNsga2(base({ pop: 40, gen: 60, seed: 11 }));
    const hvTrue = hypervolume2d(truth, ref), hvFound = hypervolume2d(res.front.map((d) => d.objectives), ref);
    expect(hvFound / hvTrue).toBeGreaterThan(0.98);
    expect(res.evaluations).toBeLessThan(3 ** 10 / 10);
  });

  test('ZDT1 on a 12^5 grid: hypervolume within 2 %', async () => {
    const truth = exhaustiveFront(zdtGenes, zdt1);
    const ref: [number, number] = [1.1, 1.1];
    const res = await runNsga2({ genes: zdtGenes, objectives: 2, evaluate: zdt1, pop: 32, gen: 60, seed: 2 });
    const hvTrue = hypervolume2d(truth, ref), hvFound = hypervolume2d(res.front.map((d) => d.objectives), ref);
    expect(hvFound / hvTrue).toBeGreaterThan(0.98);
  });

  test('constrained knapsack: the front is feasible and matches the feasible enumeration', async () => {
    const cap = 30;
    const f = (g: readonly number[]): Evaluation => {
      const e = knap(g);
      return { objectives: e.objectives, violation: Math.max(0, (e.objectives[1] as number) - cap) };
    };
    // Start far from feasibility: every initial design overweight.
    const initial = [knapGenes.map(() => 2), knapGenes.map((_, i) => (i % 2 ? 2 : 1))];
    const truth = exhaustiveFront(knapGenes, f);
    const res = await runNsga2(base({ evaluate: f, pop: 40, gen: 60, seed: 4, initial }));
    expect(res.front.every((d) => d.violation === 0)).toBe(true);
    const ref: [number, number] = [1, cap + 1];
    expect(hypervolume2d(res.front.map((d) => d.objectives), ref) / hypervolume2d(truth, ref)).toBeGreaterThan(0.98);
  });
});
