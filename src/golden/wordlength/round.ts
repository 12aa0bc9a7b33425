/** Fast, exact rounding of doubles into the number formats of ir/arithmetic.md sections 4 and 5, for the hot loops of
 *  the word-length-tuned kernels (linear.ts). `quantizeFloat`/`quantizeFixed` (src/ir/numformats.ts) are the
 *  definitions; these are equal to them on every input (test/golden/wordlength-round.test.ts checks all midpoints of
 *  small formats and random doubles), only faster: no DataView, no allocation, one branch per case.
 *
 *  Float: with e = the exponent of the double x (read from its bits), the quantum of the format at x is 2^qe,
 *  qe = max(e, emin) - M (or emin below emin without subnormals). Adding c = 1.5 * 2^(52 + qe) puts x + c in
 *  [2^(52+qe), 2^(53+qe)), whose float64 spacing is 2^qe, so the addition rounds x to a multiple of 2^qe to nearest,
 *  ties to even (c is an even multiple of 2^qe, so the parity of the sum's last bit is the parity of the rounded
 *  count); subtracting c is exact. Zeros, float64 subnormals, infinities and NaN take the reference path. */
import { fixedRange, floatMaxFinite, quantizeFloat, type FixedFormat, type FloatFormat } from '../../ir/numformats.js';

if (new Uint8Array(Uint16Array.of(1).buffer)[0] !== 1) throw new Error('internal error: the word-length kernels assume a little-endian host');

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
/** POW2[i] = 2^(i - 1074), i = 0..2097. */
const POW2 = Float64Array.from({ length: 2098 }, (_, i) => 2 ** (i - 1074));

/** The constants of one float format the fast rounder reads. */
export interface FloatCastPlan {
  readonly format: FloatFormat;
  readonly emin: number;
  readonly mant: number;
  readonly subnormals: boolean;
  readonly maxFinite: number;
  /** Binades above this one overflow whatever the rounding (the exponent of maxFinite, plus one). */
  readonly eOverflow: number;
  /** What a magnitude above maxFinite becomes: maxFinite (saturate), Infinity (ieee), NaN (fn). */
  readonly overflowTo: number;
}

export function floatCastPlan(f: FloatFormat): FloatCastPlan {
  const maxFinite = floatMaxFinite(f);
  const overflowTo = f.overflow === 'saturate' ? maxFinite : f.specials === 'ieee' ? Infinity : NaN;
  return { format: f, emin: 1 - f.bias, mant: f.mantBits, subnormals: f.subnormals, maxFinite, eOverflow: Math.floor(Math.log2(maxFinite)) + 1, overflowTo };
}

/** quantizeFloat(x, r.format), fast. */
export function roundFloat(x: number, r: FloatCastPlan): number {
  f64[0] = x;
  const field = (u32[1]! >>> 20) & 0x7ff;
  if (field === 0 || field === 0x7ff) return x === 0 ? x : quantizeFloat(x, r.format);
  const e = field - 1023;
  if (e > r.eOverflow) return x > 0 ? r.overflowTo : -r.overflowTo;
  const qe = e >= r.emin ? e - r.mant : r.subnormals ? r.emin - r.mant : r.emin;
  const c = 3 * POW2[qe + 1125]!; // 1.5 * 2^(52 + qe) = 3 * 2^(51 + qe)
  const y = x + c - c;
  if (y > r.maxFinite) return r.overflowTo;
  if (y < -r.maxFinite) return -r.overflowTo;
  return y === 0 ? (x < 0 ? -0 : 0) : y;
}

/** 1.5 * 2^52: for |t| <= 2^51, t + RNE lies in [2^52, 2^53), where the doubles are the integers, so t + RNE - RNE is
 *  t rounded to an integer, half to even. */
export const RNE = 6755399441055744;

/** The rounding of a fixed format as a code: round(t) for a real t = value * 2^F, in the format's rounding mode
 *  (exact: t - floor(t) is exact in float64). Overflow is applied separately. */
export function roundCode(t: number, rounding: FixedFormat['rounding']): number {
  if (rounding === 'truncate') return Math.floor(t);
  if (t <= 2 ** 51 && t >= -(2 ** 51)) {
    // Branch-free rounding half to even (the sum lies where doubles are the integers; see linear.ts); half-up
    // differs only at a tie that went down to the even neighbour. Random fractions mispredict the compare below.
    const r = t + RNE - RNE;
    return rounding === 'half-even' || r - t !== -0.5 ? r : r + 1;
  }
  const n = Math.floor(t);
  const frac = t - n;
  if (rounding === 'half-up') return frac >= 0.5 ? n + 1 : n;
  return frac > 0.5 || (frac === 0.5 && n % 2 !== 0) ? n + 1 : n;
}

/** The constants of one fixed format the fast cast reads (one object shape for every format, so calls stay
 *  monomorphic). */
export interface FixedCastPlan {
  readonly scale: number;
  readonly step: number;
  readonly min: number;
  readonly max: number;
  readonly rounding: FixedFormat['rounding'];
  readonly saturate: boolean;
  readonly signed: boolean;
  readonly modulus: number;
}

export function fixedCastPlan(f: FixedFormat): FixedCastPlan {
  const { min, max } = fixedRange(f);
  const scale = 2 ** (f.width - f.intBits);
  return { scale, step: 1 / scale, min, max, rounding: f.rounding, saturate: f.overflow === 'saturate', signed: f.signed, modulus: 2 ** f.width };
}

/** Overflow of an integer code: clamp (saturate) or two's complement modulo 2^W (wrap). */
export function overflowCode(n: number, r: FixedCastPlan): number {
  if (n >= r.min && n <= r.max) return n;
  if (r.saturate) return n < r.min ? r.min : r.max;
  const m = n - Math.floor(n / r.modulus) * r.modulus;
  return r.signed && m > r.max ? m - r.modulus : m;
}

/** dequantizeFixed(quantizeFixed(v, f), f) for finite v with |v| * 2^F < 2^53, fast. */
export function roundFixed(v: number, r: FixedCastPlan): number {
  return overflowCode(roundCode(v * r.scale, r.rounding), r) * r.step;
}
