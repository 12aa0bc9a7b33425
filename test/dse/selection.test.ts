/** The one choice rule of every exploration (src/dse/selection.ts): the split, the paired drop and its standard error
 *  worked by hand, the fixed-sequence test (stops at the first failure), and its error rate simulated against the
 *  guarantee docs/selection.md states. */
import { describe, expect, test } from 'vitest';
import { normalCdf, normalQuantile } from '../../src/dse/normal.js';
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

describe('fallback-sequence choice', () => {
  const n = 400, labels = new Int32Array(n);
  const reference = preds(n, []);
  const alpha = normalCdf(-1); // confidence 1
  test('levels: 90 % of the unspent error rate each, plus the level before when it passed (worked by hand)', async () => {
    // Candidates most costly first: lose 0, 0, 3 images of 400, then 0 again.
    const wrong: Record<string, number[]> = { a: [], b: [], c: [0, 1, 2], d: [] };
    const s = await chooseOnSelection(['a', 'b', 'c', 'd'], async (c) => preds(n, wrong[c]!), reference, labels, { maxDrop: 0.5, confidence: 1 });
    // a: 0.9 alpha; b: 0.09 alpha + a's; c: 0.009 alpha + b's (it fails: 0.75 points lost); d: the last 0.001 alpha.
    const levels = [0.9 * alpha, 0.99 * alpha, 0.999 * alpha, 0.001 * alpha];
    s.trials.forEach((t, i) => {
      expect(t.level).toBeCloseTo(levels[i]!, 12);
      expect(t.critical).toBeCloseTo(normalQuantile(1 - levels[i]!), 12);
    });
    // d loses nothing, but its standard error on 400 images is 0.25 points (the + 1) and z(1 - 0.001 alpha) = 3.6.
    expect(s.trials.map((t) => [t.candidate, t.passed])).toEqual([['a', true], ['b', true], ['c', false], ['d', false]]);
    expect(s.chosen).toBe('b');
    expect(s.referenceTop1).toBe(1);
  });
  test('a failure does not end the sequence: a later candidate that passes its own stricter test is chosen', async () => {
    const m = 2000, labels = new Int32Array(m), reference = preds(m, []);
    const wrong: Record<string, number[]> = { a: [], b: Array.from({ length: 20 }, (_, i) => i), c: [] };
    const s = await chooseOnSelection(['a', 'b', 'c'], async (c) => preds(m, wrong[c]!), reference, labels, { maxDrop: 0.5, confidence: 1 });
    // b loses 1 point and fails; c, tested at its own 0.1 x 0.1 alpha (z 2.93), loses nothing: bound 2.93 x 0.05.
    expect(s.trials.map((t) => t.passed)).toEqual([true, false, true]);
    expect(s.trials[2]!.level).toBeCloseTo(0.01 * alpha, 12);
    expect(s.trials[2]!.paired.bound).toBeCloseTo(normalQuantile(1 - 0.01 * alpha) * 0.05, 9);
    expect(s.chosen).toBe('c');
  });
  test('confidence 0: no test, the measured drop alone', async () => {
    const s = await chooseOnSelection(['a', 'b'], async (c) => preds(n, c === 'a' ? [0, 1] : [0, 1, 2]), reference, labels, { maxDrop: 0.5, confidence: 0 });
    // a loses 2 images of 400 (0.5 points: within), b 3 (0.75 points).
    expect(s.trials.map((t) => [t.critical, t.passed])).toEqual([[0, true], [0, false]]);
    expect(s.chosen).toBe('a');
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
