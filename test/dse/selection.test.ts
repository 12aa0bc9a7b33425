/** The one choice rule of every exploration (src/dse/selection.ts): the split, the paired drop and its standard error
 *  worked by hand, the fixed-sequence test (stops at the first failure), and its error rate simulated against the
 *  guarantee docs/selection.md states. */
import { describe, expect, test } from 'vitest';
import { chooseOnSelection, pairedDrop, splitLabelled } from '../../src/dse/selection.js';
import { createRng } from '../../src/dse/prng.js';

/** Predictions for `n` images of label 0: `wrong` lists the images predicted 1. */
const preds = (n: number, wrong: readonly number[]): Int32Array => {
  const p = new Int32Array(n);
  for (const i of wrong) p[i] = 1;
  return p;
};

describe('split', () => {
  test('the last fraction chooses, the rest searches; each part keeps one image', () => {
    expect(splitLabelled(1000, 0.5)).toEqual({ search: 500, selection: 500 });
    expect(splitLabelled(3000, 0.3)).toEqual({ search: 2100, selection: 900 });
    expect(splitLabelled(2, 0.01)).toEqual({ search: 1, selection: 1 });
    expect(splitLabelled(2, 0.99)).toEqual({ search: 1, selection: 1 });
  });
});

describe('paired drop (worked by hand)', () => {
  test('3 lost, 1 gained of 100 images', () => {
    const labels = new Int32Array(100);
    // Reference wrong on 10, 11; candidate wrong on 0, 1, 2, 10 (loses 0, 1, 2; gains 11).
    const p = pairedDrop(preds(100, [10, 11]), preds(100, [0, 1, 2, 10]), labels, 2);
    expect([p.lost, p.gained, p.count]).toEqual([3, 1, 100]);
    expect(p.top1).toBeCloseTo(0.96, 12);
    expect(p.drop).toBeCloseTo(2, 12); // (3 - 1) / 100 = 2 points
    // sqrt(3 + 1 + 1 - 2^2 / 100) / 100 = sqrt(4.96) / 100 = 0.022271 -> 2.2271 points
    expect(p.standardError).toBeCloseTo(100 * Math.sqrt(4.96) / 100, 12);
    expect(p.bound).toBeCloseTo(2 + 2 * Math.sqrt(4.96), 12);
  });
  test('no image changes: the bound is confidence / n, not zero', () => {
    const p = pairedDrop(preds(400, [5]), preds(400, [5]), new Int32Array(400), 2);
    expect([p.lost, p.gained, p.drop]).toEqual([0, 0, 0]);
    expect(p.bound).toBeCloseTo(0.5, 12); // 2 x 100 x sqrt(1) / 400
  });
  test('the standard error is far below the binomial one of a top-1 when few images change', () => {
    const n = 1000;
    const p = pairedDrop(preds(n, Array.from({ length: 20 }, (_, i) => i)), preds(n, [...Array.from({ length: 20 }, (_, i) => i), 500, 501]), new Int32Array(n), 1);
    const binomial = 100 * Math.sqrt(0.978 * 0.022 / n); // of the candidate's top-1 alone
    expect(p.standardError).toBeLessThan(binomial / 2);
  });
});

describe('fixed-sequence choice', () => {
  const n = 200, labels = new Int32Array(n);
  const reference = preds(n, []);
  test('takes the last candidate before the first failure, reports the rest', async () => {
    // Candidates most costly first: lose 0, 0, 3 images (fails at 0.5: 1.5 + sqrt(4 - 0.045)/2 > 0.5), then 0 again.
    const wrong: Record<string, number[]> = { a: [], b: [], c: [0, 1, 2], d: [] };
    const s = await chooseOnSelection(['a', 'b', 'c', 'd'], async (c) => preds(n, wrong[c]!), reference, labels, { maxDrop: 0.5, confidence: 1 });
    expect(s.chosen).toBe('b');
    expect(s.trials.map((t) => [t.candidate, t.passed, t.afterStop])).toEqual([['a', true, false], ['b', true, false], ['c', false, false], ['d', true, true]]);
    expect(s.referenceTop1).toBe(1);
  });
  test('none passes: undefined (the caller keeps its reference)', async () => {
    const s = await chooseOnSelection(['x'], async () => preds(n, [0, 1, 2, 3]), reference, labels, { maxDrop: 0.5, confidence: 1 });
    expect(s.chosen).toBeUndefined();
  });
  test('simulated: a chosen design truly losing more than maxDrop is about as rare as the guarantee says', async () => {
    // Five candidates, most costly first, true drops 0, 0.2, 0.4, 0.8, 1.6 points on 2,000 selection images; the
    // reference is wrong on the first 20, where each candidate is right half the time (gains), and each candidate
    // loses elsewhere with the rate that makes its expected drop the true one. maxDrop 0.5, confidence 1.645
    // (one-sided 5 %).
    const rng = createRng(7), rand = () => rng.float(), m = 2000, truth = [0, 0.2, 0.4, 0.8, 1.6];
    const labels = new Int32Array(m), reference = preds(m, Array.from({ length: 20 }, (_, i) => i));
    const draw = (d: number) => {
      const p = new Int32Array(m), q = ((d / 100 + 0.005) * m) / (m - 20);
      for (let i = 0; i < m; i++) p[i] = (i < 20 ? rand() < 0.5 : rand() >= q) ? 0 : 1;
      return p;
    };
    let bad = 0;
    const runs = 300;
    for (let r = 0; r < runs; r++) {
      const s = await chooseOnSelection(truth, async (d) => draw(d), reference, labels, { maxDrop: 0.5, confidence: 1.645 });
      if (s.chosen !== undefined && s.chosen > 0.5) bad++;
    }
    expect(bad / runs).toBeLessThan(0.05 + 0.04); // 5 % plus about three binomial standard errors of 300 runs
  });
});
