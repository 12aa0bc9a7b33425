/** How a tensor's quantization range is chosen from its calibration histogram (activations) or its values (weights).
 *  - minmax: the observed range.
 *  - percentile: the range that leaves out at most PERCENTILE (0.01 %) of the values at each end.
 *  - mse: the clipping range that minimises the expected squared error (rounding error inside, clipping error outside),
 *    searched over 100 candidate ranges shrinking from the observed one.
 *  - kl: the TensorRT entropy method: the clipping threshold whose quantized distribution (over the code levels) has
 *    the smallest KL divergence from the observed one.
 *  The range always contains 0 (chooseQuantParams widens it), so zero is an exact code. */
import { chooseQuantParams, quantize, dequantize, type QuantScheme } from '../ir/arith.js';
import type { TensorStats } from './calibrate.js';

export type RangeMethod = 'minmax' | 'percentile' | 'mse' | 'kl';
export const RANGE_METHODS: readonly RangeMethod[] = ['minmax', 'percentile', 'mse', 'kl'];
export type WeightRangeMethod = 'minmax' | 'mse';

/** Fraction of values left outside the range at each end by the percentile method. */
export const PERCENTILE = 1e-4;

export interface Range {
  readonly min: number;
  readonly max: number;
}

function binCenter(s: TensorStats, i: number): number {
  return s.min + ((i + 0.5) * (s.max - s.min)) / s.histogram.length;
}

export function activationRange(s: TensorStats, method: RangeMethod, bits: number, scheme: QuantScheme): Range {
  if (!(s.max > s.min)) return { min: s.min, max: s.max };
  switch (method) {
    case 'minmax':
      return { min: s.min, max: s.max };
    case 'percentile':
      return percentileRange(s);
    case 'mse':
      return bestOf(s, (r) => histogramMse(s, r, bits, scheme));
    case 'kl':
      return klRange(s, bits, scheme);
  }
}

function percentileRange(s: TensorStats): Range {
  const h = s.histogram, cut = s.count * PERCENTILE;
  let acc = 0, lo = 0, hi = h.length - 1;
  while (lo < h.length - 1 && acc + h[lo]! <= cut) acc += h[lo++]!;
  acc = 0;
  while (hi > lo && acc + h[hi]! <= cut) acc += h[hi--]!;
  const w = (s.max - s.min) / h.length;
  return { min: lo === 0 ? s.min : s.min + lo * w, max: hi === h.length - 1 ? s.max : s.min + (hi + 1) * w };
}

/** Candidate ranges: the observed range shrunk by factors 1, 0.99, ..., 0.01 toward zero on both sides. */
function candidates(min: number, max: number): Range[] {
  return Array.from({ length: 100 }, (_, i) => ({ min: (min * (100 - i)) / 100, max: (max * (100 - i)) / 100 }));
}

function bestOf(s: Pick<TensorStats, 'min' | 'max'>, cost: (r: Range) => number): Range {
  let best = { min: s.min, max: s.max }, bestCost = Infinity;
  for (const r of candidates(s.min, s.max)) {
    const c = cost(r);
    if (c < bestCost) [best, bestCost] = [r, c];
  }
  return best;
}

/** Expected squared quantization error of the histogram's values (bin centres) under range r. */
function histogramMse(s: TensorStats, r: Range, bits: number, scheme: QuantScheme): number {
  const q = chooseQuantParams(r.min, r.max, bits, scheme);
  let e = 0;
  for (let i = 0; i < s.histogram.length; i++) {
    const n = s.histogram[i]!;
    if (n === 0) continue;
    const v = binCenter(s, i), d = dequantize(quantize(v, q), q) - v;
    e += n * d * d;
  }
  return e;
}

/** Squared error of quantizing `values` under range r (weights: all values, no histogram). */
export function valuesMse(values: ArrayLike<number>, r: Range, bits: number, scheme: QuantScheme): number {
  const q = chooseQuantParams(r.min, r.max, bits, scheme);
  let e = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!, d = dequantize(quantize(v, q), q) - v;
    e += d * d;
  }
  return e;
}

