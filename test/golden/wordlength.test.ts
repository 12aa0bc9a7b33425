/** The word-length-tuned Conv and Gemm kernels against an independent BigInt reference written from
 *  ir/arithmetic.md section 6: fixed point on integer codes (every rounding mode, both accumulator overflow modes,
 *  accumulators narrower than the products), custom float on exact rationals (subnormals on and off, saturation,
 *  a wide-spread case where float64 sums are inexact and the double-rounding argument matters). */
import { describe, expect, test } from 'vitest';
import { floatFormat, type FixedFormat, type FixedRounding, type FloatFormat } from '../../src/ir/numformats.js';
import { tunedConv, tunedGemm } from '../../src/golden/wordlength/linear.js';
import type { ConvNode, GemmNode, LayerFormats, Tensor } from '../../src/ir/types.js';
import { makeTensor } from '../../src/ir/types.js';
import { inferOutputs } from '../../src/ir/shapes.js';
import { big, codeOf, convFixtureTerms, EXACT_SHIFT, fl, type FormatCase, frac, fx, overflow, randomTensor, roundExact, roundShift, seededUniform } from '../helpers/exact-formats.js';

const rng = seededUniform;

// ---- fixed-point reference on BigInt codes ----

/** One output: bias, then products in order, then the output cast; returns the output value. */
function fixedOutput(xs: number[], ws: number[], bias: number, A: FixedFormat, W: FixedFormat, B: FixedFormat, C: FixedFormat, O: FixedFormat): number {
  let acc = overflow(roundShift(codeOf(bias, B), frac(B) - frac(C), C.rounding), C);
  for (let k = 0; k < xs.length; k++) {
    const p = codeOf(xs[k]!, A) * codeOf(ws[k]!, W);
    acc = overflow(acc + roundShift(p, frac(A) + frac(W) - frac(C), C.rounding), C);
  }
  const y = overflow(roundShift(acc, frac(C) - frac(O), O.rounding), O);
  return Number(y) * 2 ** (O.intBits - O.width);
}

// ---- custom-float reference on exact rationals: value = n * 2^-S ----
// Overflow in these cases saturates (the tests use saturating formats).
const saturates = (f: FloatFormat) => expect(f.overflow).toBe('saturate');
function floatOutput(xs: number[], ws: number[], bias: number, C: FloatFormat, O: FloatFormat): number {
  let acc = roundExact(big(bias), C, saturates);
  for (let k = 0; k < xs.length; k++) {
    const p = (big(xs[k]!) * big(ws[k]!)) >> EXACT_SHIFT; // exact (asserted below)
    expect((p << EXACT_SHIFT) === big(xs[k]!) * big(ws[k]!)).toBe(true);
    acc = roundExact(acc + roundExact(p, C, saturates), C, saturates);
  }
  const y = roundExact(acc, O, saturates);
  return Number(y) / 2 ** Number(EXACT_SHIFT); // exact: y has at most 24 significant bits
}

type Case = FormatCase;

const ROUNDINGS: FixedRounding[] = ['truncate', 'half-up', 'half-even'];
const FIXED_CASES: Case[] = ROUNDINGS.flatMap((rounding) =>
  (['wrap', 'saturate'] as const).flatMap((overflowMode) => [
    // Accumulator LSB 2^-6 above the product's 2^-8: every product is rounded; 10 bits overflow often.
    { name: `${rounding} ${overflowMode} narrow`, A: fx(6, 2), f: { weight: fx(5, 1), bias: fx(8, 3), accumulator: fx(10, 4, { rounding, overflow: overflowMode }), activation: fx(6, 3, { rounding }) } },
    // Wide accumulator: exact products, one output cast (unsigned output saturates negatives to 0).
    { name: `${rounding} ${overflowMode} wide`, A: fx(6, 2, { signed: false }), f: { weight: fx(5, 1), bias: fx(9, 2), accumulator: fx(20, 8, { rounding, overflow: overflowMode }), activation: fx(5, 2, { signed: false, rounding }) } },
  ]),
);
const FLOAT_CASES: Case[] = [
  { name: 'float<3,2> accumulator, subnormals', A: fl(3, 2), f: { weight: fl(4, 3), bias: fl(4, 3), accumulator: fl(3, 2), activation: fl(3, 2) } },
  { name: 'no subnormals', A: fl(3, 3, { subnormals: false }), f: { weight: fl(4, 2, { subnormals: false }), bias: fl(3, 4), accumulator: fl(4, 3, { subnormals: false }), activation: fl(3, 1, { subnormals: false }) } },
  { name: 'ieee formats, e4m3 and e5m2', A: floatFormat(4, 3, { specials: 'fn' }), f: { weight: floatFormat(5, 2), bias: fl(5, 5), accumulator: fl(5, 6), activation: floatFormat(4, 3, { specials: 'fn' }) } },
  // Products of up to 24 bits over 2^-60..2^40 into a 24-bit-mantissa accumulator: float64 sums are often inexact.
  { name: 'wide spread, 24-bit accumulator', A: fl(7, 11, { bias: 40 }), f: { weight: fl(7, 11, { bias: 30 }), bias: floatFormat(8, 20), accumulator: floatFormat(6, 24, { specials: 'none', bias: 20 }), activation: floatFormat(8, 23) } },
];

