/** The integer arithmetic of a quantized layer, implemented once (contract: ir/arithmetic.md). The golden model, the
 *  quantizer, the emitters' views and the tests all call these functions; nothing else rounds or saturates codes.
 *  - Codes: real = scale * (code - zeroPoint); B-bit codes, 2 <= B <= 16; unsigned with a zero point, or signed
 *    symmetric (zero point 0, codes in [-(2^(B-1)-1), 2^(B-1)-1]).
 *  - Accumulator: int32, acc = bias + sum_k (a_k - za)(w_k - zw) (widths: `accumulatorWidths`).
 *  - Requantization: out = clamp(zo + round(acc * m / 2^(31+s)), lo, hi), one rounding of the exact product,
 *    m in [2^30, 2^31) (or 0), s >= -31; `mulShiftRound` (fast, Numbers only) and `mulShiftRoundRef` (BigInt). */
import { userError } from '../errors.js';

export type QuantScheme = 'unsigned' | 'signed';
export type RoundingMode = 'half-away' | 'half-even';

/** Affine quantization of one tensor (or one channel): real = scale * (code - zeroPoint), code in [qmin, qmax]. */
export interface AffineQuant {
  readonly scale: number;
  readonly zeroPoint: number;
  readonly bits: number;
  readonly scheme: QuantScheme;
  readonly qmin: number;
  readonly qmax: number;
}

/** The real multiplier M ~ mantissa * 2^-(31 + shift); mantissa in [2^30, 2^31) or 0; shift an integer >= -31
 *  (negative = left shift). */
export interface FixedMultiplier {
  readonly mantissa: number;
  readonly shift: number;
}

/** Everything one output channel's requantization needs: out = clamp(zeroPoint + round(acc*m / 2^(31+s)), lo, hi). */
export interface Requant extends FixedMultiplier {
  readonly rounding: RoundingMode;
  readonly zeroPoint: number;
  readonly lo: number;
  readonly hi: number;
}

/** A ReLU or Clip folded into the saturation bounds of the layer before it. */
export type FusedActivation =
  | { readonly kind: 'none' }
  | { readonly kind: 'relu' }
  | { readonly kind: 'clip'; readonly min: number; readonly max: number };

export const INT32_MIN = -2147483648;
export const INT32_MAX = 2147483647;
const TWO32 = 4294967296;
const TWO53 = 9007199254740992;
/** 2^-t for t in [0, 63]: a table, because `2 ** t` with a variable t is a slow Math.pow call in the hot path. */
const INV_POW2 = Array.from({ length: 64 }, (_, t) => 2 ** -t);

/** Code range of B-bit codes: unsigned [0, 2^B - 1]; signed symmetric [-(2^(B-1) - 1), 2^(B-1) - 1] (the code
 *  -2^(B-1) is never produced, so negation never overflows and signed multipliers see a symmetric range). */
export function codeRange(bits: number, scheme: QuantScheme): { qmin: number; qmax: number } {
  if (!(Number.isInteger(bits) && bits >= 2 && bits <= 16)) throw userError('E_QUANT', `${bits}-bit codes requested; expected an integer from 2 to 16 bits`);
  return scheme === 'unsigned' ? { qmin: 0, qmax: 2 ** bits - 1 } : { qmin: -(2 ** (bits - 1) - 1), qmax: 2 ** (bits - 1) - 1 };
}

/** Quantization parameters for reals in [min, max]. The range is first widened to include 0 (so real 0 is exactly a
 *  code: zero padding and ReLU are exact). Unsigned: scale = (max - min) / qmax, zeroPoint = round_half_even(-min /
 *  scale) clamped to [0, qmax] (an exact integer; the represented range shifts by less than scale/2). Signed:
 *  scale = max(|min|, |max|) / qmax, zeroPoint = 0. An all-zero range gets scale 1. */
export function chooseQuantParams(min: number, max: number, bits: number, scheme: QuantScheme): AffineQuant {
  if (!(Number.isFinite(min) && Number.isFinite(max) && min <= max)) throw userError('E_QUANT', `range [${min}, ${max}] cannot be quantized; expected finite min <= max (check the calibration data)`);
  const { qmin, qmax } = codeRange(bits, scheme);
  const lo = Math.min(min, 0), hi = Math.max(max, 0);
  if (scheme === 'signed') {
    const scale = Math.max(-lo, hi) / qmax;
    return { scale: scale > 0 ? scale : 1, zeroPoint: 0, bits, scheme, qmin, qmax };
  }
  const scale = (hi - lo) / qmax;
  if (!(scale > 0)) return { scale: 1, zeroPoint: 0, bits, scheme, qmin, qmax };
  const zeroPoint = Math.min(qmax, Math.max(qmin, roundHalfEven(-lo / scale)));
  return { scale, zeroPoint, bits, scheme, qmin, qmax };
}

