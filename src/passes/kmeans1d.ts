/** Exact 1-D k-means by dynamic programming (the method of Wang & Song, "Ckmeans.1d.dp", R Journal 2011), for weight
 *  sharing. Not Lloyd's iterations: in one dimension an optimal clustering is a partition of the sorted values into
 *  contiguous runs (each value goes to its nearest centroid, and nearest-centroid cells on a line are intervals), so
 *  D[k][j] = min_i D[k-1][i-1] + cost(i..j) over a weighted histogram of the distinct values finds the optimum.
 *  Two centroid rules:
 *  - 'mean' (float weights): a cluster's centroid is its weighted mean; cost = sum w (x - mean)^2. This cost obeys
 *    the quadrangle inequality, so the optimal split point is monotone in j and each DP row is computed by divide and
 *    conquer in O(n log n) (O(K n log n) in all).
 *  - 'integer' (weight codes): the centroid must be an integer; the integer minimising sum w (x - c)^2 is the one
 *    nearest the mean (sum w (x - c)^2 = SSE(mean) + W (c - mean)^2), taken as round(mean) with halves up. The DP
 *    charges exactly that cost, so the result is the optimum over integer centroids. The rounding term can break the
 *    quadrangle inequality, so rows are computed by the plain O(n^2) scan (O(K n^2): for 8-bit codes n <= 256);
 *    above INTEGER_EXACT_LIMIT distinct values (codes wider than 12 bits) it falls back to divide and conquer, which
 *    is then a close approximation and no longer a proven optimum. */
import { userError } from '../errors.js';

export type CentroidRule = 'mean' | 'integer';

/** Distinct values in increasing order with their multiplicities. */
export interface Histogram {
  readonly values: Float64Array;
  readonly counts: Float64Array;
}

export interface Clustering1d {
  /** One centroid per cluster, increasing. */
  readonly centroids: number[];
  /** Sum over all values of (value - its centroid)^2, multiplicities counted. */
  readonly sse: number;
  /** Exclusive end (histogram index) of each cluster: cluster c holds bins [ends[c-1] ?? 0, ends[c]). */
  readonly ends: number[];
}

/** Above this many distinct integer values the integer rule uses divide and conquer (see the header). */
export const INTEGER_EXACT_LIMIT = 4096;

export function histogramOf(values: ArrayLike<number>): Histogram {
  const sorted = Float64Array.from(values).sort();
  const v: number[] = [], c: number[] = [];
  for (let i = 0; i < sorted.length; i++) {
    if (v.length > 0 && v[v.length - 1] === sorted[i]) c[c.length - 1]!++;
    else {
      v.push(sorted[i]!);
      c.push(1);
    }
  }
  return { values: Float64Array.from(v), counts: Float64Array.from(c) };
}

/** Prefix sums of the histogram, shifted by the median value to keep sum w x^2 - (sum w x)^2 / W accurate. */
class IntervalCost {
  private readonly w: Float64Array;
  private readonly s: Float64Array;
  private readonly q: Float64Array;
  private readonly shift: number;

  constructor(h: Histogram, private readonly rule: CentroidRule) {
    const n = h.values.length;
    this.shift = rule === 'integer' ? 0 : n > 0 ? h.values[n >> 1]! : 0;
    [this.w, this.s, this.q] = [new Float64Array(n + 1), new Float64Array(n + 1), new Float64Array(n + 1)];
    for (let i = 0; i < n; i++) {
      const x = h.values[i]! - this.shift, c = h.counts[i]!;
      this.w[i + 1] = this.w[i]! + c;
      this.s[i + 1] = this.s[i]! + c * x;
      this.q[i + 1] = this.q[i]! + c * x * x;
    }
  }

  /** Centroid of bins [i, j). */
  centroid(i: number, j: number): number {
    const mean = (this.s[j]! - this.s[i]!) / (this.w[j]! - this.w[i]!);
    return this.rule === 'integer' ? Math.round(mean) : mean + this.shift;
  }

  /** Cost of bins [i, j) around their centroid (integer arithmetic, exact, for the integer rule). */
  cost(i: number, j: number): number {
    const W = this.w[j]! - this.w[i]!, S = this.s[j]! - this.s[i]!, Q = this.q[j]! - this.q[i]!;
    if (this.rule === 'integer') {
      const c = Math.round(S / W);
      return Q - 2 * c * S + c * c * W;
    }
    return Math.max(0, Q - (S * S) / W);
  }
}

/** Optimal clusterings of the histogram for every cluster count in `ks` (each between 1 and the number of distinct
 *  values), from one DP table of max(ks) rows. */
export function kmeans1dMany(h: Histogram, ks: readonly number[], rule: CentroidRule): Clustering1d[] {
  const n = h.values.length;
  for (const k of ks)
    if (!(Number.isInteger(k) && k >= 1 && k <= n)) throw userError('E_USAGE', `cannot make ${k} clusters of ${n} distinct values; the cluster count must be an integer from 1 to ${n}`);
  const kMax = Math.max(0, ...ks);
  const cost = new IntervalCost(h, rule);
  // prev[j] / cur[j]: best cost of bins [0, j) in k-1 / k clusters; from[k][j]: where the last cluster starts.
  let prev = new Float64Array(n + 1).fill(Infinity);
  prev[0] = 0;
  const from: Int32Array[] = [];
  const exactScan = rule === 'integer' && n <= INTEGER_EXACT_LIMIT;
  for (let k = 1; k <= kMax; k++) {
    const cur = new Float64Array(n + 1).fill(Infinity);
    const arg = new Int32Array(n + 1);
    // Bins [0, j) in k clusters need j >= k; the last cluster is [i, j) with i >= k - 1.
    const best = (j: number, lo: number, hi: number) => {
      let b = Infinity, at = lo;
      for (let i = lo; i <= hi; i++) {
        const v = prev[i]! + cost.cost(i, j);
        if (v < b) [b, at] = [v, i];
      }
      cur[j] = b;
      arg[j] = at;
    };
    if (exactScan) for (let j = k; j <= n; j++) best(j, k - 1, j - 1);
    else {
      // Divide and conquer: the optimal start of the last cluster is non-decreasing in j.
      const solve = (jLo: number, jHi: number, iLo: number, iHi: number): void => {
        if (jLo > jHi) return;
        const j = (jLo + jHi) >> 1;
        best(j, Math.max(iLo, k - 1), Math.min(iHi, j - 1));
        solve(jLo, j - 1, iLo, arg[j]!);
        solve(j + 1, jHi, arg[j]!, iHi);
      };
      solve(k, n, k - 1, n - 1);
    }
    from.push(arg);
    prev = cur;
  }
  return ks.map((k) => {
    const ends: number[] = [];
    let j = n;
    for (let r = k; r >= 1; r--) {
      ends.push(j);
      j = from[r - 1]![j]!;
    }
    ends.reverse();
    let sse = 0;
    const centroids = ends.map((e, c) => {
      const s = c === 0 ? 0 : ends[c - 1]!;
      sse += cost.cost(s, e);
      return cost.centroid(s, e);
    });
    return { centroids, sse, ends };
  });
}

export function kmeans1d(h: Histogram, k: number, rule: CentroidRule): Clustering1d {
  return kmeans1dMany(h, [k], rule)[0]!;
}
