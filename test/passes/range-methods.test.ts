import { expect, test } from 'vitest';
import { HISTOGRAM_BINS, type TensorStats } from '../../src/passes/calibrate.js';
import { activationRange, valuesMse, weightRange } from '../../src/passes/range-methods.js';
import { seeded } from '../helpers/onnx-builder.js';

/** Histogram statistics of a list of values, as calibrate() builds them. */
function statsOf(values: ArrayLike<number>): TensorStats {
  let min = Infinity, max = -Infinity;
  for (let i = 0; i < values.length; i++) [min, max] = [Math.min(min, values[i]!), Math.max(max, values[i]!)];
  const histogram = new Float64Array(HISTOGRAM_BINS);
  for (let i = 0; i < values.length; i++) histogram[Math.min(HISTOGRAM_BINS - 1, Math.floor(((values[i]! - min) / (max - min)) * HISTOGRAM_BINS))]!++;
  return { min, max, histogram, count: values.length };
}

/** ReLU-like activations: |normal| (Box-Muller from seeded uniforms) plus a few far outliers. */
function reluData(n: number, outliers: number): Float64Array {
  const u = seeded(11, 2 * n).map((v) => (v + 1) / 2);
  const out = new Float64Array(n + outliers);
  for (let i = 0; i < n; i++) out[i] = Math.abs(Math.sqrt(-2 * Math.log(u[2 * i]! + 1e-12)) * Math.cos(2 * Math.PI * u[2 * i + 1]!));
  for (let i = 0; i < outliers; i++) out[n + i] = 40 + i;
  return out;
}

test('minmax keeps the observed range', () => {
  expect(activationRange(statsOf([0, 1, 2, 5]), 'minmax', 8, 'unsigned')).toEqual({ min: 0, max: 5 });
});

test('percentile and KL clip far outliers that minmax keeps; the bulk stays inside; MSE beats minmax on its criterion', () => {
  const data = reluData(100000, 5);
  const s = statsOf(data);
  for (const method of ['percentile', 'kl'] as const) {
    const r = activationRange(s, method, 8, 'unsigned');
    expect(r.max, method).toBeLessThan(20); // outliers at 40+ are clipped
    expect(r.max, method).toBeGreaterThan(2.5); // ~99% of |N(0,1)| lies below 2.58
    expect(r.min).toBeCloseTo(s.min, 9);
  }
  // MSE: five outliers at 40+ cost more clipped than the rounding error they cause, so it may keep them; at 4 bits
  // the rounding error dominates and it clips. Either way its choice has no larger squared error than min/max.
  for (const bits of [8, 4]) {
    const mse = activationRange(s, 'mse', bits, 'unsigned');
    expect(valuesMse(data, mse, bits, 'unsigned')).toBeLessThanOrEqual(valuesMse(data, { min: s.min, max: s.max }, bits, 'unsigned'));
  }
  expect(activationRange(s, 'mse', 4, 'unsigned').max).toBeLessThan(20);
});

test('weight MSE range shrinks for heavy tails and never grows', () => {
  const w = Float64Array.from(reluData(5000, 2), (v, i) => (i % 2 ? v : -v));
  const mm = weightRange(w, 'minmax', 4, 'signed'), mse = weightRange(w, 'mse', 4, 'signed');
  expect(mse.max).toBeLessThan(mm.max);
  expect(valuesMse(w, mse, 4, 'signed')).toBeLessThan(valuesMse(w, mm, 4, 'signed'));
});
