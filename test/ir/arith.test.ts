import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import {
  accumulatorWidths, activationBounds, chooseQuantParams, codeRange, dequantize, INT32_MAX, INT32_MIN, makeRequant,
  mulShiftRound, mulShiftRoundRef, multiplierValue, quantize, quantizeBias, quantizeMultiplier, requantize,
  requantizeRef, roundHalfAway, roundHalfEven, signedBits, type Requant, type RoundingMode,
} from '../../src/ir/arith.js';
import { expectUserError } from '../helpers/user-error.js';


describe('rounding of reals', () => {
  test.each([
    [0.5, 0, 1], [1.5, 2, 2], [2.5, 2, 3], [-0.5, 0, -1], [-1.5, -2, -2], [-2.5, -2, -3], [2.4999999999999996, 2, 2],
    [0.49999999999999994, 0, 0], [-0.49999999999999994, 0, 0], [-0, 0, 0], [-0.2, 0, 0], [4503599627370497, 4503599627370497, 4503599627370497], [7, 7, 7],
  ])('%d -> even %d, away %d', (x, even, away) => {
    expect(roundHalfEven(x)).toBe(even);
    expect(roundHalfAway(x)).toBe(away);
  });
});

describe('quantization parameters and codes', () => {
  test('code ranges', () => {
    expect(codeRange(8, 'unsigned')).toEqual({ qmin: 0, qmax: 255 });
    expect(codeRange(8, 'signed')).toEqual({ qmin: -127, qmax: 127 });
    expect(codeRange(2, 'signed')).toEqual({ qmin: -1, qmax: 1 });
    expect(codeRange(16, 'unsigned')).toEqual({ qmin: 0, qmax: 65535 });
  });
  test('unsigned [-1, 3] at 8 bits: scale 4/255, zero point round(63.75) = 64', () => {
    const q = chooseQuantParams(-1, 3, 8, 'unsigned');
    expect(q.scale).toBe(4 / 255);
    expect(q.zeroPoint).toBe(64);
    expect(quantize(0, q)).toBe(64); // real zero is exact
  });
  test('ranges are widened to include zero; signed is symmetric', () => {
    expect(chooseQuantParams(2, 5, 8, 'unsigned')).toMatchObject({ scale: 5 / 255, zeroPoint: 0 });
    expect(chooseQuantParams(-6, -2, 8, 'unsigned')).toMatchObject({ scale: 6 / 255, zeroPoint: 255 });
    expect(chooseQuantParams(-1, 3, 8, 'signed')).toMatchObject({ scale: 3 / 127, zeroPoint: 0 });
    expect(chooseQuantParams(0, 0, 4, 'unsigned')).toMatchObject({ scale: 1, zeroPoint: 0 });
  });
  test('quantize rounds half to even and saturates; NaN is the zero point', () => {
    const q = chooseQuantParams(0, 255, 8, 'unsigned'); // scale 1
    expect([2.5, 3.5, -0.4, 254.5, 255.5, 300, -5, Infinity, -Infinity, NaN].map((x) => quantize(x, q))).toEqual([2, 4, 0, 254, 255, 255, 0, 255, 0, 0]);
    const s = chooseQuantParams(-127, 127, 8, 'signed');
    expect([-200, -127.5, 126.5, 0.5, -0.5].map((x) => quantize(x, s))).toEqual([-127, -127, 126, 0, 0]);
  });
  test('every code survives dequantize then quantize', () => {
    fc.assert(
      fc.property(fc.double({ min: -100, max: 0, noNaN: true }), fc.double({ min: 1e-3, max: 100, noNaN: true }), fc.integer({ min: 2, max: 16 }), fc.constantFrom('unsigned' as const, 'signed' as const), (lo, hi, bits, scheme) => {
        const q = chooseQuantParams(lo, hi, bits, scheme);
        expect(Number.isInteger(q.zeroPoint) && q.zeroPoint >= q.qmin && q.zeroPoint <= q.qmax).toBe(true);
        for (let c = q.qmin; c <= q.qmax; c += Math.max(1, (q.qmax - q.qmin) >> 6)) expect(quantize(dequantize(c, q), q)).toBe(c);
      }),
    );
  });
  test('bad requests are E_QUANT', () => {
    expectUserError(() => chooseQuantParams(1, 0, 8, 'unsigned'), 'E_QUANT');
    expectUserError(() => chooseQuantParams(NaN, 0, 8, 'unsigned'), 'E_QUANT');
    expectUserError(() => codeRange(1, 'unsigned'), 'E_QUANT');
    expectUserError(() => codeRange(17, 'signed'), 'E_QUANT');
  });
  test('bias codes: half even, saturated to int32', () => {
    expect(quantizeBias(0.25, 0.5, 0.1)).toBe(5);
    expect(quantizeBias(0.125, 0.5, 0.5)).toBe(0); // 0.5 -> 0
    expect(quantizeBias(1e12, 1e-3, 1e-3)).toBe(INT32_MAX);
    expect(quantizeBias(-1e12, 1e-3, 1e-3)).toBe(INT32_MIN);
  });
});