function conv(seed: number, c: Case): void {
  const r = rng(seed);
  const node: ConvNode = { name: 'c', op: 'Conv', inputs: ['x', 'w', 'b'], outputs: ['y'], attrs: { kernelShape: [3, 3], strides: [2, 1], pads: [1, 0, 1, 1], dilations: [1, 1], group: 2, formats: c.f } };
  const x = randomTensor([1, 4, 5, 6], c.A, r), w = randomTensor([6, 2, 3, 3], c.f.weight, r), b = randomTensor([6], c.f.bias, r);
  const info = (n: string, t: Tensor) => ({ name: n, dtype: t.dtype, shape: t.shape });
  const outShape = inferOutputs(node, [info('x', x), info('w', w), info('b', b)])[0]!.shape;
  const y = tunedConv(node, c.f, x, w, b, outShape);
  const [, , OH, OW] = outShape as [number, number, number, number];
  const bad: string[] = [];
  for (let m = 0; m < 6; m++)
    for (let oy = 0; oy < OH; oy++)
      for (let ox = 0; ox < OW; ox++) {
        const { xs, ws } = convFixtureTerms(x.data, w.data, m, oy, ox);
        const want = reference(c, xs, ws, b.data[m]!);
        const got = y.data[(m * OH + oy) * OW + ox]!;
        if (!Object.is(got, want) && got !== want) bad.push(`m${m} (${oy},${ox}): ${got} != ${want}`);
      }
  expect(bad.slice(0, 5)).toEqual([]);
}

function gemm(seed: number, c: Case, transB: boolean): void {
  const r = rng(seed);
  const node: GemmNode = { name: 'g', op: 'Gemm', inputs: ['a', 'b', 'c'], outputs: ['y'], attrs: { alpha: 1, beta: 1, transA: false, transB, formats: c.f } };
  const a = randomTensor([3, 17], c.A, r), b = randomTensor(transB ? [5, 17] : [17, 5], c.f.weight, r), bias = randomTensor([5], c.f.bias, r);
  const y = tunedGemm(node, c.f, a, b, bias, [3, 5]);
  for (let i = 0; i < 3; i++)
    for (let j = 0; j < 5; j++) {
      const xs = Array.from({ length: 17 }, (_, k) => a.data[i * 17 + k]!);
      const ws = Array.from({ length: 17 }, (_, k) => b.data[transB ? j * 17 + k : k * 5 + j]!);
      expect(y.data[i * 5 + j], `(${i},${j})`).toBe(reference(c, xs, ws, bias.data[j]!));
    }
}

function reference(c: Case, xs: number[], ws: number[], bias: number): number {
  const { weight, bias: B, accumulator, activation } = c.f;
  if (accumulator.kind === 'fixed') return fixedOutput(xs, ws, bias, c.A as FixedFormat, weight as FixedFormat, B as FixedFormat, accumulator, activation as FixedFormat);
  return floatOutput(xs, ws, bias, accumulator, activation as FloatFormat);
}

describe('fixed-point layers = BigInt codes (ir/arithmetic.md 6.1)', () => {
  test.each(FIXED_CASES.map((c) => [c.name, c] as const))('Conv, %s', (_, c) => {
    for (let seed = 1; seed <= 4; seed++) conv(seed, c);
  });
  test.each(FIXED_CASES.map((c) => [c.name, c] as const))('Gemm, %s', (_, c) => {
    for (let seed = 1; seed <= 4; seed++) for (const t of [true, false]) gemm(seed, c, t);
  });
  test('hand-worked: 0.75 * 0.5 + 0.3125 * 0.75 into fixed<8,4> truncating (LSB 1/16)', () => {
    const f: LayerFormats = { weight: fx(8, 2), bias: fx(8, 2), accumulator: fx(8, 4, { rounding: 'truncate', overflow: 'wrap' }), activation: fx(8, 4) };
    const node: GemmNode = { name: 'g', op: 'Gemm', inputs: [], outputs: [], attrs: { alpha: 1, beta: 1, transA: false, transB: true, formats: f } };
    const t = (shape: number[], v: number[]) => makeTensor('float32', shape, Float32Array.from(v));
    // products 0.375 = 6/16 exactly and 0.234375 = 3.75/16 -> 3/16 truncated; bias 0: 9/16
    expect(tunedGemm(node, f, t([1, 2], [0.75, 0.3125]), t([1, 2], [0.5, 0.75]), t([1], [0]), [1, 1]).data[0]).toBe(9 / 16);
  });
});

describe('custom-float layers = exact rationals (ir/arithmetic.md 6.2)', () => {
  test.each(FLOAT_CASES.map((c) => [c.name, c] as const))('Conv, %s', (_, c) => {
    for (let seed = 1; seed <= 4; seed++) conv(seed, c);
  });
  test.each(FLOAT_CASES.map((c) => [c.name, c] as const))('Gemm, %s', (_, c) => {
    for (let seed = 1; seed <= 6; seed++) for (const t of [true, false]) gemm(seed, c, t);
  });
});