/** Round a real to the nearest integer, ties to even. Exact for every double; never returns -0. */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f; // exact: x and f share the binade or f is 0
  if (d < 0.5) return f + 0; // -0 + 0 = +0
  if (d > 0.5) return f + 1;
  return f % 2 === 0 ? f : f + 1;
}

/** Round a real to the nearest integer, ties away from zero. Exact for every double; never returns -0. */
export function roundHalfAway(x: number): number {
  const a = Math.abs(x);
  const f = Math.floor(a);
  const r = a - f >= 0.5 ? f + 1 : f; // a - f is exact (Math.floor(a + 0.5) is not: 0.49999999999999994 + 0.5 = 1)
  return x < 0 ? 0 - r : r;
}

/** code = clamp(round_half_even(x / scale) + zeroPoint, qmin, qmax), x / scale in float64 (as ONNX QuantizeLinear,
 *  which rounds half to even and saturates). NaN maps to the zero point. */
export function quantize(x: number, q: AffineQuant): number {
  if (Number.isNaN(x)) return q.zeroPoint;
  const c = roundHalfEven(x / q.scale) + q.zeroPoint;
  return c < q.qmin ? q.qmin : c > q.qmax ? q.qmax : c;
}

/** real = scale * (code - zeroPoint). */
export function dequantize(code: number, q: AffineQuant): number {
  return q.scale * (code - q.zeroPoint);
}

/** Bias code for an accumulator of scale sa*sw (zero point 0): round_half_even(b / (sa*sw)) saturated to int32. */
export function quantizeBias(b: number, scaleA: number, scaleW: number): number {
  const c = roundHalfEven(b / (scaleA * scaleW));
  return c < INT32_MIN ? INT32_MIN : c > INT32_MAX ? INT32_MAX : c;
}

/** M = mantissa * 2^-(31+shift) with mantissa = round(f * 2^31), where real = f * 2^-shift, f in [0.5, 1) (a
 *  mantissa that rounds up to 2^31 becomes 2^30 with shift - 1). Error: |M - real| <= 2^-(32+shift) <= real * 2^-31.
 *  real = 0 gives mantissa 0, shift 0. real must be finite, >= 0 and < 2^31 (shift >= -31). */
export function quantizeMultiplier(real: number): FixedMultiplier {
  if (!(Number.isFinite(real) && real >= 0 && real < 2 ** 31)) throw userError('E_QUANT', `requantization multiplier ${real} is out of range; expected a finite real in [0, 2^31) (check the scales: M = sa*sw/so)`);
  if (real === 0) return { mantissa: 0, shift: 0 };
  let e = Math.floor(Math.log2(real)) + 1; // real = f * 2^e, f in [0.5, 1), after the two corrections below
  const scaled = (k: number): number => real * 2 ** Math.max(-1000, Math.min(1000, k)) * 2 ** (k - Math.max(-1000, Math.min(1000, k)));
  while (scaled(-e) >= 1) e++;
  while (scaled(-e) < 0.5) e--;
  let mantissa = Math.round(scaled(31 - e)); // in [2^30, 2^31]; f*2^31 has at most 53 significant bits: exact round
  if (mantissa === 2 ** 31) {
    mantissa = 2 ** 30;
    e++;
  }
  return { mantissa, shift: 0 - e || 0 };
}

/** The real value of a fixed-point multiplier: mantissa * 2^-(31+shift). */
export function multiplierValue(m: FixedMultiplier): number {
  return m.mantissa * 2 ** -(31 + m.shift);
}

/** round(acc * mantissa / 2^(31+shift)) with one rounding of the exact 63-bit product, in Numbers only.
 *  Domain: |acc| <= 2^32 (an int32 accumulator plus an int32 bias fits), 0 <= mantissa < 2^31, integer shift >= -31.
 *  Exact whenever |result| < 2^53; larger results (only with shift <= 0) return +-Infinity, which every clamp to
 *  int32 bounds treats correctly. Method: |acc| * mantissa is split as H * 2^32 + L through 16-bit halves of the
 *  mantissa (every partial product < 2^48 is exact in a double), then H:L is shifted right by t = 31 + shift with
 *  the remainder compared to 2^(t-1). Both modes are symmetric, so the sign is applied last. */
