/** Bit-true number formats for word-length tuning (contract: ir/arithmetic.md, "Fixed point" and "Custom float").
 *  - fixed<W,I>: W total bits, I integer bits (sign included when signed), F = W - I fractional bits; code c means
 *    c * 2^-F. Rounding: truncate (toward -infinity, dropping bits of the two's complement), half-up (ties toward
 *    +infinity), half-even. Overflow: wrap (two's complement modulo 2^W) or saturate. Like ap_fixed's AP_TRN,
 *    AP_RND, AP_RND_CONV, AP_WRAP, AP_SAT.
 *  - float<E,M>: sign, E exponent bits, M mantissa bits, a bias (default 2^(E-1)-1), subnormals on or off, special
 *    codes ('ieee': top exponent = inf/NaN; 'fn': only S.1..1.1..1 is NaN, no inf (FP8 E4M3); 'none': every code
 *    finite), round to nearest even, overflow to max finite or to inf (NaN in 'fn').
 *  Everything is computed exactly: the input double is split into an integer significand and an exponent, and all
 *  rounding is integer arithmetic on values below 2^53 (never a float32 shortcut that could differ from hardware). */
import { userError } from '../errors.js';
import { roundHalfEven } from './arith.js';

export type FixedRounding = 'truncate' | 'half-up' | 'half-even';
export type FixedOverflow = 'wrap' | 'saturate';

export interface FixedFormat {
  readonly kind: 'fixed';
  readonly width: number;
  readonly intBits: number;
  readonly signed: boolean;
  readonly rounding: FixedRounding;
  readonly overflow: FixedOverflow;
}

export type FloatSpecials = 'ieee' | 'fn' | 'none';

export interface FloatFormat {
  readonly kind: 'float';
  readonly expBits: number;
  readonly mantBits: number;
  readonly bias: number;
  readonly subnormals: boolean;
  readonly specials: FloatSpecials;
  readonly overflow: 'saturate' | 'inf';
}

/** fixed<W,I>: 1 <= W <= 32, -32 <= I <= W (so F = W - I >= 0). Defaults: signed, half-even, saturate. */
export function fixedFormat(width: number, intBits: number, o: { signed?: boolean; rounding?: FixedRounding; overflow?: FixedOverflow } = {}): FixedFormat {
  const name = `fixed<${width},${intBits}>`;
  if (!(Number.isInteger(width) && width >= 1 && width <= 32)) throw userError('E_CONFIG', `${name}: width ${width} out of range; expected an integer from 1 to 32`);
  if (!(Number.isInteger(intBits) && intBits >= -32 && intBits <= width))
    throw userError('E_CONFIG', `${name}: integer bits ${intBits} out of range; expected an integer from -32 to the width (W >= I)`);
  return { kind: 'fixed', width, intBits, signed: o.signed ?? true, rounding: o.rounding ?? 'half-even', overflow: o.overflow ?? 'saturate' };
}

/** Code range: signed [-2^(W-1), 2^(W-1)-1], unsigned [0, 2^W-1]. */
export function fixedRange(f: FixedFormat): { min: number; max: number } {
  return f.signed ? { min: -(2 ** (f.width - 1)), max: 2 ** (f.width - 1) - 1 } : { min: 0, max: 2 ** f.width - 1 };
}

/** The value of one LSB: 2^-(W-I). */
export function fixedStep(f: FixedFormat): number {
  return 2 ** (f.intBits - f.width);
}

/** Real -> code: n = round(x * 2^F) in the format's rounding mode, then wrap or saturate to the code range.
 *  x * 2^F is exact (a power-of-two scaling); the rounding compares the exact fraction. NaN -> 0; +-Infinity
 *  saturate in both overflow modes. */
export function quantizeFixed(x: number, f: FixedFormat): number {
  const { min, max } = fixedRange(f);
  if (Number.isNaN(x)) return 0;
  if (x === Infinity) return max;
  if (x === -Infinity) return min;
  const s = x * 2 ** (f.width - f.intBits); // F >= 0: never underflows
  // Beyond 2^1024 the scaled value is a multiple of 2^900: it saturates, or wraps to 0.
  if (!Number.isFinite(s)) return f.overflow === 'wrap' ? 0 : s < 0 ? min : max;
  let n: number;
  if (f.rounding === 'half-even') n = roundHalfEven(s);
  else {
    n = Math.floor(s);
    if (f.rounding === 'half-up' && s - n >= 0.5) n += 1;
  }
  if (n >= min && n <= max) return n + 0;
  if (f.overflow === 'saturate') return n < min ? min : max;
  const m = 2 ** f.width;
  const r = n - Math.floor(n / m) * m; // exact: the true residue is an integer below 2^32
  return f.signed && r >= m / 2 ? r - m : r;
}

