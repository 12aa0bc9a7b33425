/** Reduction lanes of word-length-tuned layers (ir/arithmetic.md 6, "Reduction lanes"): the Conv and Gemm kernels at
 *  S = reductionLanes against a straightforward reference written here from the spec with plain loops (fixed point on
 *  BigInt codes, custom float on exact rationals): lane s sums taps [s*Kc, min(K, (s+1)*Kc)) from the bias (lane 0) or
 *  0, then the lanes are added left to right in the accumulator's arithmetic. K not divisible by S, an empty last
 *  lane, and S > K are covered; wrap gives the S = 1 result at every S, saturate and float do not. */
import { describe, expect, test } from 'vitest';
import { type FixedFormat, type FixedRounding, type FloatFormat } from '../../src/ir/numformats.js';
import { tunedConv, tunedGemm } from '../../src/golden/wordlength/linear.js';
import type { ConvNode, GemmNode, LayerFormats, Tensor } from '../../src/ir/types.js';
import { makeTensor } from '../../src/ir/types.js';
import { inferOutputs } from '../../src/ir/shapes.js';
import { big, codeOf, convFixtureTerms, EXACT_SHIFT, fl, type FormatCase, frac, fx, overflow, randomTensor, roundExact, roundShift } from '../helpers/exact-formats.js';


// ---- the reference: one output from its K (activation, weight) pairs, S lanes, plain loops ----

/** The lanes' term ranges: lane s holds [s*Kc, min(K, (s+1)*Kc)), possibly empty. */
function laneRanges(K: number, S: number): [number, number][] {
  const kc = Math.ceil(K / S);
  return Array.from({ length: S }, (_, s) => [Math.min(K, s * kc), Math.min(K, (s + 1) * kc)]);
}

function fixedRef(xs: number[], ws: number[], bias: number, A: FixedFormat, c: LayerFormats, S: number): number {
  const [W, B, C, O] = [c.weight, c.bias, c.accumulator, c.activation] as FixedFormat[];
  const lanes = laneRanges(xs.length, S).map(([k0, k1], s) => {
    let acc = s === 0 ? overflow(roundShift(codeOf(bias, B!), frac(B!) - frac(C!), C!.rounding), C!) : 0n;
    for (let k = k0; k < k1; k++) acc = overflow(acc + roundShift(codeOf(xs[k]!, A) * codeOf(ws[k]!, W!), frac(A) + frac(W!) - frac(C!), C!.rounding), C!);
    return acc;
  });
  let acc = lanes[0]!;
  for (let s = 1; s < S; s++) acc = overflow(acc + lanes[s]!, C!);
  return Number(overflow(roundShift(acc, frac(C!) - frac(O!), O!.rounding), O!)) * 2 ** (O!.intBits - O!.width);
}

// Custom float on exact rationals n * 2^-400 (formats without specials, saturating).
function floatRef(xs: number[], ws: number[], bias: number, c: LayerFormats, S: number): number {
  const C = c.accumulator as FloatFormat;
  const lanes = laneRanges(xs.length, S).map(([k0, k1], s) => {
    let acc = s === 0 ? roundExact(big(bias), C) : 0n;
    for (let k = k0; k < k1; k++) acc = roundExact(acc + roundExact((big(xs[k]!) * big(ws[k]!)) >> EXACT_SHIFT, C), C);
    return acc;
  });
  let acc = lanes[0]!;
  for (let s = 1; s < S; s++) acc = roundExact(acc + lanes[s]!, C);
  return Number(roundExact(acc, c.activation as FloatFormat)) / 2 ** Number(EXACT_SHIFT);
}

