/** The integer golden model: hand-worked layers (zero points, an approximate table, rounding ties), integer
 *  Conv/Gemm against a float reference on the dequantized values (within one LSB, fast-check), and the table path
 *  against the exact path with an exact table (bit for bit). */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { conv } from '../../src/golden/conv.js';
import { gemm } from '../../src/golden/gemm.js';
import { evalNode } from '../../src/golden/evaluate.js';
import { qaveragePool, qmul, qsum } from '../../src/golden/integer/qelementwise.js';
import { lrnBucket, lrnIndex, qlrn } from '../../src/golden/integer/qlrn.js';
import { lrn } from '../../src/golden/pool.js';
import { lrnAttrs } from '../../src/passes/quantize-lrn.js';
import { qconv, qgemm } from '../../src/golden/integer/qlinear.js';
import { chooseQuantParams, dequantize, quantize, requantizeRef } from '../../src/ir/arith.js';
import { inferOutputs } from '../../src/ir/shapes.js';
import type { CodeQuant, ConvNode, GemmNode, QConvNode, QGemmNode, QMulNode, Tensor } from '../../src/ir/types.js';
import { makeTensor } from '../../src/ir/types.js';
import { quantizeWeights } from '../../src/passes/quantize-linear.js';
import { DEFAULT_LAYER } from '../../src/passes/quantize-config.js';
import { productAttrs } from '../../src/passes/quantize-product.js';
import { exactTable } from '../../src/multipliers/index.js';
import { seeded } from '../helpers/onnx-builder.js';

const t = (dtype: 'int32' | 'uint8', shape: number[], data: number[]): Tensor =>
  makeTensor(dtype, shape, dtype === 'int32' ? Int32Array.from(data) : Uint8Array.from(data));

const linearAttrs = (over: Partial<QGemmNode['attrs']>): QGemmNode['attrs'] => ({
  aZeroPoint: 0, wZeroPoint: [0], mantissa: [2 ** 30], shift: [0], rounding: 'half-away', outZeroPoint: 0, lo: 0, hi: 255,
  accBits: 32, wBits: 8, aScale: 1, wScale: [1], outScale: 1, outType: 'uint8', ...over,
});