export function mulShiftRound(acc: number, mantissa: number, shift: number, mode: RoundingMode): number {
  const t = 31 + shift;
  if (acc === 0 || mantissa === 0 || t > 63) return 0; // |acc * m| < 2^63 <= 2^(t-1): rounds to 0
  const neg = acc < 0;
  const a = neg ? -acc : acc;
  // Fast path (the golden model calls this once per output): x = a*m/2^t in one rounded double has relative error
  // <= 2^-52, so for x < 2^30 its absolute error is < 2^-22. Rounding is then decided unless x lies within 2^-20 of a
  // tie (near an integer both floor and ceil round to that integer). Ties and large values take the exact path below.
  if (t >= 0) {
    const x = (a * mantissa) * INV_POW2[t]!;
    if (x < 1073741824) {
      const f = Math.floor(x), frac = x - f;
      if (Math.abs(frac - 0.5) > 9.5367431640625e-7) {
        const q = frac > 0.5 ? f + 1 : f;
        return neg ? 0 - q : q;
      }
    }
  }
  let q: number, cmp: number; // cmp: sign of (remainder - half)
  if (a < 4194304) {
    const p = a * mantissa; // < 2^22 * 2^31: exact
    if (t === 0) return neg ? -p : p;
    const d = 2 ** t;
    q = Math.floor(p / d);
    const r = p - q * d;
    cmp = r - d / 2;
  } else {
    const ml = mantissa & 0xffff, mh = (mantissa - ml) / 65536;
    const x1 = a * ml, x2 = a * mh; // < 2^48, < 2^47
    const x1h = Math.floor(x1 / TWO32), x2h = Math.floor(x2 / 65536);
    let L = x1 - x1h * TWO32 + (x2 - x2h * 65536) * 65536;
    let H = x1h + x2h;
    if (L >= TWO32) {
      L -= TWO32;
      H += 1;
    }
    if (t < 32) {
      const hq = H * 2 ** (32 - t);
      if (hq >= TWO53) return neg ? -Infinity : Infinity;
      if (t === 0) return neg ? -(hq + L) : hq + L;
      const d = 2 ** t;
      const lq = Math.floor(L / d);
      q = hq + lq;
      cmp = L - lq * d - d / 2;
    } else if (t === 32) {
      q = H;
      cmp = L - 2147483648;
    } else {
      const d = 2 ** (t - 32);
      q = Math.floor(H / d);
      const rh = H - q * d, halfH = d / 2;
      cmp = rh !== halfH ? rh - halfH : L;
    }
  }
  if (cmp > 0 || (cmp === 0 && (mode === 'half-away' || q % 2 === 1))) q += 1;
  return neg ? 0 - q : q; // 0 - 0 = +0: results are never -0
}

/** The BigInt reference of `mulShiftRound` (no domain limits): round(acc * mantissa / 2^(31+shift)). */
export function mulShiftRoundRef(acc: bigint, mantissa: bigint, shift: number, mode: RoundingMode): bigint {
  const p = acc * mantissa;
  const t = 31 + shift;
  if (t <= 0) return p << BigInt(-t);
  const neg = p < 0n;
  const a = neg ? -p : p;
  let q = a >> BigInt(t);
  const r = a - (q << BigInt(t));
  const half = 1n << BigInt(t - 1);
  if (r > half || (r === half && (mode === 'half-away' || (q & 1n) === 1n))) q += 1n;
  return neg ? -q : q;
}

/** out = clamp(zeroPoint + mulShiftRound(acc, mantissa, shift, rounding), lo, hi). */
export function requantize(acc: number, r: Requant): number {
  const v = r.zeroPoint + mulShiftRound(acc, r.mantissa, r.shift, r.rounding);
  return v < r.lo ? r.lo : v > r.hi ? r.hi : v;
}

/** The BigInt reference of `requantize`. */
export function requantizeRef(acc: bigint, r: Requant): number {
  const v = BigInt(r.zeroPoint) + mulShiftRoundRef(acc, BigInt(r.mantissa), r.shift, r.rounding);
  return Number(v < BigInt(r.lo) ? BigInt(r.lo) : v > BigInt(r.hi) ? BigInt(r.hi) : v);
}

