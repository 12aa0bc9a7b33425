import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import {
  decodeFloat, dequantizeFixed, encodeFloat, fixedCast, fixedFormat, fixedRange, floatFormat, floatMaxFinite, FP8_E4M3,
  FP8_E5M2, parseNumFormat, quantizeFixed, quantizeFloat, type FixedFormat, type FixedOverflow, type FixedRounding, type FloatFormat,
} from '../../src/ir/numformats.js';
import { expectUserError } from '../helpers/user-error.js';


/** BigInt reference of quantizeFixed: x = sig * 2^q exactly, then exact integer rounding and overflow. */
function fixedRef(x: number, f: FixedFormat): number {
  if (x === 0) return 0;
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(x));
  const bits = view.getBigUint64(0);
  const e = Number(bits >> 52n), frac = bits & ((1n << 52n) - 1n);
  const sig = (e > 0 ? 1n << 52n : 0n) + frac, q = (e > 0 ? e : 1) - 1075;
  const sh = q + (f.width - f.intBits); // |x| * 2^F = sig * 2^sh
  const num = x < 0 ? -sig : sig;
  let n: bigint;
  if (sh >= 0) n = num << BigInt(sh);
  else {
    const d = 1n << BigInt(-sh);
    const fl = num >= 0n ? num / d : -((-num + d - 1n) / d); // floor
    const r = num - fl * d; // in [0, d)
    if (f.rounding === 'truncate') n = fl;
    else if (f.rounding === 'half-up') n = 2n * r >= d ? fl + 1n : fl;
    else n = 2n * r > d || (2n * r === d && (fl & 1n) === 1n) ? fl + 1n : fl;
  }
  const { min, max } = fixedRange(f);
  if (n >= BigInt(min) && n <= BigInt(max)) return Number(n);
  if (f.overflow === 'saturate') return n < BigInt(min) ? min : max;
  const m = 1n << BigInt(f.width);
  let r = ((n % m) + m) % m;
  if (f.signed && r >= m / 2n) r -= m;
  return Number(r);
}

const ROUNDINGS: FixedRounding[] = ['truncate', 'half-up', 'half-even'];
const OVERFLOWS: FixedOverflow[] = ['wrap', 'saturate'];