describe('hand-worked integer layers', () => {
  test('QGemm with zero points and a table multiplier P(a, w) = a*w + 1', () => {
    // x codes [3, 5] as two batch rows of K = 1; w = 7; za = 2, zw = 4; bias 10; M = 0.5 (mantissa 2^30, shift 0).
    // acc = bias + P(a,w) - zw*a - za*w + za*zw: a=3: 10 + 22 - 12 - 14 + 8 = 14 -> 7 (+zo 1 = 8);
    // a=5: 10 + 36 - 20 - 14 + 8 = 20 -> 10 (+1 = 11). Exact multiplication would give 13 -> 6.5 -> 7 (+1 = 8), 19 -> 9.5 -> 10 (+1 = 11).
    const node: QGemmNode = { name: 'g', op: 'QGemm', inputs: [], outputs: [], attrs: linearAttrs({ aZeroPoint: 2, wZeroPoint: [4], outZeroPoint: 1 }) };
    const table = exactTable(false).map((v) => v + 1);
    const x = t('uint8', [2, 1], [3, 5]), w = t('uint8', [1, 1], [7]), b = t('int32', [1], [10]);
    expect(Array.from(qgemm(node, x, w, b, [2, 1], Int32Array.from(table)).data)).toEqual([8, 11]);
    expect(Array.from(qgemm(node, x, w, b, [2, 1], undefined).data)).toEqual([8, 11]);
    const even = { ...node, attrs: { ...node.attrs, rounding: 'half-even' as const } };
    expect(Array.from(qgemm(even, x, w, b, [2, 1], undefined).data)).toEqual([7, 11]); // 6.5 -> 6, 9.5 -> 10
  });

  test('QConv padding carries the activation zero point through the multiplier', () => {
    // 1x1x1x2 input, codes [5, 6], za = 5 (so real values [0, 1]); 1x3 kernel w = [1, 1, 1] zw = 0; pad 1 each side.
    // Exact: outputs (pad, 5, 6) -> 0 + 0 + 1 = 1 ; (5, 6, pad) -> 0 + 1 + 0 = 1. With P(a,w) = a*w + 1 every tap adds 1:
    // acc = 3*(1) + sum(a*w) - za*sum(w) = 3 + (5+5+6) - 5*3 = 4 for the first, 4 for the second.
    const attrs = { ...linearAttrs({ aZeroPoint: 5, mantissa: [2 ** 30], shift: [-1] }), kernelShape: [1, 3], strides: [1, 1], pads: [0, 1, 0, 1], dilations: [1, 1], group: 1 };
    const node: QConvNode = { name: 'c', op: 'QConv', inputs: [], outputs: [], attrs };
    const x = t('uint8', [1, 1, 1, 2], [5, 6]), w = t('uint8', [1, 1, 1, 3], [1, 1, 1]), b = t('int32', [1], [0]);
    expect(Array.from(qconv(node, x, w, b, [1, 1, 1, 2], undefined).data)).toEqual([1, 1]); // M = 1 (shift -1)
    expect(Array.from(qconv(node, x, w, b, [1, 1, 1, 2], Int32Array.from(exactTable(false).map((v) => v + 1))).data)).toEqual([4, 4]);
  });

  test('QSum rescales, rounds and saturates; QAveragePool rounds the mean', () => {
    const node = { name: 's', op: 'QSum' as const, inputs: [], outputs: [], attrs: { zeroPoints: [10, 0], multipliers: [3, -2], shift: 1, rounding: 'half-away' as const, outZeroPoint: 100, lo: 0, hi: 255, outType: 'uint8' as const } };
    // (x - 10) * 3 - y * 2, / 2, + 100: x=13,y=1 -> (9 - 2)/2 = 3.5 -> 4 -> 104; x=10,y=200 -> -400/2 = -200 -> -100 -> 0 (saturates)
    expect(Array.from(qsum(node, [t('uint8', [2], [13, 10]), t('uint8', [2], [1, 200])], [2]).data)).toEqual([104, 0]);
    const pool = { name: 'p', op: 'QAveragePool' as const, inputs: [], outputs: [], attrs: { kernelShape: [1, 2], strides: [1, 2], pads: [0, 0, 0, 0], dilations: [1, 1], ceilMode: false, countIncludePad: false, zeroPoint: 3, rounding: 'half-even' as const } };
    // windows (3, 6): centred (0, 3) mean 1.5 -> 2 (even) -> 5; (4, 4): (1, 1) -> 1 -> 4
    expect(Array.from(qaveragePool(pool, t('uint8', [1, 1, 1, 4], [3, 6, 4, 4]), [1, 1, 1, 2]).data)).toEqual([5, 4]);
  });
});

