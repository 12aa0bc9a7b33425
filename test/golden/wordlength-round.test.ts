import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { decodeFloat, floatFormat, FP8_E4M3, FP8_E5M2, quantizeFixed, quantizeFloat, fixedFormat, type FloatFormat } from '../../src/ir/numformats.js';
import { floatCastPlan, roundCode, roundFloat } from '../../src/golden/wordlength/round.js';

const FORMATS: [string, FloatFormat][] = [
  ['e4m3', FP8_E4M3],
  ['e5m2', FP8_E5M2],
  ['e5m2 inf', floatFormat(5, 2, { overflow: 'inf' })],
  ['e4m3 fn inf', floatFormat(4, 3, { specials: 'fn', overflow: 'inf' })],
  ['float<4,3> no subnormals', floatFormat(4, 3, { subnormals: false })],
  ['float<3,0> none', floatFormat(3, 0, { specials: 'none' })],
  ['float<2,1>', floatFormat(2, 1)],
  ['float<3,4> bias 1 none', floatFormat(3, 4, { bias: 1, subnormals: false, specials: 'none' })],
  ['float<5,7> none', floatFormat(5, 7, { specials: 'none' })],
  ['float<8,23> inf (float32)', floatFormat(8, 23, { overflow: 'inf' })],
  ['float<8,23> no subnormals', floatFormat(8, 23, { subnormals: false, specials: 'none' })],
  ['float<6,24> none', floatFormat(6, 24, { specials: 'none' })],
  ['float<10,21> none', floatFormat(10, 21, { specials: 'none' })],
];

const same = (a: number, b: number): boolean => Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));

describe('roundFloat equals quantizeFloat (numformats.ts)', () => {
  test.each(FORMATS)('%s: every value, every midpoint between neighbours and its float64 neighbours', (_, f) => {
    const r = floatCastPlan(f);
    const half = 2 ** (f.expBits + f.mantBits);
    const vals = new Set<number>();
    for (let c = 0; c < Math.min(half, 1 << 16); c++) {
      const v = decodeFloat(c, f);
      if (Number.isFinite(v)) vals.add(v);
    }
    const sorted = [...vals].sort((a, b) => a - b);
    const bad: string[] = [];
    const check = (x: number): void => {
      const got = roundFloat(x, r), want = quantizeFloat(x, f);
      if (!same(got, want)) bad.push(`${x}: ${got} != ${want}`);
    };
    for (let i = 0; i + 1 < sorted.length; i++) {
      const a = sorted[i]!, b = sorted[i + 1]!, mid = (a + b) / 2;
      for (const x of [a, mid, mid * (1 + 2 ** -52), mid * (1 - 2 ** -52)]) {
        check(x);
        check(-x);
      }
    }
    const top = sorted[sorted.length - 1]!;
    for (const x of [top * 1.0001, top * 2, 1e300, Infinity, -Infinity, NaN, 0, -0, 5e-324, 2 ** -1060]) check(x);
    expect(bad.slice(0, 5)).toEqual([]);
  });
  test.each(FORMATS)('%s: random doubles (fast-check)', (_, f) => {
    const r = floatCastPlan(f);
    fc.assert(fc.property(fc.double(), fc.integer({ min: -60, max: 60 }), (x, s) => {
      const y = x * 2 ** s;
      expect(same(roundFloat(y, r), quantizeFloat(y, f))).toBe(true);
    }), { numRuns: 5000 });
  });
});

describe('roundCode equals quantizeFixed without overflow', () => {
  test('every multiple of 1/64 in [-40, 40], each rounding mode', () => {
    for (const rounding of ['truncate', 'half-up', 'half-even'] as const) {
      const f = fixedFormat(32, 24, { rounding }); // step 2^-8, range far beyond the tested values
      for (let k = -2560; k <= 2560; k++) {
        const t = k / 64; // t is in LSB units: value t * 2^-8
        expect(roundCode(t, rounding), `${rounding} ${t}`).toBe(quantizeFixed(t / 256, f));
      }
    }
  });
});

describe('roundCode on both sides of the branch-free range |t| <= 2^51', () => {
  test('every representable t within 40 steps of +-2^50, +-2^51 and +-2^52, against BigInt (ties included)', () => {
    // For 2^49 <= |t| < 2^54, 8t is an integer, so BigInt(8t) is t exactly; BigInt >> floors.
    const ref = (t: number, rounding: 'truncate' | 'half-up' | 'half-even'): number => {
      const e = BigInt(8 * t), fl = e >> 3n, rem = e - (fl << 3n);
      if (rounding === 'truncate') return Number(fl);
      if (rounding === 'half-up') return Number(rem >= 4n ? fl + 1n : fl);
      return Number(rem > 4n || (rem === 4n && (fl & 1n) === 1n) ? fl + 1n : fl);
    };
    let checked = 0;
    for (const centre of [2 ** 50, 2 ** 51, 2 ** 52])
      for (const sign of [1, -1]) {
        const ulp = centre / 2 ** 52;
        for (let k = -40; k <= 40; k++) {
          const t = sign * (centre + k * (k < 0 ? ulp / 2 : ulp)); // below the centre the spacing halves
          for (const rounding of ['truncate', 'half-up', 'half-even'] as const) {
            expect(roundCode(t, rounding), `${rounding} ${t}`).toBe(ref(t, rounding));
            checked++;
          }
        }
      }
    expect(checked).toBe(3 * 2 * 81 * 3);
  });
});
