/** Dynamic-range multipliers: operands are normalised by their leading one, so the relative error stays roughly
 *  constant over the operand range (unlike truncation, whose absolute error is constant).
 *    DRUM (Hashemi, Bahar, Reda, ICCAD 2015): each operand keeps k bits from its leading one, the lowest kept bit
 *      forced to 1 (unbiasing); a k x k exact product is shifted back.
 *    Mitchell (IRE Trans. Electronic Computers, 1962): log2 x ~ k + f with k the leading-one position and f the
 *      bits below it as a fraction; the product is antilog(k1 + f1 + k2 + f2), again with the linear approximation
 *      2^f ~ 1 + f. Parameter w keeps the w leading fraction bits of each operand (w = 7: the full Mitchell).
 *  Signed variants work in sign-magnitude, as DRUM's paper proposes: |A| and |B| (up to 128) go into the unsigned
 *  core, whose product is negated when the signs differ. Every circuit is gates of `NetlistBuilder`, so the Verilog,
 *  the tables and the costs come from the same netlist as the other families. */
import { NetlistBuilder, ONE, reduceColumns, ZERO } from './builder.js';

/** Leading-one detection of an 8-bit operand: `lead[p]` = 1 when bit p is the highest set bit; `nonzero`. */
function leadingOne(bld: NetlistBuilder, x: readonly number[]): { lead: number[]; above: number[]; nonzero: number } {
  const above: number[] = new Array<number>(9).fill(ZERO); // above[m] = some bit at position >= m is 1
  for (let m = 7; m >= 0; m--) above[m] = bld.or(above[m + 1]!, x[m]!);
  const lead = Array.from({ length: 8 }, (_, p) => bld.and(x[p]!, bld.not(above[p + 1]!)));
  return { lead, above, nonzero: above[0]! };
}

/** One-hot selection: OR over s of onehot[s] & pick(s). */
function select(bld: NetlistBuilder, onehot: readonly number[], pick: (s: number) => number): number {
  return onehot.reduce((acc, oh, s) => bld.or(acc, bld.and(oh, pick(s))), ZERO);
}

/** DRUM on unsigned operand bits; returns 16 product bits. Shifts are one-hot AND-OR selections. */
export function drumCore(bld: NetlistBuilder, k: number, a: readonly number[], b: readonly number[]): number[] {
  const segment = (x: readonly number[]): { t: number[]; onehot: number[] } => {
    const { above } = leadingOne(bld, x);
    const maxShift = 8 - k;
    const onehot = Array.from({ length: maxShift + 1 }, (_, s) => bld.and(above[k - 1 + s]!, bld.not(above[k + s]!)));
    onehot[0] = bld.not(above[k]!); // shift 0 also covers x < 2^(k-1)
    const t = Array.from({ length: k }, (_, i) => select(bld, onehot, (s) => x[i + s] ?? ZERO));
    t[0] = bld.or(t[0]!, above[k]!); // shifted: set the lowest kept bit
    return { t, onehot };
  };
  const A = segment(a);
  const B = segment(b);
  const cols: number[][] = Array.from({ length: 2 * k }, () => []);
  A.t.forEach((ai, i) => B.t.forEach((bj, j) => cols[i + j]!.push(bld.and(ai, bj))));
  let prod = reduceColumns(bld, cols, 2 * k);
  for (const onehot of [A.onehot, B.onehot]) {
    const src = prod;
    prod = Array.from({ length: 16 }, (_, c) => select(bld, onehot, (s) => src[c - s] ?? ZERO));
  }
  return prod;
}

/** Mitchell's logarithmic multiplier on unsigned operand bits; returns 16 product bits.
 *  With F1, F2 the 7-bit fractions (bits below the leading one, left-aligned) and S = F1 + F2 with carry c:
 *  product = ((S | 128) << (k1 + k2 + c)) >> 7, i.e. 2^(k1+k2) (1 + f1 + f2) without carry and 2^(k1+k2+1) (f1 + f2)
 *  with it; fraction bits shifted below 2^0 are dropped (the product is truncated). Zero operands give 0. */
export function mitchellCore(bld: NetlistBuilder, w: number, a: readonly number[], b: readonly number[]): number[] {
  const operand = (x: readonly number[]): { frac: number[]; k: number[]; nonzero: number } => {
    const { lead, nonzero } = leadingOne(bld, x);
    // frac[j] has weight 2^(j-7): the bit (7 - j) places below the leading one; only the top w bits are kept.
    const frac = Array.from({ length: 7 }, (_, j) => (j < 7 - w ? ZERO : select(bld, lead, (p) => x[p - 7 + j] ?? ZERO)));
    const k = [0, 1, 2].map((bit) => lead.reduce((acc, oh, p) => ((p >> bit) & 1 ? bld.or(acc, oh) : acc), ZERO));
    return { frac, k, nonzero };
  };
  const A = operand(a);
  const B = operand(b);
  const sum = reduceColumns(bld, Array.from({ length: 8 }, (_, j) => (j < 7 ? [A.frac[j]!, B.frac[j]!] : [])), 8);
  const carry = sum[7]!;
  const mantissa = [...sum.slice(0, 7), ONE]; // S | 128
  const shift = reduceColumns(bld, [[A.k[0]!, B.k[0]!, carry], [A.k[1]!, B.k[1]!], [A.k[2]!, B.k[2]!], []], 4);
  // Logarithmic shifter: stage s shifts left by 2^s when shift bit s is set; 8 + 15 bits cover every position.
  let bits: number[] = [...mantissa, ...new Array<number>(15).fill(ZERO)];
  shift.forEach((sel, s) => {
    const src = bits;
    bits = src.map((x, i) => bld.mux(x, src[i - 2 ** s] ?? ZERO, sel));
  });
  const nonzero = bld.and(A.nonzero, B.nonzero);
  return Array.from({ length: 16 }, (_, i) => bld.and(bits[i + 7]!, nonzero));
}

/** Conditional two's-complement negation of `x` when `neg` is 1 (XOR, then +neg with a half-adder chain). */
function negateIf(bld: NetlistBuilder, x: readonly number[], neg: number): number[] {
  let carry = neg;
  return x.map((xi) => {
    const [s, c] = bld.ha(bld.xor(xi, neg), carry);
    carry = c;
    return s;
  });
}

/** A signed 8x8 multiplier from an unsigned core in sign-magnitude: |A| and |B| (0..128) into the core, whose
 *  product is negated when the signs differ. The core must return products below 2^15 for operands up to 128
 *  (DRUM with k >= 3: its largest product is (128 + 2^(8-k))^2). */
export function signMagnitude(bld: NetlistBuilder, core: (a: number[], b: number[]) => number[]): number[] {
  const a = Array.from({ length: 8 }, (_, i) => bld.a(i));
  const b = Array.from({ length: 8 }, (_, j) => bld.b(j));
  const sa = a[7]!, sb = b[7]!;
  const product = core(negateIf(bld, a, sa), negateIf(bld, b, sb));
  return negateIf(bld, product, bld.xor(sa, sb));
}