describe('QMul: the product of two code tensors', () => {
  test('hand-worked: zero points, broadcasting over [1, C, 1, 1], ties in both rounding modes, saturation', () => {
    // a [1,2,1,2] codes (za = 10), gate b [1,2,1,1] codes (zb = 0); M = 1/4: mantissa 2^30, shift 1 (2^30 / 2^32).
    // channel 0, gate 2: (12-10)*2 = 4 -> 1; (16-10)*2 = 12 -> 3; channel 1, gate 3: (8-10)*3 = -6 -> -1.5 -> -2
    // (half-away) or -2 (half-even); (20-10)*3 = 30 -> 7.5 -> 8 (away) or 8 (even). zo = 5; lo 0, hi 12.
    const node: QMulNode = { name: 'm', op: 'QMul', inputs: [], outputs: [], attrs: { zeroPoints: [10, 0], mantissa: 2 ** 30, shift: 1, rounding: 'half-away', outZeroPoint: 5, lo: 0, hi: 12, outType: 'uint8' } };
    const a = t('uint8', [1, 2, 1, 2], [12, 16, 8, 20]), b = t('uint8', [1, 2, 1, 1], [2, 3]);
    expect(Array.from(qmul(node, a, b, [1, 2, 1, 2]).data)).toEqual([6, 8, 3, 12]); // 5+8 = 13 saturates to 12
    const even = { ...node, attrs: { ...node.attrs, rounding: 'half-even' as const, hi: 255 } };
    // ties: -1.5 -> -2, 7.5 -> 8; a tie that differs: (11-10)*2 = 2 -> 0.5 -> 0 (even) vs 1 (away)
    expect(Array.from(qmul(even, t('uint8', [1, 2, 1, 2], [11, 16, 8, 20]), b, [1, 2, 1, 2]).data)).toEqual([5, 8, 3, 13]);
    expect(Array.from(qmul({ ...even, attrs: { ...even.attrs, rounding: 'half-away' } }, t('uint8', [1, 2, 1, 2], [11, 16, 8, 20]), b, [1, 2, 1, 2]).data)).toEqual([6, 8, 3, 13]);
  });

  test('equals the BigInt requantization of the centred product, and is within one LSB of the real product (fast-check)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e6 }), fc.constantFrom<'unsigned' | 'signed'>('unsigned', 'signed'), fc.constantFrom<'half-away' | 'half-even'>('half-away', 'half-even'), (seed, scheme, rounding) => {
        const xa = seeded(seed, 24).map((v) => v * 3), xb = seeded(seed + 1, 6).map((v) => (scheme === 'unsigned' ? v + 1 : v));
        const qa = chooseQuantParams(Math.min(...xa), Math.max(...xa), 8, scheme), qb = chooseQuantParams(Math.min(...xb), Math.max(...xb), 8, scheme);
        const prod = xa.map((v, i) => dequantize(quantize(v, qa), qa) * dequantize(quantize(xb[Math.floor(i / 4)]!, qb), qb));
        const qo = chooseQuantParams(Math.min(...prod), Math.max(...prod), 8, scheme);
        const attrs = productAttrs(qa, qb, qo, { kind: 'none' }, rounding);
        const node: QMulNode = { name: 'm', op: 'QMul', inputs: [], outputs: [], attrs };
        const ca = makeTensor(scheme === 'unsigned' ? 'uint8' : 'int8', [1, 6, 2, 2]), cb = makeTensor(ca.dtype, [1, 6, 1, 1]);
        xa.forEach((v, i) => (ca.data[i] = quantize(v, qa)));
        xb.forEach((v, i) => (cb.data[i] = quantize(v, qb)));
        const got = qmul(node, ca, cb, [1, 6, 2, 2]);
        for (let i = 0; i < 24; i++) {
          const p = BigInt((ca.data[i]! - qa.zeroPoint) * (cb.data[Math.floor(i / 4)]! - qb.zeroPoint));
          const want = requantizeRef(p, { mantissa: attrs.mantissa, shift: attrs.shift, rounding, zeroPoint: attrs.outZeroPoint, lo: attrs.lo, hi: attrs.hi });
          expect(got.data[i]).toBe(want);
          const ideal = Math.min(qo.qmax, Math.max(qo.qmin, qo.zeroPoint + prod[i]! / qo.scale));
          expect(Math.abs(got.data[i]! - ideal)).toBeLessThanOrEqual(0.5 + 1e-4) // one rounding; the slack covers the fixed-point multiplier's 2^-31 relative error;
        }
      }),
      { numRuns: 100 },
    );
  });
});

