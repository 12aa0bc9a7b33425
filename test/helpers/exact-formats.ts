/** Independent references for the word-length golden model's tests: fixed-point codes as BigInt and custom-float
 *  values as exact rationals n * 2^-EXACT_SHIFT, rounded with plain integer arithmetic (no float64 anywhere), so
 *  they share nothing with src/golden/wordlength/. */
import { decodeFloat, fixedFormat, fixedRange, floatFormat, floatMaxFinite, type FixedFormat, type FixedRounding, type FloatFormat } from '../../src/ir/numformats.js';
import { createRng } from '../../src/dse/prng.js';
import { makeTensor, type LayerFormats, type NumFormat, type Tensor } from '../../src/ir/types.js';

/** A tuned layer's test case: the formats of its input activation and of the layer. */
export interface FormatCase {
  readonly name: string;
  readonly A: NumFormat;
  readonly f: LayerFormats;
}
export const fx = fixedFormat;
/** A custom float without infinities or NaN unless asked. */
export const fl = (e: number, m: number, o: Parameters<typeof floatFormat>[2] = {}) => floatFormat(e, m, { specials: 'none', ...o });

/** A random value of the format: a random code (fixed), or a random finite code (float). */
export function randomValue(f: NumFormat, r: () => number): number {
  if (f.kind === 'fixed') {
    const { min, max } = fixedRange(f);
    return (min + Math.floor(r() * (max - min + 1))) * 2 ** (f.intBits - f.width);
  }
  for (;;) {
    const v = decodeFloat(Math.floor(r() * 2 ** (1 + f.expBits + f.mantBits)), f);
    if (Number.isFinite(v)) return v;
  }
}

/** A tensor of random values of the format, from a seeded generator. */
export function randomTensor(shape: number[], f: NumFormat, seed: number | (() => number)): Tensor {
  const r = typeof seed === 'number' ? seededUniform(seed) : seed;
  const t = makeTensor('float32', shape);
  for (let i = 0; i < t.data.length; i++) t.data[i] = randomValue(f, r);
  return t;
}

/** Uniform numbers in [0, 1) from a seed (the project's PRNG). */
export function seededUniform(seed: number): () => number {
  const r = createRng(seed);
  return () => r.float();
}

// ---- fixed point on BigInt codes ----
export const frac = (f: FixedFormat) => BigInt(f.width - f.intBits);
export const codeOf = (v: number, f: FixedFormat) => BigInt(v * 2 ** (f.width - f.intBits));

/** n * 2^-s rounded to an integer with the mode (a left shift for s <= 0). */
export function roundShift(n: bigint, s: bigint, mode: FixedRounding): bigint {
  if (s <= 0n) return n << -s;
  const d = 1n << s;
  const fl = n >= 0n ? n / d : -((-n + d - 1n) / d);
  const rem = n - fl * d;
  if (mode === 'truncate') return fl;
  if (mode === 'half-up') return 2n * rem >= d ? fl + 1n : fl;
  return 2n * rem > d || (2n * rem === d && (fl & 1n) === 1n) ? fl + 1n : fl;
}

/** A code brought into f's range by f's overflow mode. */
export function overflow(n: bigint, f: FixedFormat): bigint {
  const { min, max } = fixedRange(f);
  if (n >= BigInt(min) && n <= BigInt(max)) return n;
  if (f.overflow === 'saturate') return n < BigInt(min) ? BigInt(min) : BigInt(max);
  const m = 1n << BigInt(f.width);
  let v = ((n % m) + m) % m;
  if (f.signed && v > BigInt(max)) v -= m;
  return v;
}

// ---- custom float on exact rationals: value = n * 2^-EXACT_SHIFT ----
export const EXACT_SHIFT = 400n;
/** Exact: every value the tests use is a multiple of 2^-300 below 2^128. */
export const big = (v: number) => BigInt(v * 2 ** Number(EXACT_SHIFT));

/** n rounded to f (nearest, ties to even; subnormals as f says); the tests use saturating formats only, and
 *  `onOverflow` lets a test check that (the value saturates to f's largest finite value). */
export function roundExact(n: bigint, f: FloatFormat, onOverflow: (f: FloatFormat) => void = () => undefined): bigint {
  if (n === 0n) return 0n;
  const neg = n < 0n, a = neg ? -n : n;
  const e = a.toString(2).length - 1 - Number(EXACT_SHIFT); // floor(log2 |value|)
  const emin = 1 - f.bias;
  const q = e >= emin ? e - f.mantBits : f.subnormals ? emin - f.mantBits : emin; // quantum 2^q
  const m = roundShift(a, BigInt(q) + EXACT_SHIFT, 'half-even');
  let r = q + Number(EXACT_SHIFT) >= 0 ? m << (BigInt(q) + EXACT_SHIFT) : m >> -(BigInt(q) + EXACT_SHIFT);
  if (r > big(floatMaxFinite(f))) {
    onOverflow(f);
    r = big(floatMaxFinite(f));
  }
  return neg ? -r : r;
}

// ---- the tests' grouped Conv: x [1, 4, 5, 6], w [6, 2, 3, 3], group 2, kernel 3x3, strides (2, 1), pads (1, 0, 1, 1) ----
/** The K = 18 (activation, weight) pairs of the fixture's output (m, oy, ox), in the reduction order (input channel
 *  of the group, kernel row, column); a padded position contributes activation 0. */
export function convFixtureTerms(x: ArrayLike<number>, w: ArrayLike<number>, m: number, oy: number, ox: number): { xs: number[]; ws: number[] } {
  const xs: number[] = [], ws: number[] = [];
  for (let ci = 0; ci < 2; ci++)
    for (let ky = 0; ky < 3; ky++)
      for (let kx = 0; kx < 3; kx++) {
        const iy = oy * 2 + ky - 1, ix = ox + kx, cin = Math.floor(m / 3) * 2 + ci;
        xs.push(iy >= 0 && iy < 5 && ix < 6 ? x[(cin * 5 + iy) * 6 + ix]! : 0);
        ws.push(w[((m * 2 + ci) * 3 + ky) * 3 + kx]!);
      }
  return { xs, ws };
}