type Case = FormatCase;
const narrow = (rounding: FixedRounding, o: 'wrap' | 'saturate'): Case => ({
  name: `fixed ${rounding} ${o}`, A: fx(6, 2), f: { weight: fx(5, 1), bias: fx(8, 3), accumulator: fx(9, 3, { rounding, overflow: o }), activation: fx(7, 3, { rounding }) },
});
const SATURATE = [narrow('truncate', 'saturate'), narrow('half-even', 'saturate')];
const WRAP = [narrow('truncate', 'wrap'), narrow('half-up', 'wrap')];
const FLOAT: Case[] = [
  { name: 'float<3,2> accumulator, subnormals', A: fl(3, 2), f: { weight: fl(4, 3), bias: fl(4, 3), accumulator: fl(3, 2), activation: fl(3, 2) } },
  { name: 'float<4,3> accumulator, no subnormals', A: fl(3, 3, { subnormals: false }), f: { weight: fl(4, 2, { subnormals: false }), bias: fl(3, 4), accumulator: fl(4, 3, { subnormals: false }), activation: fl(3, 3, { subnormals: false }) } },
];

const ref = (c: Case, xs: number[], ws: number[], b: number, S: number) => (c.f.accumulator.kind === 'fixed' ? fixedRef(xs, ws, b, c.A as FixedFormat, c.f, S) : floatRef(xs, ws, b, c.f, S));
/** Equal values; the rational reference has no -0, so zeros of either sign are equal. */
const same = (a: number, b: number) => a === b || (Number.isNaN(a) && Number.isNaN(b));

/** Conv with K = 2 * 3 * 3 = 18 (group 2, padding): the kernel's outputs at S and S = 1, and the reference's at S. */
function conv(c: Case, S: number, seed: number): { got: number[]; one: number[]; want: number[] } {
  const attrs = { kernelShape: [3, 3], strides: [2, 1], pads: [1, 0, 1, 1], dilations: [1, 1], group: 2, formats: c.f };
  const node: ConvNode = { name: 'c', op: 'Conv', inputs: ['x', 'w', 'b'], outputs: ['y'], attrs: { ...attrs, reductionLanes: S } };
  const x = randomTensor([1, 4, 5, 6], c.A, seed), w = randomTensor([6, 2, 3, 3], c.f.weight, seed + 100), b = randomTensor([6], c.f.bias, seed + 200);
  const info = (n: string, t: Tensor) => ({ name: n, dtype: t.dtype, shape: t.shape });
  const outShape = inferOutputs(node, [info('x', x), info('w', w), info('b', b)])[0]!.shape;
  const y = tunedConv(node, c.f, x, w, b, outShape), y1 = tunedConv({ ...node, attrs }, c.f, x, w, b, outShape);
  const [, , OH, OW] = outShape as [number, number, number, number];
  const want: number[] = [];
  for (let m = 0; m < 6; m++)
    for (let oy = 0; oy < OH; oy++)
      for (let ox = 0; ox < OW; ox++) {
        const { xs, ws } = convFixtureTerms(x.data, w.data, m, oy, ox);
        want.push(ref(c, xs, ws, b.data[m]!, S));
      }
  return { got: Array.from(y.data), one: Array.from(y1.data), want };
}

/** Gemm with K = 17, 3 rows, 5 outputs (transB or not). */
function gemm(c: Case, S: number, seed: number, transB: boolean): { got: number[]; one: number[]; want: number[] } {
  const attrs = { alpha: 1, beta: 1, transA: false, transB, formats: c.f };
  const node: GemmNode = { name: 'g', op: 'Gemm', inputs: ['a', 'b', 'c'], outputs: ['y'], attrs: { ...attrs, reductionLanes: S } };
  const a = randomTensor([3, 17], c.A, seed), b = randomTensor(transB ? [5, 17] : [17, 5], c.f.weight, seed + 100), bias = randomTensor([5], c.f.bias, seed + 200);
  const y = tunedGemm(node, c.f, a, b, bias, [3, 5]), y1 = tunedGemm({ ...node, attrs }, c.f, a, b, bias, [3, 5]);
  const want: number[] = [];
  for (let i = 0; i < 3; i++)
    for (let j = 0; j < 5; j++)
      want.push(ref(c, Array.from({ length: 17 }, (_, k) => a.data[i * 17 + k]!), Array.from({ length: 17 }, (_, k) => b.data[transB ? j * 17 + k : k * 5 + j]!), bias.data[j]!, S));
  return { got: Array.from(y.data), one: Array.from(y1.data), want };
}