/** Code -> real: code * 2^-F (exact). */
export function dequantizeFixed(code: number, f: FixedFormat): number {
  return code * 2 ** (f.intBits - f.width);
}

/** Convert a code between fixed formats (shift with the target's rounding and overflow); exact. */
export function fixedCast(code: number, from: FixedFormat, to: FixedFormat): number {
  return quantizeFixed(dequantizeFixed(code, from), to);
}

/** float<E,M>: 2 <= E <= 11, 0 <= M, 1 + E + M <= 32; 'ieee' and 'fn' need M >= 1; overflow 'inf' needs specials.
 *  Defaults: bias 2^(E-1)-1, subnormals on, specials 'ieee', overflow 'saturate'. */
export function floatFormat(
  expBits: number,
  mantBits: number,
  o: { bias?: number; subnormals?: boolean; specials?: FloatSpecials; overflow?: 'saturate' | 'inf' } = {},
): FloatFormat {
  const name = `float<${expBits},${mantBits}>`;
  const bad = (msg: string): never => {
    throw userError('E_CONFIG', `${name}: ${msg}`);
  };
  if (!(Number.isInteger(expBits) && expBits >= 2 && expBits <= 11)) bad(`exponent bits ${expBits} out of range; expected an integer from 2 to 11`);
  if (!(Number.isInteger(mantBits) && mantBits >= 0 && 1 + expBits + mantBits <= 32)) bad(`mantissa bits ${mantBits} out of range; expected an integer >= 0 with 1 + E + M <= 32`);
  const f: FloatFormat = {
    kind: 'float', expBits, mantBits, bias: o.bias ?? 2 ** (expBits - 1) - 1,
    subnormals: o.subnormals ?? true, specials: o.specials ?? 'ieee', overflow: o.overflow ?? 'saturate',
  };
  if (!Number.isInteger(f.bias)) bad(`bias ${f.bias} is not an integer`);
  if (f.specials !== 'none' && mantBits === 0) bad(`special codes '${f.specials}' need at least one mantissa bit; use specials 'none'`);
  if (f.specials === 'none' && f.overflow === 'inf') bad(`overflow 'inf' needs a format with special codes ('ieee' or 'fn')`);
  if (2 ** expBits - 1 - f.bias > 1023 || 1 - f.bias - mantBits < -1074) bad(`bias ${f.bias} puts the range outside a double's`);
  return f;
}

/** FP8 E4M3 (OCP 'E4M3FN'): bias 7, subnormals, no inf, NaN = S.1111.111, max finite 448. */
export const FP8_E4M3: FloatFormat = floatFormat(4, 3, { specials: 'fn' });
/** FP8 E5M2 (OCP): bias 15, subnormals, IEEE inf and NaN, max finite 57344. */
export const FP8_E5M2: FloatFormat = floatFormat(5, 2, { specials: 'ieee' });

interface Limits {
  readonly maxField: number;
  readonly maxMant: number;
}
function limits(f: FloatFormat): Limits {
  const top = 2 ** f.expBits - 1, full = 2 ** f.mantBits - 1;
  return f.specials === 'ieee' ? { maxField: top - 1, maxMant: full } : f.specials === 'fn' ? { maxField: top, maxMant: full - 1 } : { maxField: top, maxMant: full };
}

/** The canonical NaN code ('ieee': quiet NaN, top exponent and mantissa MSB; 'fn': all ones); 'none' has no NaN. */
export function floatNaNCode(f: FloatFormat): number | null {
  const top = (2 ** f.expBits - 1) * 2 ** f.mantBits;
  return f.specials === 'ieee' ? top + 2 ** (f.mantBits - 1) : f.specials === 'fn' ? top + 2 ** f.mantBits - 1 : null;
}

/** Largest finite value. */
export function floatMaxFinite(f: FloatFormat): number {
  const { maxField, maxMant } = limits(f);
  return (2 ** f.mantBits + maxMant) * 2 ** (maxField - f.bias - f.mantBits);
}

const view = new DataView(new ArrayBuffer(8));

/** Real -> code (an unsigned integer of 1 + E + M bits: sign, exponent field, mantissa field).
 *  |x| = sig * 2^q exactly (sig < 2^53); the quantum is 2^(e - M) for e = floor(log2 |x|) >= emin = 1 - bias, and
 *  2^(emin - M) below (or 2^emin without subnormals: the only values there are 0 and the smallest normal); n = sig *
 *  2^(q - quantum exponent) rounded to nearest, ties to even n (the mantissa LSB; with M = 0 the implicit 1 is the LSB,
 *  so ties go up, except 0 against the smallest normal); a magnitude above the largest finite overflows. The
 *  sign is kept for zero results (-0). NaN -> the NaN code ('none': the +0 code). */
