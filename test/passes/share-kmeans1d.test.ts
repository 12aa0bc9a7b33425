/** Exact 1-D k-means (src/passes/kmeans1d.ts) against brute force: every assignment of the values to k labels, each
 *  cluster at its best centroid (the mean, or the best integer found by trying every integer in range), and against
 *  a plain O(k n^2) DP for the divide-and-conquer path on larger inputs. */
import { describe, expect, test } from 'vitest';
import { histogramOf, kmeans1d, kmeans1dMany, type CentroidRule } from '../../src/passes/kmeans1d.js';
import { createRng } from '../../src/dse/prng.js';
import { expectUserError } from '../helpers/user-error.js';

/** Best SSE of `values` into at most k clusters over every labelling (k^n of them): no contiguity assumed. */
function bruteForce(values: readonly number[], k: number, rule: CentroidRule): number {
  const n = values.length;
  const labels = new Array<number>(n).fill(0);
  let best = Infinity;
  const clusterCost = (members: number[]): number => {
    if (members.length === 0) return 0;
    if (rule === 'mean') {
      const m = members.reduce((a, b) => a + b, 0) / members.length;
      return members.reduce((s, v) => s + (v - m) ** 2, 0);
    }
    let b = Infinity;
    for (let c = Math.min(...members); c <= Math.max(...members); c++) b = Math.min(b, members.reduce((s, v) => s + (v - c) ** 2, 0));
    return b;
  };
  const visit = (i: number): void => {
    if (i === n) {
      let s = 0;
      for (let c = 0; c < k; c++) s += clusterCost(values.filter((_, j) => labels[j] === c));
      best = Math.min(best, s);
      return;
    }
    for (let c = 0; c < k; c++) {
      labels[i] = c;
      visit(i + 1);
    }
  };
  visit(0);
  return best;
}

/** SSE of the values around the centroid the clustering gives their bin. */
function sseOf(values: readonly number[], k: number, rule: CentroidRule): { dp: number; recomputed: number } {
  const h = histogramOf(values);
  const c = kmeans1d(h, k, rule);
  const centroidOf = new Map<number, number>();
  c.ends.forEach((e, ci) => {
    for (let b = ci === 0 ? 0 : c.ends[ci - 1]!; b < e; b++) centroidOf.set(h.values[b]!, c.centroids[ci]!);
  });
  return { dp: c.sse, recomputed: values.reduce((s, v) => s + (v - centroidOf.get(v)!) ** 2, 0) };
}

describe('equals brute force on small inputs', () => {
  const rng = createRng(7);
  for (let trial = 0; trial < 40; trial++) {
    const n = 3 + (trial % 5); // 3..7 values
    const ints = Array.from({ length: n }, () => Math.floor(rng.float() * 12) - 4);
    const floats = Array.from({ length: n }, () => Math.round(rng.float() * 1000) / 100 - 3);
    for (const k of [1, 2, 3]) {
      const distinctInts = new Set(ints).size, distinctFloats = new Set(floats).size;
      if (k <= distinctInts)
        test(`integer centroids, trial ${trial}, k=${k}: ${ints.join(' ')}`, () => {
          const { dp, recomputed } = sseOf(ints, k, 'integer');
          expect(dp).toBe(bruteForce(ints, k, 'integer'));
          expect(recomputed).toBe(dp);
        });
      if (k <= distinctFloats)
        test(`mean centroids, trial ${trial}, k=${k}`, () => {
          const { dp, recomputed } = sseOf(floats, k, 'mean');
          expect(dp).toBeCloseTo(bruteForce(floats, k, 'mean'), 9);
          expect(recomputed).toBeCloseTo(dp, 9);
        });
    }
  }
});

test('integer centroids differ from rounded means when rounding matters: {0, 1} {3} in 2 clusters', () => {
  // Means 0.5 and 3: integer centroids 1 (halves up) and 3 cost 1; {0} {1, 3} costs 2 around 2. Worked by hand.
  const c = kmeans1d(histogramOf([0, 1, 3]), 2, 'integer');
  expect(c.sse).toBe(1);
  expect(c.centroids).toEqual([1, 3]);
});

test('divide and conquer (float values) equals a plain O(k n^2) DP on 300 values', () => {
  const rng = createRng(3);
  const values = Array.from({ length: 300 }, () => (rng.float() - 0.5) * (rng.float() < 0.2 ? 4 : 1));
  const h = histogramOf(values);
  const n = h.values.length;
  const cost = (i: number, j: number) => {
    let w = 0, s = 0, q = 0;
    for (let b = i; b < j; b++) [w, s, q] = [w + h.counts[b]!, s + h.counts[b]! * h.values[b]!, q + h.counts[b]! * h.values[b]! ** 2];
    return q - (s * s) / w;
  };
  const ks = [1, 2, 3, 5, 8, 16, 40];
  const got = kmeans1dMany(h, ks, 'mean');
  let prev = Array.from({ length: n + 1 }, (_, j) => (j === 0 ? 0 : Infinity));
  for (let k = 1; k <= 40; k++) {
    const cur = prev.map((_, j) => {
      let b = Infinity;
      for (let i = k - 1; i < j; i++) b = Math.min(b, prev[i]! + cost(i, j));
      return b;
    });
    prev = cur;
    const at = ks.indexOf(k);
    if (at >= 0) expect(got[at]!.sse, `k=${k}`).toBeCloseTo(cur[n]!, 8);
  }
});

test('k equal to the number of distinct values is lossless', () => {
  const values = [5, 5, 9, 1, 1, 1, 200, 9];
  const c = kmeans1d(histogramOf(values), 4, 'integer');
  expect(c.sse).toBe(0);
  expect(c.centroids).toEqual([1, 5, 9, 200]);
});

test('a cluster count of 0, or above the number of distinct values, is a clear error', () => {
  const h = histogramOf([1, 2, 3]);
  expectUserError(() => kmeans1d(h, 0, 'integer'), 'E_USAGE', 'cannot make 0 clusters of 3 distinct values');
  expectUserError(() => kmeans1d(h, 4, 'mean'), 'E_USAGE', 'from 1 to 3');
});