describe('quantizeMultiplier', () => {
  test.each([
    [0.5, 2 ** 30, 0], [1, 2 ** 30, -1], [0.75, 0.75 * 2 ** 31, 0], [0.25, 2 ** 30, 1], [3, 0.75 * 2 ** 31, -2], [0, 0, 0],
    [1 - 2 ** -40, 2 ** 30, -1], // rounds up to 2^31: renormalised
    [2 ** 31 - 1, 2 ** 31 - 1, -31],
  ])('%d -> mantissa %d, shift %d', (real, mantissa, shift) => {
    expect(quantizeMultiplier(real)).toEqual({ mantissa, shift });
  });
  test('mantissa normalised, relative error <= 2^-31', () => {
    fc.assert(
      fc.property(fc.double({ min: 2 ** -60, max: 2 ** 30, noNaN: true }), (real) => {
        const m = quantizeMultiplier(real);
        expect(m.mantissa >= 2 ** 30 && m.mantissa < 2 ** 31 && Number.isInteger(m.mantissa)).toBe(true);
        expect(Math.abs(multiplierValue(m) - real)).toBeLessThanOrEqual(real * 2 ** -31);
      }),
      { numRuns: 5000 },
    );
  });
  test('tiny multipliers keep a normalised mantissa', () => {
    const m = quantizeMultiplier(1e-300);
    expect(m.mantissa).toBeGreaterThanOrEqual(2 ** 30);
    expect(multiplierValue(m) / 1e-300).toBeCloseTo(1, 8);
    expect(mulShiftRound(INT32_MAX, m.mantissa, m.shift, 'half-away')).toBe(0);
  });
  test('out of range is E_QUANT', () => {
    for (const r of [-1, NaN, Infinity, 2 ** 31]) expectUserError(() => quantizeMultiplier(r), 'E_QUANT');
  });
});

