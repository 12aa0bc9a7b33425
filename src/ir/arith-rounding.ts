/** Integer rounding of a quotient by a power of two or by a count: the rounding steps of QSum and QAveragePool
 *  (ir/arithmetic.md). Exact for |numerator| < 2^53. */
import type { RoundingMode } from './arith.js';

/** round(v / 2^shift) for an integer v, ties per `mode`; shift >= 0. */
export function roundShift(v: number, shift: number, mode: RoundingMode): number {
  return roundDiv(v, 2 ** shift, mode);
}

/** round(num / den) for integers num and den > 0, ties per `mode` (half-away: away from zero; half-even: to the even
 *  neighbour). */
export function roundDiv(num: number, den: number, mode: RoundingMode): number {
  const neg = num < 0;
  const a = neg ? -num : num;
  let q = Math.floor(a / den);
  let r = a - q * den;
  if (r >= den) { q += 1; r -= den; } // floating division may land one below for huge a
  const twice = 2 * r;
  if (twice > den || (twice === den && (mode === 'half-away' || q % 2 === 1))) q += 1;
  return neg ? 0 - q : q;
}