export function weightRange(values: ArrayLike<number>, method: WeightRangeMethod, bits: number, scheme: QuantScheme): Range {
  let min = Infinity, max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    min = Math.min(min, values[i]!);
    max = Math.max(max, values[i]!);
  }
  if (values.length === 0) return { min: 0, max: 0 };
  if (method === 'minmax' || !(max > min)) return { min, max };
  return bestOf({ min, max }, (r) => valuesMse(values, r, bits, scheme));
}

/** KL-divergence calibration (TensorRT's entropy method), over thresholds on |x| for signed data or on the upper end
 *  for non-negative data: the observed distribution clipped at the threshold is compared with its version merged
 *  into the 2^bits code levels. */
function klRange(s: TensorStats, bits: number, scheme: QuantScheme): Range {
  const h = s.histogram, nb = h.length, w = (s.max - s.min) / nb;
  // Code levels per side: all of them for one-sided data, half for data on both sides of zero (either scheme).
  const oneSided = s.min >= 0 || s.max <= 0;
  const levels = oneSided ? 2 ** bits - 1 : Math.floor((2 ** bits - 1) / 2);
  void scheme;
  const zeroBin = Math.max(0, Math.min(nb - 1, Math.floor(-s.min / w)));
  // Fold the histogram onto distance from zero (for one-sided data this is the histogram itself).
  const span = Math.max(zeroBin, nb - zeroBin);
  const mag = new Float64Array(span);
  for (let i = 0; i < nb; i++) {
    const d = i >= zeroBin ? i - zeroBin : zeroBin - 1 - i;
    if (d < span) mag[d] = mag[d]! + h[i]!;
  }
  // The bin holding exact zeros (ReLU outputs, black pixels) is left out of the comparison: it is quantized exactly
  // whatever the threshold, and its spike would otherwise dominate the divergence.
  mag[0] = 0;
  let bestT = span, bestKl = Infinity;
  for (let t = Math.min(levels, span); t <= span; t += Math.max(1, Math.floor(span / 256))) {
    // P: the distribution clipped at t, outliers folded into its last bin; Q: the bins below t (without the
    // outliers) merged into the code levels and spread back. At small t the outlier mass makes P and Q differ.
    const raw = Array.from(mag.subarray(0, t));
    const p = [...raw];
    let outliers = 0;
    for (let i = t; i < span; i++) outliers += mag[i]!;
    p[t - 1] = p[t - 1]! + outliers;
    const kl = divergence(p, raw, levels);
    if (kl < bestKl) [bestKl, bestT] = [kl, t];
  }
  const limit = bestT * w;
  return { min: Math.max(s.min, -limit), max: Math.min(s.max, limit) };
}

/** KL(P || Q), Q = `raw` merged into `levels` groups and spread back over each group's non-empty bins (both
 *  normalised; a bin where P has mass and Q has none costs as if Q held a tiny epsilon). */
function divergence(p: number[], raw: number[], levels: number): number {
  const n = p.length;
  const q = new Array<number>(n).fill(0);
  for (let g = 0; g < levels; g++) {
    const a = Math.floor((g * n) / levels), b = Math.floor(((g + 1) * n) / levels);
    let sum = 0, nonzero = 0;
    for (let i = a; i < b; i++) if (raw[i]! > 0) (sum += raw[i]!), nonzero++;
    for (let i = a; i < b; i++) if (raw[i]! > 0) q[i] = sum / nonzero;
  }
  const pt = p.reduce((a, b) => a + b, 0), qt = q.reduce((a, b) => a + b, 0);
  if (pt === 0 || qt === 0) return pt === 0 ? 0 : Infinity;
  let kl = 0;
  for (let i = 0; i < n; i++) if (p[i]! > 0) kl += (p[i]! / pt) * Math.log(p[i]! / pt / Math.max(q[i]! / qt, 1e-12));
  return kl;
}