describe('mulShiftRound: fast Number path = BigInt reference', () => {
  const check = (acc: number, m: number, s: number, mode: RoundingMode): void => {
    const ref = mulShiftRoundRef(BigInt(acc), BigInt(m), s, mode);
    const fast = mulShiftRound(acc, m, s, mode);
    const big = ref >= 2n ** 53n || ref <= -(2n ** 53n);
    if (big) expect(fast, `${acc} ${m} ${s} ${mode}`).toBe(ref > 0n ? Infinity : -Infinity);
    else expect(fast === 0 ? 0 : fast, `${acc} ${m} ${s} ${mode}`).toBe(Number(ref));
  };
  const modes: RoundingMode[] = ['half-away', 'half-even'];
  test('edge cases: every shift from -31 to 70', () => {
    const accs = [0, 1, -1, 2, -2, 3, -3, 2 ** 22 - 1, 2 ** 22, -(2 ** 22), 2 ** 22 + 1, INT32_MAX, INT32_MIN, 2 ** 32, -(2 ** 32), 12345678, -987654321, 2 ** 31 - 3, 65535, 65536, -65537];
    const mants = [0, 1, 2 ** 30, 2 ** 30 + 1, 2 ** 31 - 1, 0x55555555, 0x4000ffff, 0x7fff0000, 1518500250];
    for (const acc of accs) for (const m of mants) for (let s = -31; s <= 70; s++) for (const mode of modes) check(acc, m, s, mode);
  });
  test('exhaustive ties: m = 2^30 halves the accumulator', () => {
    for (let acc = -5000; acc <= 5000; acc++) for (const mode of modes) for (const s of [0, 1, 2]) check(acc, 2 ** 30, s, mode);
    expect([5, -5, 7, -7, 3].map((a) => mulShiftRound(a, 2 ** 30, 0, 'half-even'))).toEqual([2, -2, 4, -4, 2]);
    expect([5, -5, 7, -7, 3].map((a) => mulShiftRound(a, 2 ** 30, 0, 'half-away'))).toEqual([3, -3, 4, -4, 2]);
  });
  test('ties in the wide path (|acc| >= 2^22, t >= 32)', () => {
    // acc = odd * 2^k, m = 2^30, t = 31 + s: acc * 2^30 / 2^t is a tie when 30 + k = t - 1.
    for (const k of [22, 25, 30]) for (const odd of [1, 3, -5, 7]) for (const mode of modes) check(odd * 2 ** k, 2 ** 30, k, mode);
  });
  test('random values (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -(2 ** 32), max: 2 ** 32 }),
        fc.oneof(fc.integer({ min: 2 ** 30, max: 2 ** 31 - 1 }), fc.integer({ min: 0, max: 2 ** 31 - 1 })),
        fc.integer({ min: -31, max: 66 }),
        fc.constantFrom(...modes),
        (acc, m, s, mode) => check(acc, m, s, mode),
      ),
      { numRuns: 50000 },
    );
  });
  test('accumulators of every size from 1 to 2^32', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 32 }), fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.boolean(), fc.integer({ min: 2 ** 30, max: 2 ** 31 - 1 }), fc.integer({ min: -31, max: 40 }), fc.constantFrom(...modes), (bits, low, neg, m, s, mode) => {
        const acc = (neg ? -1 : 1) * Math.max(1, Math.min(2 ** 32, 2 ** bits - (low % 2 ** Math.max(0, bits - 1))));
        check(acc, m, s, mode);
      }),
      { numRuns: 20000 },
    );
  });
});

describe('requantize', () => {
  const rq = (real: number, zeroPoint: number, rounding: RoundingMode, lo = 0, hi = 255): Requant => ({ ...quantizeMultiplier(real), zeroPoint, rounding, lo, hi });
  test('hand-worked: scale, zero point, ties, saturation, left shifts', () => {
    expect(requantize(1000, rq(0.01, 10, 'half-even'))).toBe(20);
    expect(requantize(5, rq(0.5, 128, 'half-away'))).toBe(131); // 2.5 -> 3
    expect(requantize(5, rq(0.5, 128, 'half-even'))).toBe(130); // 2.5 -> 2
    expect(requantize(-5, rq(0.5, 128, 'half-away'))).toBe(125); // -2.5 -> -3
    expect(requantize(-5, rq(0.5, 128, 'half-even'))).toBe(126); // -2.5 -> -2
    expect(requantize(-1000, rq(0.5, 128, 'half-even'))).toBe(0);
    expect(requantize(INT32_MAX, rq(0.9, 0, 'half-even'))).toBe(255);
    expect(requantize(100, rq(3, 0, 'half-even', INT32_MIN, INT32_MAX))).toBe(300); // shift -2: a left shift
    expect(requantize(INT32_MAX, rq(2 ** 30, 0, 'half-even', INT32_MIN, INT32_MAX))).toBe(INT32_MAX); // +Infinity clamps
    expect(requantize(INT32_MIN, rq(2 ** 30, 0, 'half-even', INT32_MIN, INT32_MAX))).toBe(INT32_MIN);
  });
  test('fast = BigInt reference, random channels', () => {
    fc.assert(
      fc.property(fc.integer({ min: INT32_MIN, max: INT32_MAX }), fc.double({ min: 2 ** -30, max: 4, noNaN: true }), fc.integer({ min: -20, max: 300 }), fc.constantFrom<RoundingMode>('half-away', 'half-even'), (acc, real, zo, mode) => {
        const r = rq(real, zo, mode, -128, 255);
        expect(requantize(acc, r)).toBe(requantizeRef(BigInt(acc), r));
      }),
      { numRuns: 20000 },
    );
  });
  test('makeRequant folds M = sa*sw/so and the activation', () => {
    const out = chooseQuantParams(-2, 6, 8, 'unsigned');
    const r = makeRequant(0.02, 0.005, out, { kind: 'relu' }, 'half-even');
    expect(multiplierValue(r)).toBeCloseTo((0.02 * 0.005) / out.scale, 12);
    expect(r.lo).toBe(out.zeroPoint);
    expect(r.hi).toBe(255);
  });
});