describe('fixed<W,I>', () => {
  const f84 = (rounding: FixedRounding, overflow: FixedOverflow = 'saturate'): FixedFormat => fixedFormat(8, 4, { rounding, overflow });
  test('hand-worked rounding of ties (fixed<8,4>, LSB 1/16)', () => {
    // 1.03125 = 16.5 LSB, -1.03125 = -16.5 LSB, 1.09375 = 17.5 LSB
    expect([1.03125, -1.03125, 1.09375, -1.09375].map((x) => quantizeFixed(x, f84('half-even')))).toEqual([16, -16, 18, -18]);
    expect([1.03125, -1.03125, 1.09375, -1.09375].map((x) => quantizeFixed(x, f84('half-up')))).toEqual([17, -16, 18, -17]);
    expect([1.03125, -1.03125, 1.09375, -1.0625].map((x) => quantizeFixed(x, f84('truncate')))).toEqual([16, -17, 17, -17]);
  });
  test('hand-worked overflow: wrap and saturate', () => {
    expect([8, 9.5, -8.0625, 100].map((x) => quantizeFixed(x, f84('half-even', 'saturate')))).toEqual([127, 127, -128, 127]);
    expect([8, 9.5, -8.0625, 100].map((x) => quantizeFixed(x, f84('half-even', 'wrap')))).toEqual([-128, -104, 127, 64]); // 1600 mod 256 = 64
    const u42 = fixedFormat(4, 2, { signed: false, overflow: 'wrap' });
    expect([-0.25, 3.75, 4, 4.25].map((x) => quantizeFixed(x, u42))).toEqual([15, 15, 0, 1]);
    expect(dequantizeFixed(-104, f84('half-even'))).toBe(-6.5);
  });
  test('specials: NaN -> 0, infinities saturate, -0 -> 0, huge values wrap exactly', () => {
    const w = f84('half-even', 'wrap');
    expect([NaN, Infinity, -Infinity, -0].map((x) => quantizeFixed(x, w))).toEqual([0, 127, -128, 0]);
    expect(quantizeFixed(2 ** 60 + 2 ** 10, w)).toBe(0);
    expect(quantizeFixed(-(2 ** -1070), fixedFormat(8, 4, { rounding: 'truncate' }))).toBe(-1);
    expect(quantizeFixed(1e308, fixedFormat(32, -32, { overflow: 'wrap' }))).toBe(0);
    expect(quantizeFixed(-1e308, fixedFormat(32, -32))).toBe(-(2 ** 31));
  });
  test('exhaustive: small formats, every mode, a dense grid of reals, against the BigInt reference', () => {
    const bad: string[] = [];
    for (let w = 1; w <= 6; w++)
      for (let i = -2; i <= w; i++)
        for (const signed of [true, false])
          for (const rounding of ROUNDINGS)
            for (const overflow of OVERFLOWS) {
              const f = fixedFormat(w, i, { signed, rounding, overflow });
              for (let k = -1200; k <= 1200; k++) {
                const x = k / 64;
                if (quantizeFixed(x, f) !== fixedRef(x, f)) bad.push(`${x} ${JSON.stringify(f)}: ${quantizeFixed(x, f)} != ${fixedRef(x, f)}`);
              }
            }
    expect(bad.slice(0, 5)).toEqual([]);
  });
  test('random doubles and formats (fast-check) against the BigInt reference', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer({ min: 1, max: 32 }), fc.integer({ min: -32, max: 32 }), fc.boolean(), fc.constantFrom(...ROUNDINGS), fc.constantFrom(...OVERFLOWS), (x, w, i, signed, rounding, overflow) => {
        const f = fixedFormat(w, Math.min(i, w), { signed, rounding, overflow });
        expect(quantizeFixed(x, f)).toBe(fixedRef(x, f));
        const y = x / 2 ** (20 + (i % 7)); // smaller values, where the rounding matters
        expect(quantizeFixed(y, f)).toBe(fixedRef(y, f));
      }),
      { numRuns: 20000 },
    );
  });
  test('every code round-trips; casts are exact', () => {
    const f = fixedFormat(10, 3);
    for (let c = -512; c < 512; c++) expect(quantizeFixed(dequantizeFixed(c, f), f)).toBe(c);
    const narrow = fixedFormat(6, 2, { rounding: 'half-even' });
    expect(fixedCast(37, f, narrow)).toBe(quantizeFixed(37 / 128, narrow)); // 37/128 = 4.625 LSB of narrow -> 5
    expect(fixedCast(37, f, narrow)).toBe(5);
    expect(fixedCast(40, f, narrow)).toBe(5); // 5 LSB exactly
    expect(fixedCast(36, f, narrow)).toBe(4); // 4.5 -> 4 (even)
  });
  test('bad formats are E_CONFIG', () => {
    expectUserError(() => fixedFormat(4, 5), 'E_CONFIG'); // W < I
    expectUserError(() => fixedFormat(0, 0), 'E_CONFIG');
    expectUserError(() => fixedFormat(33, 1), 'E_CONFIG');
    expectUserError(() => fixedFormat(8.5, 1), 'E_CONFIG');
  });
});

/** Brute force: every finite non-negative value of the format with its canonical code, sorted. */
function finiteValues(f: FloatFormat): { v: number; code: number }[] {
  const out: { v: number; code: number }[] = [];
  const half = 2 ** (f.expBits + f.mantBits);
  for (let code = 0; code < half; code++) {
    const v = decodeFloat(code, f);
    if (Number.isFinite(v) && (v !== 0 || code === 0)) out.push({ v, code });
  }
  return out.sort((a, b) => a.v - b.v);
}

/** The nearest finite value (saturating formats), ties to the even code (M = 0: to the larger magnitude), and 0 on
 *  a tie between 0 and the smallest normal. */
function nearestRef(x: number, vals: readonly { v: number; code: number }[], signBit: number, mantBits: number): number {
  const a = Math.abs(x);
  let lo = 0, hi = vals.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if ((vals[mid] as { v: number }).v <= a) lo = mid;
    else hi = mid;
  }
  const p = vals[lo] as { v: number; code: number }, q = vals[hi] as { v: number; code: number };
  let best: { v: number; code: number };
  if (a <= p.v) best = p;
  else if (a >= q.v) best = q;
  else {
    const dp = a - p.v, dq = q.v - a;
    best = dp < dq ? p : dq < dp ? q : p.v === 0 ? p : mantBits === 0 ? q : p.code % 2 === 0 ? p : q;
  }
  return (x < 0 || Object.is(x, -0) ? signBit : 0) + best.code;
}

