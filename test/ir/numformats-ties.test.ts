/** The ties and overflow edges of every small format, against the definitions written out on integers
 *  (ir/arithmetic.md sections 4 and 5): fixed point at every tie between two codes (fraction bits up to 8, which the
 *  dense grid of numformats.test.ts does not reach) in every rounding and overflow mode; custom floats at the
 *  overflow boundary with overflow to infinity (ieee) or NaN (fn), with and without subnormals. */
import { describe, expect, test } from 'vitest';
import { decodeFloat, encodeFloat, fixedFormat, fixedRange, floatFormat, floatMaxFinite, quantizeFixed, quantizeFloat, type FixedOverflow, type FixedRounding } from '../../src/ir/numformats.js';

describe('fixed<W,I>: every tie, both overflow modes', () => {
  test('W = 1..6, I = -2..W, signed and unsigned, at c + 1/2 and just around it', () => {
    const bad: string[] = [];
    for (let w = 1; w <= 6; w++)
      for (let i = -2; i <= w; i++)
        for (const signed of [true, false])
          for (const rounding of ['truncate', 'half-up', 'half-even'] as FixedRounding[])
            for (const overflow of ['wrap', 'saturate'] as FixedOverflow[]) {
              const f = fixedFormat(w, i, { signed, rounding, overflow });
              const F = w - i, { min, max } = fixedRange(f), m = 2 ** w;
              const wrapOrSat = (n: number) => (n >= min && n <= max ? n : overflow === 'saturate' ? (n < min ? min : max) : signed ? ((((n - min) % m) + m) % m) + min : ((n % m) + m) % m);
              for (let c = min - 3; c <= max + 3; c++) {
                const tie = (c + 0.5) * 2 ** -F, eps = 2 ** (-F - 6);
                const atTie = rounding === 'truncate' ? c : rounding === 'half-up' ? c + 1 : c % 2 === 0 ? c : c + 1;
                const cases: [number, number][] = [[tie, atTie], [tie - eps, c], [tie + eps, rounding === 'truncate' ? c : c + 1]];
                for (const [x, n] of cases) if (quantizeFixed(x, f) !== wrapOrSat(n)) bad.push(`${JSON.stringify(f)} ${x}: ${quantizeFixed(x, f)} != ${wrapOrSat(n)}`);
              }
            }
    expect(bad.slice(0, 5)).toEqual([]);
  });
});

describe('float<E,M>: the overflow boundary', () => {
  test.each([
    ['e5m2 ieee inf', floatFormat(5, 2, { overflow: 'inf' })],
    ['float<3,2> ieee inf', floatFormat(3, 2, { overflow: 'inf' })],
    ['float<3,2> ieee inf, no subnormals', floatFormat(3, 2, { overflow: 'inf', subnormals: false })],
    ['e4m3 fn inf (to NaN)', floatFormat(4, 3, { specials: 'fn', overflow: 'inf' })],
    ['float<4,2> none saturate', floatFormat(4, 2, { specials: 'none' })],
  ])('%s', (_, f) => {
    const max = floatMaxFinite(f), ulp = 2 ** (Math.floor(Math.log2(max)) - f.mantBits);
    const over = f.overflow === 'saturate' ? max : f.specials === 'fn' ? NaN : Infinity;
    // below the midpoint to the next (unrepresentable) value: max; at it: the tie goes to the even neighbour, which is
    // the overflow (max has an odd mantissa when every mantissa code is finite; fn's max is even: it stays)
    const maxMantOdd = encodeFloat(max, f) % 2 === 1;
    expect(quantizeFloat(max + ulp / 2 - ulp / 64, f)).toBe(max);
    const atTie = quantizeFloat(max + ulp / 2, f);
    if (maxMantOdd) expect(atTie).toBe(over);
    else expect(atTie).toBe(max);
    expect(quantizeFloat(max + ulp, f)).toBe(over);
    expect(quantizeFloat(-(max + ulp), f)).toBe(-over);
    expect(decodeFloat(encodeFloat(max, f), f)).toBe(max);
  });
});