// Conv K = 18: S = 4 (Kc 5: 5, 5, 5, 3), 5 (4, 4, 4, 4, 2), 7 (Kc 3: six full lanes and an empty one), 25 > K.
// Gemm K = 17: S = 3 (6, 6, 5), 4 (5, 5, 5, 2), 6 (3 x 5, then 2, and an empty lane), 20 > K.
const CONV_S = [3, 4, 5, 7, 25], GEMM_S = [3, 4, 6, 20];

function check(cases: readonly Case[], onS1: (differs: boolean, c: Case, S: number) => void): void {
  for (const c of cases) {
    for (const S of CONV_S)
      for (let seed = 1; seed <= 3; seed++) {
        const { got, one, want } = conv(c, S, seed);
        expect(got.map((v, i) => (same(v, want[i]!) ? 'ok' : `${i}: ${v} != ${want[i]}`)).filter((s) => s !== 'ok').slice(0, 3), `${c.name} Conv S=${S} seed ${seed}`).toEqual([]);
        onS1(got.some((v, i) => !Object.is(v, one[i])), c, S);
      }
    for (const S of GEMM_S)
      for (let seed = 1; seed <= 3; seed++)
        for (const t of [true, false]) {
          const { got, one, want } = gemm(c, S, seed, t);
          expect(got.map((v, i) => (same(v, want[i]!) ? 'ok' : `${i}: ${v} != ${want[i]}`)).filter((s) => s !== 'ok').slice(0, 3), `${c.name} Gemm S=${S} seed ${seed}`).toEqual([]);
          onS1(got.some((v, i) => !Object.is(v, one[i])), c, S);
        }
  }
}

describe('reduction lanes (ir/arithmetic.md 6) = the plain-loop reference', () => {
  test('fixed point, saturating accumulators: each S is its own order, and S = 3 gives other outputs than S = 1', () => {
    const differs = new Set<string>();
    check(SATURATE, (d, c, S) => d && differs.add(`${c.name} S=${S}`));
    for (const c of SATURATE) expect(differs.has(`${c.name} S=3`), c.name).toBe(true);
  });

  test('fixed point, wrapping accumulators: every S gives the S = 1 result (arithmetic modulo 2^W)', () => {
    check(WRAP, (d, c, S) => expect(d, `${c.name} S=${S}`).toBe(false));
  });

  test('custom float: each S is its own order, and S = 3 gives other outputs than S = 1', () => {
    const differs = new Set<string>();
    check(FLOAT, (d, c, S) => d && differs.add(`${c.name} S=${S}`));
    for (const c of FLOAT) expect(differs.has(`${c.name} S=3`), c.name).toBe(true);
  });

  test('hand-worked: terms 7, 7, -7, -7 and bias 0 into a saturating fixed<4,4> (codes -8..7)', () => {
    // S = 1: 7, 14 -> 7, 0, -7. S = 2 (Kc 2): lane 0 = 7 + 7 -> 7, lane 1 = -7 - 7 -> -8; 7 - 8 = -1.
    // S = 3 (Kc 2): the same two lanes and an empty third: -1 + 0 = -1. S = 4 (Kc 1): 7 + 7 -> 7, 7 - 7 = 0, 0 - 7 = -7.
    const f: LayerFormats = { weight: fx(4, 4), bias: fx(4, 4), accumulator: fx(4, 4, { overflow: 'saturate' }), activation: fx(8, 8) };
    const t = (shape: number[], v: number[]) => makeTensor('float32', shape, Float32Array.from(v));
    const run = (S: number) => tunedGemm({ name: 'g', op: 'Gemm', inputs: [], outputs: [], attrs: { alpha: 1, beta: 1, transA: false, transB: true, formats: f, reductionLanes: S } }, f, t([1, 4], [1, 1, 1, 1]), t([1, 4], [7, 7, -7, -7]), t([1], [0]), [1, 1]).data[0];
    expect([run(1), run(2), run(3), run(4)]).toEqual([-7, -1, -1, -7]);
  });
});