describe('QLrn: integer local response normalisation', () => {
  test('bucket index: exact below 2P, then P buckets per octave, each S in the bucket it indexes', () => {
    // P = 4 (octaveBits 2): S 0..7 index themselves; S 8, 9 -> e = 1, 4 + 4 = 8; S 15 -> 4 + 7 = 11; S 16..19 -> 8 + 4 = 12
    expect([0, 7, 8, 9, 10, 15, 16, 19, 20].map((S) => lrnIndex(S, 2))).toEqual([0, 7, 8, 8, 9, 11, 12, 12, 13]);
    for (let S = 0; S < 5000; S++) {
      const b = lrnBucket(lrnIndex(S, 3), 3);
      expect(S >= b.first && S <= b.last, `S ${S}`).toBe(true);
    }
  });

  test('hand-worked: window sums at the channel edges, one table lookup, rounding and saturation', () => {
    // 3 channels, 1 position, codes [2, 4, 6], z = 2 -> centred [0, 2, 4]; size 3: S = [0+4, 0+4+16, 4+16] = [4, 20, 20].
    // octaveBits 1 (P = 2): index(4) = e 1: 2 + 2 = 4; index(20) = e 3: 6 + 2 = 8. table[4] = 3, table[8] = 1, shift 1:
    // out = zo 10 + round([0 * 3, 2 * 1, 4 * 1] / 2) = [10, 11, 12]; hi 11 saturates the last.
    const table = [9, 9, 9, 9, 3, 9, 9, 9, 1];
    const node = { name: 'l', op: 'QLrn' as const, inputs: [], outputs: [], attrs: { size: 3, zeroPoint: 2, octaveBits: 1, table, shift: 1, rounding: 'half-away' as const, outZeroPoint: 10, lo: 0, hi: 11, outType: 'uint8' as const } };
    expect(Array.from(qlrn(node, t('uint8', [1, 3, 1, 1], [2, 4, 6])).data)).toEqual([10, 11, 11]);
  });

  test('within one LSB of the float LRN on the dequantized input (300 random layers; docs/ops.md states it)', () => {
    let s = 12345;
    const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648), s / 2147483648);
    let worst = 0;
    for (let trial = 0; trial < 300; trial++) {
      const size = [3, 5, 7][trial % 3]!, alpha = [1e-4, 1e-3, 1e-2, 0.1, 1][trial % 5]!, beta = 0.5 + rnd() * 0.5, bias = [1, 2, 0.5][trial % 3]!;
      const range = [1, 10, 50][trial % 3]!, scheme = trial % 2 === 0 ? 'signed' : 'unsigned';
      const a = chooseQuantParams(scheme === 'signed' ? -range : 0, range, 8, scheme);
      const x = makeTensor(scheme === 'signed' ? 'int8' : 'uint8', [1, 8, 2, 2]);
      for (let i = 0; i < x.data.length; i++) x.data[i] = a.qmin + Math.floor(rnd() * (a.qmax - a.qmin + 1));
      const node = { name: 'l', op: 'LRN' as const, inputs: [], outputs: [], attrs: { size, alpha, beta, bias } };
      const yf = lrn(node, makeTensor('float32', x.shape, Float32Array.from(x.data, (c) => dequantize(c, a))));
      const q = chooseQuantParams(Math.min(...yf.data), Math.max(...yf.data), 8, scheme);
      const yq = qlrn({ name: 'q', op: 'QLrn', inputs: [], outputs: [], attrs: lrnAttrs(node, a, q, 'half-away') }, x);
      for (let i = 0; i < yf.data.length; i++) worst = Math.max(worst, Math.abs(yq.data[i]! - Math.min(q.qmax, Math.max(q.qmin, q.zeroPoint + yf.data[i]! / q.scale))));
    }
    expect(worst).toBeLessThan(1);
  });
});

/** A random conv layer, quantized; returns the integer output and the float reference on dequantized values. */
function randomConv(seed: number, c: number, m: number, group: number, k: number, stride: number, pad: number, hw: number, scheme: 'unsigned' | 'signed') {
  const cfg = { ...DEFAULT_LAYER, scheme };
  const xf = seeded(seed, c * hw * hw).map((v) => (scheme === 'unsigned' ? (v + 1) * 2 : v * 2));
  const wf = seeded(seed + 1, (m * c * k * k) / group), bf = seeded(seed + 2, m);
  const aq: CodeQuant = chooseQuantParams(Math.min(...xf), Math.max(...xf), 8, scheme);
  const floatNode: ConvNode = { name: 'f', op: 'Conv', inputs: ['x', 'w', 'b'], outputs: ['y'], attrs: { kernelShape: [k, k], strides: [stride, stride], pads: [pad, pad, pad, pad], dilations: [1, 1], group } };
  const xs = { dtype: 'float32' as const, shape: [1, c, hw, hw] };
  const ws = { dtype: 'float32' as const, shape: [m, c / group, k, k] };
  const outShape = inferOutputs(floatNode, [xs, ws, { dtype: 'float32', shape: [m] }])[0]!.shape;
  const xCodes = makeTensor(scheme === 'unsigned' ? 'uint8' : 'int8', xs.shape);
  xf.forEach((v, i) => (xCodes.data[i] = quantize(v, aq)));
  const xDeq = makeTensor('float32', xs.shape, Float32Array.from(xCodes.data, (cd) => dequantize(cd, aq)));
  const rough = conv(floatNode, xDeq, makeTensor('float32', ws.shape, wf), makeTensor('float32', [m], bf), outShape);
  const oq = chooseQuantParams(Math.min(...rough.data), Math.max(...rough.data), 8, scheme);
  const qw = quantizeWeights(makeTensor('float32', ws.shape, wf), makeTensor('float32', [m], bf), aq, oq, { kind: 'none' }, cfg, 'half-away');
  const wDeq = makeTensor('float32', ws.shape, Float32Array.from(qw.codes.data, (cd, i) => dequantize(cd, { ...aq, scale: qw.attrs.wScale[Math.floor(i / (wf.length / m))]!, zeroPoint: qw.attrs.wZeroPoint.length === 1 ? qw.attrs.wZeroPoint[0]! : qw.attrs.wZeroPoint[Math.floor(i / (wf.length / m))]! })));
  const bDeq = makeTensor('float32', [m], Float32Array.from(qw.bias.data, (v, j) => v * aq.scale * qw.attrs.wScale[j]!));
  const reference = conv(floatNode, xDeq, wDeq, bDeq, outShape);
  const node: QConvNode = { name: 'q', op: 'QConv', inputs: [], outputs: [], attrs: { ...floatNode.attrs, ...qw.attrs } };
  return { node, xCodes, qw, outShape, reference, oq };
}