/** Saturation bounds of an output with a folded activation. Since quantize() is monotone, quantize(clip(x, a, b)) =
 *  clamp(quantize(x), quantize(a), quantize(b)): none -> [qmin, qmax]; relu -> [max(qmin, zo), qmax]; clip(a, b) ->
 *  [max(qmin, quantize(a)), min(qmax, quantize(b))] (a may be -Infinity, b +Infinity). */
export function activationBounds(act: FusedActivation, out: AffineQuant): { lo: number; hi: number } {
  switch (act.kind) {
    case 'none':
      return { lo: out.qmin, hi: out.qmax };
    case 'relu':
      return { lo: Math.max(out.qmin, out.zeroPoint), hi: out.qmax };
    case 'clip': {
      if (!(act.min <= act.max)) throw userError('E_QUANT', `Clip bounds [${act.min}, ${act.max}] are empty; expected min <= max`);
      return { lo: Math.max(out.qmin, quantize(act.min, out)), hi: Math.min(out.qmax, quantize(act.max, out)) };
    }
    default: {
      const _exhaustive: never = act;
      return _exhaustive;
    }
  }
}

/** The requantization of one output channel: M = sa * sw / so, folded activation, named rounding. */
export function makeRequant(sa: number, sw: number, out: AffineQuant, act: FusedActivation, rounding: RoundingMode): Requant {
  const { mantissa, shift } = quantizeMultiplier((sa * sw) / out.scale);
  return { mantissa, shift, rounding, zeroPoint: out.zeroPoint, ...activationBounds(act, out) };
}

/** Widths, in bits of a two's complement signed integer, of every term of the accumulator for K products of codes
 *  a (activations) and w (weights): acc = sum (a - za)(w - zw) = sum a*w - zw*sum a - za*sum w + K*za*zw.
 *  `acc` bounds the zero-point-centred sum (plus `biasBits` for a bias of that width: acc + bias), the width the
 *  int32 register must hold. The expansion's terms may be wider than acc, but every term is exact modulo 2^32, so an
 *  implementation with wrapping int32 arithmetic (Math.imul, | 0, C uint32) gets acc exactly whenever acc fits. */
export interface AccumulatorWidths {
  readonly product: number;
  readonly sumProducts: number;
  readonly sumA: number;
  readonly sumW: number;
  readonly correction: number;
  readonly acc: number;
}

export function accumulatorWidths(a: AffineQuant, w: AffineQuant, k: number, biasBits = 0): AccumulatorWidths {
  const prod = (x: readonly [number, number], y: readonly [number, number]): [number, number] => {
    const c = [x[0] * y[0], x[0] * y[1], x[1] * y[0], x[1] * y[1]];
    return [Math.min(...c), Math.max(...c)];
  };
  const times = (x: readonly [number, number], n: number): [number, number] => [x[0] * n, x[1] * n];
  const ra: [number, number] = [a.qmin, a.qmax], rw: [number, number] = [w.qmin, w.qmax];
  const ca: [number, number] = [a.qmin - a.zeroPoint, a.qmax - a.zeroPoint], cw: [number, number] = [w.qmin - w.zeroPoint, w.qmax - w.zeroPoint];
  const centred = times(prod(ca, cw), k);
  const bias = biasBits > 0 ? 2 ** (biasBits - 1) : 0;
  const corr = [...prod([w.zeroPoint, w.zeroPoint], times(ra, k)), ...prod([a.zeroPoint, a.zeroPoint], times(rw, k)), k * a.zeroPoint * w.zeroPoint];
  return {
    product: signedBits(...prod(ra, rw)),
    sumProducts: signedBits(...times(prod(ra, rw), k)),
    sumA: signedBits(...times(ra, k)),
    sumW: signedBits(...times(rw, k)),
    correction: signedBits(Math.min(...corr), Math.max(...corr)),
    acc: signedBits(centred[0] - bias, centred[1] + bias - (bias > 0 ? 1 : 0)),
  };
}

/** The fewest bits of a two's complement integer that holds every integer in [min, max]. */
export function signedBits(min: number, max: number): number {
  let n = 1;
  while (min < -(2 ** (n - 1)) || max > 2 ** (n - 1) - 1) n++;
  return n;
}