export function encodeFloat(x: number, f: FloatFormat): number {
  const M = f.mantBits, signBit = 2 ** (f.expBits + M);
  if (Number.isNaN(x)) return floatNaNCode(f) ?? 0;
  const sign = x < 0 || Object.is(x, -0) ? signBit : 0;
  const a = Math.abs(x);
  if (a === 0) return sign;
  const lim = limits(f);
  const overflowCode = (): number =>
    f.overflow === 'saturate' ? lim.maxField * 2 ** M + lim.maxMant : f.specials === 'ieee' ? (2 ** f.expBits - 1) * 2 ** M : (floatNaNCode(f) ?? 0); // fn: overflow to NaN
  if (a === Infinity) return sign + overflowCode();
  view.setFloat64(0, a);
  const hi = view.getUint32(0), lo = view.getUint32(4);
  const e64 = hi >>> 20;
  const sig = (hi & 0xfffff) * 4294967296 + lo + (e64 > 0 ? 2 ** 52 : 0);
  const q = (e64 > 0 ? e64 : 1) - 1075;
  const emin = 1 - f.bias;
  const ex = q + bitLength(sig) - 1;
  const Q = ex >= emin ? ex - M : f.subnormals ? emin - M : emin;
  const n = roundShiftEven(sig, Q - q);
  if (n === 0) return sign;
  const bn = bitLength(n), ev = Q + bn - 1;
  let field: number, mant: number;
  if (ev < emin) {
    field = 0;
    mant = n; // subnormal: Q = emin - M
  } else {
    field = ev + f.bias;
    mant = n * 2 ** (M - bn + 1) - 2 ** M;
  }
  if (field > lim.maxField || (field === lim.maxField && mant > lim.maxMant)) return sign + overflowCode();
  return sign + field * 2 ** M + mant;
}

/** Code -> real. Field 0 is subnormal (mant * 2^(emin - M)), or zero when subnormals are off. */
export function decodeFloat(code: number, f: FloatFormat): number {
  const M = f.mantBits, signBit = 2 ** (f.expBits + M);
  const neg = code >= signBit;
  const c = neg ? code - signBit : code;
  const field = Math.floor(c / 2 ** M), mant = c - field * 2 ** M;
  const top = 2 ** f.expBits - 1;
  let v: number;
  if (f.specials === 'ieee' && field === top) v = mant === 0 ? Infinity : NaN;
  else if (f.specials === 'fn' && field === top && mant === 2 ** M - 1) v = NaN;
  else if (field === 0) v = f.subnormals ? mant * 2 ** (1 - f.bias - M) : 0;
  else v = (2 ** M + mant) * 2 ** (field - f.bias - M);
  return neg ? -v : v;
}

/** Real -> nearest representable real (decode(encode(x))). */
export function quantizeFloat(x: number, f: FloatFormat): number {
  return decodeFloat(encodeFloat(x, f), f);
}

/** Parse 'fixed<W,I>', 'ufixed<W,I>', 'float<E,M>', 'e4m3', 'e5m2' (defaults for the rest). */
export function parseNumFormat(text: string): FixedFormat | FloatFormat {
  const t = text.trim().toLowerCase();
  if (t === 'e4m3' || t === 'fp8e4m3') return FP8_E4M3;
  if (t === 'e5m2' || t === 'fp8e5m2') return FP8_E5M2;
  const m = /^(u?fixed|float)<\s*(-?\d+)\s*,\s*(-?\d+)\s*>$/.exec(t);
  if (!m) throw userError('E_CONFIG', `number format '${text}' not understood; expected fixed<W,I>, ufixed<W,I>, float<E,M>, e4m3 or e5m2`);
  const a = Number(m[2]), b = Number(m[3]);
  return m[1] === 'float' ? floatFormat(a, b) : fixedFormat(a, b, { signed: m[1] === 'fixed' });
}

/** round(n / 2^d) to nearest, ties to even, for an integer 0 <= n < 2^53; d <= 0 multiplies (exactly). */
function roundShiftEven(n: number, d: number): number {
  if (d <= 0) return n * 2 ** -d;
  if (d > 54) return 0; // n < 2^53 < 2^(d-1)
  const p = 2 ** d;
  let k = Math.floor(n / p);
  const r = n - k * p, half = p / 2;
  if (r > half || (r === half && k % 2 === 1)) k += 1;
  return k;
}

function bitLength(n: number): number {
  return n < 4294967296 ? 32 - Math.clz32(n) : 64 - Math.clz32(Math.floor(n / 4294967296));
}