const SMALL: [string, FloatFormat][] = [
  ['e4m3', FP8_E4M3],
  ['e5m2', FP8_E5M2],
  ['float<4,3> ieee', floatFormat(4, 3)],
  ['float<4,3> no subnormals', floatFormat(4, 3, { subnormals: false })],
  ['float<4,3> none', floatFormat(4, 3, { specials: 'none' })],
  ['float<3,4> bias 1', floatFormat(3, 4, { bias: 1, subnormals: false, specials: 'none' })],
  ['float<2,1>', floatFormat(2, 1)],
  ['float<3,0> none', floatFormat(3, 0, { specials: 'none' })],
  ['float<5,6> no subnormals', floatFormat(5, 6, { subnormals: false, specials: 'fn' })],
];

describe('float<E,M>', () => {
  test('FP8 E4M3 hand-worked bit patterns', () => {
    const enc = (x: number): number => encodeFloat(x, FP8_E4M3);
    expect(floatMaxFinite(FP8_E4M3)).toBe(448);
    expect([1, -1, 448, 2 ** -6, 2 ** -9, 0, -0, 0.5, 1.125, 1.0625, 1.1875].map(enc)).toEqual([0x38, 0xb8, 0x7e, 0x08, 0x01, 0x00, 0x80, 0x30, 0x39, 0x38, 0x3a]);
    expect([464, 465, 1e9, Infinity, -Infinity].map(enc)).toEqual([0x7e, 0x7e, 0x7e, 0x7e, 0xfe]); // saturating
    expect(encodeFloat(465, floatFormat(4, 3, { specials: 'fn', overflow: 'inf' }))).toBe(0x7f); // fn overflows to NaN
    expect(encodeFloat(464, floatFormat(4, 3, { specials: 'fn', overflow: 'inf' }))).toBe(0x7e); // tie to even 448
    expect([2 ** -10, 3 * 2 ** -10, 2 ** -10 + 2 ** -30, NaN].map(enc)).toEqual([0x00, 0x02, 0x01, 0x7f]);
    expect(decodeFloat(0x7f, FP8_E4M3)).toBeNaN();
    expect(decodeFloat(0xff, FP8_E4M3)).toBeNaN();
    expect(decodeFloat(0x7e, FP8_E4M3)).toBe(448);
    expect(decodeFloat(0x01, FP8_E4M3)).toBe(2 ** -9);
  });
  test('FP8 E5M2 hand-worked bit patterns', () => {
    const inf = floatFormat(5, 2, { overflow: 'inf' });
    expect(floatMaxFinite(FP8_E5M2)).toBe(57344);
    expect([1, 57344, 2 ** -16, 2 ** -14, -2].map((x) => encodeFloat(x, FP8_E5M2))).toEqual([0x3c, 0x7b, 0x01, 0x04, 0xc0]);
    expect([61439, 61440, Infinity, -Infinity, NaN].map((x) => encodeFloat(x, inf))).toEqual([0x7b, 0x7c, 0x7c, 0xfc, 0x7e]);
    expect(encodeFloat(61440, FP8_E5M2)).toBe(0x7b);
    expect(decodeFloat(0x7c, FP8_E5M2)).toBe(Infinity);
    expect(decodeFloat(0xfc, FP8_E5M2)).toBe(-Infinity);
    expect(decodeFloat(0x7d, FP8_E5M2)).toBeNaN();
  });
  test.each(SMALL)('%s: every code decodes and re-encodes to itself', (_, f) => {
    const signBit = 2 ** (f.expBits + f.mantBits);
    for (let code = 0; code < 2 * signBit; code++) {
      const v = decodeFloat(code, f);
      const c = code % signBit;
      const sign = code >= signBit ? signBit : 0;
      if (Number.isNaN(v)) expect(decodeFloat(encodeFloat(v, f), f)).toBeNaN();
      else if (v === 0) expect(encodeFloat(v, f)).toBe(sign); // non-canonical zeros (field 0 without subnormals)
      else if (!Number.isFinite(v)) expect(encodeFloat(v, f)).toBe(f.overflow === 'saturate' ? sign + encodeFloat(floatMaxFinite(f), f) : code);
      else expect(encodeFloat(v, f), `code ${code} (${c})`).toBe(code);
    }
  });
  test.each(SMALL)('%s: float32 values across the whole range = brute-force nearest', (_, f) => {
    const sat = { ...f, overflow: 'saturate' as const };
    const vals = finiteValues(sat), signBit = 2 ** (f.expBits + f.mantBits);
    const f32 = new Float32Array(1), u32 = new Uint32Array(f32.buffer);
    const bad: string[] = [];
    const cmp = (x: number): void => {
      const got = encodeFloat(x, sat), want = nearestRef(x, vals, signBit, f.mantBits);
      if (got !== want) bad.push(`${x}: ${got} != ${want}`);
    };
    for (let bits = 0; bits < 2 ** 32; bits += 8191) {
      u32[0] = bits;
      const x = f32[0] as number;
      if (!Number.isNaN(x)) cmp(x);
    }
    // the critical points: every midpoint between neighbours, and its float64 neighbours
    for (let i = 0; i + 1 < vals.length; i++) {
      const mid = ((vals[i] as { v: number }).v + (vals[i + 1] as { v: number }).v) / 2;
      for (const x of [mid, mid * (1 + 2 ** -52), mid * (1 - 2 ** -52), -mid]) cmp(x);
    }
    expect(bad.slice(0, 5)).toEqual([]);
  });
  test('float<8,23> with inf overflow is IEEE float32 (Math.fround), bit for bit', () => {
    const f32f = floatFormat(8, 23, { overflow: 'inf' });
    const buf = new Float32Array(1), u32 = new Uint32Array(buf.buffer);
    const check = (x: number): void => {
      buf[0] = x;
      const expected = Number.isNaN(x) ? 0x7fc00000 : (u32[0] as number);
      expect(encodeFloat(x, f32f), `${x}`).toBe(expected);
      if (!Number.isNaN(x)) expect(Object.is(quantizeFloat(x, f32f), Math.fround(x))).toBe(true);
    };
    fc.assert(fc.property(fc.double(), check), { numRuns: 20000 });
    fc.assert(fc.property(fc.double({ min: -(2 ** -120), max: 2 ** -120 }), check), { numRuns: 20000 }); // subnormals
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.constantFrom(-1, 0, 1), (bits, nudge) => {
      u32[0] = bits;
      const v = buf[0] as number;
      const next = (bits & 0x7fffffff) < 0x7f7fffff ? bits + 1 : bits;
      u32[0] = next;
      const mid = (v + (buf[0] as number)) / 2; // the tie between two float32 neighbours
      check(nudge === 0 ? mid : mid * (1 + nudge * 2 ** -52));
    }), { numRuns: 20000 });
    for (const x of [3.4028235677973366e38, 3.4028235677973362e38, 1e39, 2 ** -149, 2 ** -150, 3 * 2 ** -151, -0]) check(x);
  });
  test('parseNumFormat and bad formats', () => {
    expect(parseNumFormat('fixed<8,3>')).toMatchObject({ kind: 'fixed', width: 8, intBits: 3, signed: true });
    expect(parseNumFormat('ufixed<8,0>')).toMatchObject({ kind: 'fixed', signed: false });
    expect(parseNumFormat('float<5,10>')).toMatchObject({ kind: 'float', expBits: 5, mantBits: 10, bias: 15 });
    expect(parseNumFormat('E4M3')).toBe(FP8_E4M3);
    expectUserError(() => parseNumFormat('fixed8'), 'E_CONFIG');
    expectUserError(() => floatFormat(1, 3), 'E_CONFIG'); // E < 2
    expectUserError(() => floatFormat(8, 24), 'E_CONFIG');
    expectUserError(() => floatFormat(4, 0), 'E_CONFIG'); // ieee needs a mantissa bit
    expectUserError(() => floatFormat(4, 3, { specials: 'none', overflow: 'inf' }), 'E_CONFIG');
  });
});