describe('integer Conv against a float reference', () => {
  test('within one LSB of the real result (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1e6 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 3 }), fc.boolean(),
        fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 2 }), fc.integer({ min: 0, max: 1 }), fc.constantFrom<'unsigned' | 'signed'>('unsigned', 'signed'),
        (seed, c, mMul, depthwise, k, stride, pad, scheme) => {
          const group = depthwise ? c : 1, m = c * mMul;
          const r = randomConv(seed, c, m, group, k, stride, pad, 6, scheme);
          const got = qconv(r.node, r.xCodes, r.qw.codes, r.qw.bias, r.outShape, undefined);
          for (let i = 0; i < got.data.length; i++) {
            const ideal = Math.min(r.oq.qmax, Math.max(r.oq.qmin, r.oq.zeroPoint + r.reference.data[i]! / r.oq.scale));
            expect(Math.abs(got.data[i]! - ideal)).toBeLessThanOrEqual(1);
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  test('a table holding the exact products gives exactly the exact path (unsigned and signed)', () => {
    for (const scheme of ['unsigned', 'signed'] as const) {
      const r = randomConv(77, 3, 6, 1, 3, 1, 1, 9, scheme);
      const exact = qconv(r.node, r.xCodes, r.qw.codes, r.qw.bias, r.outShape, undefined);
      const viaTable = qconv(r.node, r.xCodes, r.qw.codes, r.qw.bias, r.outShape, exactTable(scheme === 'signed'));
      expect(Array.from(viaTable.data)).toEqual(Array.from(exact.data));
      const viaEval = evalNode({ ...r.node, attrs: { ...r.node.attrs, multiplier: 'exact' } }, [r.xCodes, r.qw.codes, r.qw.bias], [r.outShape], { productTable: () => exactTable(scheme === 'signed') })[0]!;
      expect(Array.from(viaEval.data)).toEqual(Array.from(exact.data));
    }
  });
});

describe('WebAssembly table kernel', () => {
  test('gives exactly the JavaScript loop on approximate tables (unsigned and signed, odd tile remainders)', async () => {
    const { useWasmKernel } = await import('../../src/golden/integer/wasm-mac.js');
    const { getMultiplier } = await import('../../src/multipliers/index.js');
    const built = useWasmKernel(true);
    if (process.env.CI === 'true') expect(built, 'dist/wasm/mac.wasm must be built (npm run build)').toBe(true);
    for (const [scheme, id] of [['unsigned', 'mul8u_FTA'], ['signed', 'trunc-s8-k10c']] as const) {
      const r = randomConv(99, 5, 7, 1, 3, 1, 1, 11, scheme); // 7 channels, 121 positions: remainders in both tile directions
      const table = getMultiplier(id).table;
      useWasmKernel(true);
      const fast = qconv(r.node, r.xCodes, r.qw.codes, r.qw.bias, r.outShape, table);
      useWasmKernel(false);
      const slow = qconv(r.node, r.xCodes, r.qw.codes, r.qw.bias, r.outShape, table);
      useWasmKernel(true);
      expect(Array.from(fast.data)).toEqual(Array.from(slow.data));
    }
  });
});

describe('WebAssembly kernels (in-place windows, 64-bit requantization) against the JavaScript definition', () => {
  // Random layers with every geometry the kernel's window origins and term offsets must get right (strides,
  // dilations, asymmetric pads, groups, odd tile remainders) and requantizations around ties, with approximate
  // tables; the JavaScript loops (mulShiftRound, tested against BigInt) are the reference.
  // small: products of a few units (smallTable), zero points and biases of a few units and M = 2^30 * 2^-(1..4), so that
  // outputs land inside the clamp bounds and exact ties (where the rounding modes differ) are frequent.
  const layer = (rnd: () => number, signed: boolean, M: number, K: number, rounding: 'half-away' | 'half-even', shiftLo: number, perChannel: boolean, small: boolean) => {
    const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
    const zp = () => (signed ? 0 : small ? int(0, 3) : int(0, 255));
    return {
      aZeroPoint: zp(), wZeroPoint: Array.from({ length: perChannel ? M : 1 }, zp),
      mantissa: Array.from({ length: M }, () => (small ? 2 ** 30 : int(2 ** 30, 2 ** 31 - 1))),
      shift: Array.from({ length: M }, () => (small ? int(0, 3) : int(shiftLo, shiftLo + 12))),
      rounding, outZeroPoint: small ? 0 : zp(), lo: signed ? -128 : 0, hi: signed ? 127 : 255,
      accBits: 32, wBits: 8, aScale: 1, wScale: Array<number>(M).fill(1), outScale: 1, outType: signed ? ('int8' as const) : ('uint8' as const), K,
    };
  };
  const smallTable = (signed: boolean) => Int32Array.from({ length: 65536 }, (_, i) => (((i >> 8) * 7 + (i & 255) * 13) % 16) - (signed ? 8 : 0));
  const codes = (rnd: () => number, signed: boolean, shape: number[]) => {
    const t = makeTensor(signed ? 'int8' : 'uint8', shape);
    for (let i = 0; i < t.data.length; i++) t.data[i] = signed ? Math.floor(rnd() * 256) - 128 : Math.floor(rnd() * 256);
    return t;
  };
  const both = async <T extends Tensor>(f: () => T): Promise<[T, T]> => {
    const { useWasmKernel } = await import('../../src/golden/integer/wasm-mac.js');
    const built = useWasmKernel(true);
    if (process.env.CI === 'true') expect(built, 'dist/wasm/mac.wasm must be built (npm run build)').toBe(true);
    try {
      const fast = f();
      useWasmKernel(false);
      return [fast, f()];
    } finally {
      useWasmKernel(true);
    }
  };

  test('QConv: strides, dilations, asymmetric pads, groups, both roundings, unsigned and signed tables', async () => {
    const { getMultiplier } = await import('../../src/multipliers/index.js');
    for (let seed = 1; seed <= 60; seed++) {
      const rnd = ((s) => () => ((s = (s * 1103515245 + 12345) % 2147483648), s / 2147483648))(seed * 7919);
      const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
      const signed = seed % 2 === 0;
      const group = [1, 1, 2, 3][seed % 4]!, cPerG = int(1, 3), mPerG = int(1, 6);
      const [C, M] = [group * cPerG, group * mPerG];
      const k = [int(1, 4), int(1, 4)], s = [int(1, 3), int(1, 3)], d = [int(1, 2), int(1, 2)];
      const pads = [int(0, 2), int(0, 2), int(0, 2), int(0, 2)];
      const hw = [int(k[0]! * d[0]!, 11), int(k[1]! * d[1]!, 11)];
      const attrs = { kernelShape: k, strides: s, pads, dilations: d, group };
      const xs = { dtype: 'float32' as const, shape: [int(1, 2), C, ...hw] };
      const ws = { dtype: 'float32' as const, shape: [M, cPerG, ...k] };
      const outShape = inferOutputs({ name: 'f', op: 'Conv', inputs: ['x', 'w', 'b'], outputs: ['y'], attrs } as ConvNode, [xs, ws, { dtype: 'float32', shape: [M] }])[0]!.shape;
      const K = cPerG * k[0]! * k[1]!;
      const small = seed % 4 < 2;
      const q = layer(rnd, signed, M, K, seed % 3 ? 'half-even' : 'half-away', 4 + (seed % 8), seed % 5 !== 0, small);
      const node: QConvNode = { name: 'q', op: 'QConv', inputs: [], outputs: [], attrs: { ...attrs, ...q } };
      const x = codes(rnd, signed, xs.shape), w = codes(rnd, signed, ws.shape);
      const bias = makeTensor('int32', [M]);
      for (let m = 0; m < M; m++) bias.data[m] = small ? int(-20, 20) : int(-50000, 50000);
      const table = small ? smallTable(signed) : getMultiplier(signed ? 'trunc-s8-k10c' : seed % 3 ? 'mul8u_FTA' : 'exact-u8').table;
      const [fast, slow] = await both(() => qconv(node, x, w, bias, outShape, table));
      expect(Array.from(fast.data), `seed ${seed}`).toEqual(Array.from(slow.data));
    }
  });

  test('QGemm: batch rows, odd sizes, ties; and accumulators beyond the kernel domain fall back to the definition', async () => {
    const { getMultiplier } = await import('../../src/multipliers/index.js');
    for (let seed = 1; seed <= 40; seed++) {
      const rnd = ((s) => () => ((s = (s * 1103515245 + 12345) % 2147483648), s / 2147483648))(seed * 104729);
      const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
      const signed = seed % 2 === 1;
      const [B, K, N] = [int(1, 13), int(1, 70), int(1, 11)];
      // seed % 10 === 0: shifts down to -30, so acc * M leaves int32 and the clamps decide; huge biases leave the
      // kernel's |acc| <= 2^32 domain.
      const small = seed % 4 < 2;
      const q = layer(rnd, signed, N, K, seed % 3 ? 'half-even' : 'half-away', seed % 10 === 0 ? -30 : 2, true, small);
      const node: QGemmNode = { name: 'g', op: 'QGemm', inputs: [], outputs: [], attrs: q };
      const x = codes(rnd, signed, [B, K]), w = codes(rnd, signed, [N, K]);
      const bias = makeTensor('int32', [N]);
      for (let n = 0; n < N; n++) bias.data[n] = seed % 7 === 0 ? 2 ** 31 - 1 - int(0, 9) : small ? int(-20, 20) : int(-3000, 3000);
      const table = small ? smallTable(signed) : getMultiplier(signed ? 'exact-s8' : 'mul8u_FTA').table;
      const [fast, slow] = await both(() => qgemm(node, x, w, bias, [B, N], table));
      expect(Array.from(fast.data), `seed ${seed}`).toEqual(Array.from(slow.data));
    }
    // An accumulator beyond 2^32: K = 32,000 products of 65,535 on top of the largest bias and zero-point terms.
    const K = 32000, N = 3;
    const attrs = { ...layer(() => 0.5, false, N, K, 'half-even', 20, true, false), aZeroPoint: 255, wZeroPoint: [255, 255, 255] };
    const node: QGemmNode = { name: 'g', op: 'QGemm', inputs: [], outputs: [], attrs };
    const bias = makeTensor('int32', [N], Int32Array.from([2 ** 31 - 1, -(2 ** 31), 0]));
    const [fast, slow] = await both(() => qgemm(node, makeTensor('uint8', [2, K]), makeTensor('uint8', [N, K]), bias, [2, N], new Int32Array(65536).fill(65535)));
    expect(Array.from(fast.data)).toEqual(Array.from(slow.data));
  });

  test('float Conv on the SIMD column kernel: the JavaScript loop bit for bit (strides, pads, groups, leftover positions)', async () => {
    for (let seed = 1; seed <= 30; seed++) {
      const rnd = ((s) => () => ((s = (s * 1103515245 + 12345) % 2147483648), s / 2147483648))(seed * 7717);
      const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
      const group = [1, 1, 2, 3][seed % 4]!, cPerG = int(1, 4), mPerG = int(1, 5);
      const [C, M] = [group * cPerG, group * mPerG];
      const k = [int(1, 3), int(1, 3)], s = [int(1, 2), int(1, 2)], d = [1, int(1, 2)];
      const pads = [int(0, 2), int(0, 1), int(0, 2), int(0, 1)];
      const attrs = { kernelShape: k, strides: s, pads, dilations: d, group };
      const xs = { dtype: 'float32' as const, shape: [int(1, 2), C, int(k[0]! * d[0]!, 13), int(k[1]! * d[1]!, 13)] };
      const ws = { dtype: 'float32' as const, shape: [M, cPerG, ...k] };
      const node = { name: 'f', op: 'Conv', inputs: ['x', 'w', 'b'], outputs: ['y'], attrs } as ConvNode;
      const outShape = inferOutputs(node, [xs, ws, { dtype: 'float32', shape: [M] }])[0]!.shape;
      const floats = (shape: number[]) => makeTensor('float32', shape, Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rnd() * 2 - 1));
      const x = floats(xs.shape), w = floats(ws.shape), b = floats([M]);
      const [fast, slow] = await both(() => conv(node, x, w, b, outShape));
      expect(Array.from(fast.data), `seed ${seed}`).toEqual(Array.from(slow.data));
    }
  });

  test('QGemm and float Gemm with more weights than one kernel call takes (channels in chunks), a fallback in the last chunk', async () => {
    // 3,000 x 1,500 = 4.5 M weights: two chunks of channels (1,398 + 102) on the kernels, one pass in the loops.
    const rnd = ((s) => () => ((s = (s * 1103515245 + 12345) % 2147483648), s / 2147483648))(4242);
    const [B, K, N] = [2, 3000, 1500];
    const q = layer(rnd, false, N, K, 'half-even', 12, true, false);
    const node: QGemmNode = { name: 'g', op: 'QGemm', inputs: [], outputs: [], attrs: q };
    const x = codes(rnd, false, [B, K]), w = codes(rnd, false, [N, K]);
    const bias = makeTensor('int32', [N]);
    for (let n = 0; n < N; n++) bias.data[n] = n === N - 5 ? 2 ** 31 - 1 : Math.floor(rnd() * 6000) - 3000;
    const [fast, slow] = await both(() => qgemm(node, x, w, bias, [B, N], undefined));
    expect(Array.from(fast.data)).toEqual(Array.from(slow.data));
    // The float kernel against its JavaScript loop: the same float64 sums in k order, bit for bit.
    const a = makeTensor('float32', [B, K], Float32Array.from({ length: B * K }, () => rnd() * 2 - 1));
    const wf = makeTensor('float32', [N, K], Float32Array.from({ length: N * K }, () => rnd() * 2 - 1));
    const c = makeTensor('float32', [N], Float32Array.from({ length: N }, () => rnd()));
    const gemmNode = { name: 'f', op: 'Gemm', inputs: [], outputs: [], attrs: { alpha: 0.5, beta: 1, transA: false, transB: true } } as unknown as GemmNode;
    for (const transB of [true, false]) {
      const b = transB ? wf : makeTensor('float32', [K, N], Float32Array.from({ length: N * K }, (_, i) => wf.data[(i % N) * K + Math.floor(i / N)]!));
      const n = { ...gemmNode, attrs: { ...gemmNode.attrs, transB } } as GemmNode;
      const [f, sl] = await both(() => gemm(n, a, b, c, [B, N]));
      expect(Array.from(f.data), `transB ${transB}`).toEqual(Array.from(sl.data));
    }
  });
});