describe('activationBounds', () => {
  const out = { scale: 0.1, zeroPoint: 20, bits: 8, scheme: 'unsigned' as const, qmin: 0, qmax: 255 };
  test('ReLU, ReLU6 and Clip fold into [lo, hi]', () => {
    expect(activationBounds({ kind: 'none' }, out)).toEqual({ lo: 0, hi: 255 });
    expect(activationBounds({ kind: 'relu' }, out)).toEqual({ lo: 20, hi: 255 });
    expect(activationBounds({ kind: 'clip', min: 0, max: 6 }, out)).toEqual({ lo: 20, hi: 80 });
    expect(activationBounds({ kind: 'clip', min: -1, max: 1 }, out)).toEqual({ lo: 10, hi: 30 });
    expect(activationBounds({ kind: 'clip', min: -100, max: 100 }, out)).toEqual({ lo: 0, hi: 255 });
    expect(activationBounds({ kind: 'clip', min: -Infinity, max: 0.25 }, out)).toEqual({ lo: 0, hi: 22 }); // 2.5 -> 2
    const signed = chooseQuantParams(-1, 1, 8, 'signed');
    expect(activationBounds({ kind: 'relu' }, signed)).toEqual({ lo: 0, hi: 127 });
    expectUserError(() => activationBounds({ kind: 'clip', min: 1, max: 0 }, out), 'E_QUANT');
  });
  test('clamping the code equals quantizing the clipped real', () => {
    fc.assert(
      fc.property(fc.double({ min: -30, max: 30, noNaN: true }), fc.double({ min: -3, max: 0, noNaN: true }), fc.double({ min: 0, max: 10, noNaN: true }), (x, a, b) => {
        const { lo, hi } = activationBounds({ kind: 'clip', min: a, max: b }, out);
        expect(Math.min(hi, Math.max(lo, quantize(x, out)))).toBe(quantize(Math.min(b, Math.max(a, x)), out));
      }),
    );
  });
});

describe('accumulator widths', () => {
  const u8 = (zp: number) => ({ ...chooseQuantParams(0, 1, 8, 'unsigned'), zeroPoint: zp });
  const s8 = chooseQuantParams(-1, 1, 8, 'signed');
  test('hand-worked', () => {
    expect(signedBits(0, 0)).toBe(1);
    expect(signedBits(-128, 127)).toBe(8);
    expect(signedBits(0, 128)).toBe(9);
    // signed 8x8: products in [-16129, 16129] -> 15 bits; 4 of them: [-64516, 64516] -> 17 bits
    expect(accumulatorWidths(s8, s8, 4)).toMatchObject({ product: 15, sumProducts: 17, acc: 17 });
    // unsigned 8x8, zero points 128: raw products [0, 65025] -> 17 bits; centred (a-za)(w-zw) in [-16256, 16384] -> 16 bits
    const w = accumulatorWidths(u8(128), u8(128), 1);
    expect(w).toMatchObject({ product: 17, sumProducts: 17, sumA: 9, sumW: 9, acc: 16 });
    // a 5x5x64 conv plus an int32 bias needs more than 32 bits in the worst case
    expect(accumulatorWidths(u8(0), u8(255), 1600, 32).acc).toBe(33);
  });
  test('the zero-point expansion is exact in wrapping int32 arithmetic', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 3000 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), (pairs, za, zw) => {
        let direct = 0, saw = 0, sa = 0, sw = 0;
        for (const [a, w] of pairs) {
          direct += (a - za) * (w - zw);
          saw = (saw + Math.imul(a, w)) | 0;
          sa = (sa + a) | 0;
          sw = (sw + w) | 0;
        }
        const k = pairs.length;
        const expanded = (saw - Math.imul(zw, sa) - Math.imul(za, sw) + Math.imul(Math.imul(k, za), zw)) | 0;
        expect(expanded).toBe(direct);
      }),
    );
  });
});
