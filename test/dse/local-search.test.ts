/** Pareto local search after NSGA-II (src/dse/local-search.ts): against the exhaustive front of a small space, the
 *  refined front dominates or equals the genetic one, and it only ever asks its evaluator. */
import { describe, expect, test } from 'vitest';
import { refineFront } from '../../src/dse/local-search.js';
import { genomeKey, runNsga2, type Evaluation } from '../../src/dse/nsga2.js';
import { dominates, hypervolume2d, paretoFront } from '../../src/dse/pareto.js';

// ZDT1 on a grid: 5 variables with 12 levels each; the true front is x1..x4 = 0, any x0.
const GENES = [12, 12, 12, 12, 12];
const zdt1 = (g: readonly number[]): Evaluation => {
  const x = g.map((v) => v / 11);
  const f1 = x[0]!;
  const gg = 1 + (9 * x.slice(1).reduce((s, v) => s + v, 0)) / (x.length - 1);
  return { objectives: [f1, gg * (1 - Math.sqrt(f1 / gg))] };
};
/** One gene one level up or down. */
const stepNeighbours = (g: readonly number[]): number[][] =>
  g.flatMap((v, i) => [v - 1, v + 1].filter((w) => w >= 0 && w < GENES[i]!).map((w) => g.map((x, j) => (j === i ? w : x))));
const identity = (g: readonly number[]) => [...g];

/** Every design of `front` is equalled or dominated by one of `by`. */
const covered = (front: readonly { objectives: readonly number[] }[], by: readonly { objectives: readonly number[] }[]) =>
  front.every((d) => by.some((e) => dominates(e.objectives, d.objectives) || e.objectives.every((v, k) => v === d.objectives[k])));

const REF: [number, number] = [1.1, 11];

describe('Pareto local search', () => {
  test('from a short NSGA-II run it reaches the exhaustive front of ZDT1 on a grid, and stops when nothing is left to expand', async () => {
    const ga = await runNsga2({ genes: GENES, objectives: 2, evaluate: zdt1, pop: 8, gen: 2, seed: 1 });
    // The exhaustive front: x0 = 0..11 with the other genes 0 (12 designs).
    const all: { objectives: readonly number[] }[] = [];
    const g = [0, 0, 0, 0, 0];
    for (let n = 0; n < 12 ** 5; n++) {
      let r = n;
      for (let i = 0; i < 5; i++) [g[i], r] = [r % 12, Math.floor(r / 12)];
      all.push(zdt1(g));
    }
    const truth = paretoFront(all).map((d) => d.objectives.join(',')).sort();
    expect(truth).toHaveLength(12);
    const gaFront = ga.front.map((d) => d.objectives.join(',')).sort();
    expect(gaFront).not.toEqual(truth); // the genetic search alone misses part of it
    const seen: string[] = [];
    const refined = await refineFront({
      archive: ga.archive, neighbours: stepNeighbours, canonicalize: identity, steps: 1000, firstGeneration: 3,
      evaluate: (genome) => (seen.push(genomeKey(genome)), zdt1(genome)),
    });
    expect(refined.front.map((d) => d.objectives.join(',')).sort()).toEqual(truth);
    expect(refined.steps).toBeLessThan(1000); // stopped: every front design expanded
    // It evaluated each new genome once, none already in the archive, and appended them to the archive.
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.filter((k) => ga.archive.some((d) => d.key === k))).toEqual([]);
    expect(refined.added).toBe(seen.length);
    expect(refined.archive.slice(0, ga.archive.length)).toEqual(ga.archive);
    expect(refined.archive.slice(ga.archive.length).map((d) => d.key)).toEqual(seen);
    expect(refined.archive.slice(ga.archive.length).every((d) => d.generation >= 3)).toBe(true);
  });

  test('each step dominates or equals the front before it, and more steps never give a worse front', async () => {
    for (const seed of [1, 2, 3]) {
      const ga = await runNsga2({ genes: GENES, objectives: 2, evaluate: zdt1, pop: 8, gen: 3, seed });
      let previous = ga.front;
      let hv = hypervolume2d(ga.front.map((d) => d.objectives), REF);
      for (const steps of [0, 1, 2, 4]) {
        const r = await refineFront({ archive: ga.archive, neighbours: stepNeighbours, canonicalize: identity, evaluate: zdt1, steps, firstGeneration: 4 });
        if (steps === 0) expect([r.added, r.archive.length]).toEqual([0, ga.archive.length]);
        expect(covered(previous, r.front), `seed ${seed}, ${steps} steps`).toBe(true);
        const h = hypervolume2d(r.front.map((d) => d.objectives), REF);
        expect(h).toBeGreaterThanOrEqual(hv - 1e-12);
        [previous, hv] = [r.front, h];
      }
      expect(hv).toBeGreaterThan(hypervolume2d(ga.front.map((d) => d.objectives), REF));
    }
  });

  test('only front designs that pass `expand` are expanded; canonical duplicates are evaluated once', async () => {
    // Genes are symmetric: canonical form sorts them, so [a, b] and [b, a] are one design.
    const evaluate = (g: readonly number[]): Evaluation => ({ objectives: [g[0]! + g[1]!, 20 - g[0]! * g[1]!] });
    const start = [{ genome: [2, 3], key: '2,3', objectives: evaluate([2, 3]).objectives, violation: 0, generation: 0 }];
    const seen: string[] = [];
    const neighbours = (g: readonly number[]) => [[g[0]! + 1, g[1]!], [g[0]!, g[1]! + 1], [g[1]!, g[0]! + 1]];
    const r = await refineFront({
      archive: start, neighbours, canonicalize: (g) => [...g].sort((a, b) => a - b), steps: 1, firstGeneration: 1,
      evaluate: (g) => (seen.push(genomeKey(g)), evaluate(g)),
    });
    expect(seen).toEqual(['3,3', '2,4']); // two of the three moves reach [3, 3]: evaluated once
    const none = await refineFront({ archive: start, neighbours, canonicalize: identity, steps: 3, firstGeneration: 1, evaluate, expand: () => false });
    expect([none.added, none.steps]).toEqual([0, 0]);
  });
});