describe('integer Gemm against a float reference', () => {
  test('within one LSB of the real result (fast-check)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e6 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 3 }), fc.constantFrom<'unsigned' | 'signed'>('unsigned', 'signed'), (seed, K, N, B, scheme) => {
        const cfg = { ...DEFAULT_LAYER, scheme };
        const xf = seeded(seed, B * K).map((v) => (scheme === 'unsigned' ? v + 1 : v));
        const wf = seeded(seed + 1, N * K), bf = seeded(seed + 2, N);
        const aq = chooseQuantParams(Math.min(...xf), Math.max(...xf), 8, scheme);
        const xCodes = makeTensor(scheme === 'unsigned' ? 'uint8' : 'int8', [B, K]);
        xf.forEach((v, i) => (xCodes.data[i] = quantize(v, aq)));
        const ref = (w: (n: number, k: number) => number, b: (n: number) => number) =>
          Array.from({ length: B * N }, (_, i) => {
            const [r, n] = [Math.floor(i / N), i % N];
            let s = b(n);
            for (let k = 0; k < K; k++) s += dequantize(xCodes.data[r * K + k]!, aq) * w(n, k);
            return s;
          });
        const rough = ref((n, k) => wf[n * K + k]!, (n) => bf[n]!);
        const oq = chooseQuantParams(Math.min(...rough), Math.max(...rough), 8, scheme);
        const qw = quantizeWeights(makeTensor('float32', [N, K], wf), makeTensor('float32', [N], bf), aq, oq, { kind: 'none' }, cfg, 'half-even');
        const zw = (n: number) => (qw.attrs.wZeroPoint.length === 1 ? qw.attrs.wZeroPoint[0]! : qw.attrs.wZeroPoint[n]!);
        const real = ref((n, k) => qw.attrs.wScale[n]! * (qw.codes.data[n * K + k]! - zw(n)), (n) => qw.bias.data[n]! * aq.scale * qw.attrs.wScale[n]!);
        const node: QGemmNode = { name: 'g', op: 'QGemm', inputs: [], outputs: [], attrs: qw.attrs };
        const got = qgemm(node, xCodes, qw.codes, qw.bias, [B, N], undefined);
        real.forEach((y, i) => expect(Math.abs(got.data[i]! - Math.min(oq.qmax, Math.max(oq.qmin, oq.zeroPoint + y / oq.scale)))).toBeLessThanOrEqual(1));
      }),
      { numRuns: 150 },
    );
  });
});
