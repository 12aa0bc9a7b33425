/** Generated multiplier families: one generator (partial products + `reduceColumns`) with parameters that span from
 *  exact to very coarse. A family member is named by its id, which is also its parameter spec:
 *    exact-u8 | exact-s8                     exact (signed: Baugh-Wooley partial products)
 *    trunc-u8-k6 | trunc-s8-k6c              drop partial-product columns < k; `c`: add the dropped bits' mean
 *    bam-u8-v8h2                             broken array: drop pp(i, j) when i + j < v or j < h
 *    optrunc-u8-a2b3                         zero the a low bits of A and the b low bits of B
 *    drum-u8-k4 | drum-s8-k4                 DRUM (Hashemi et al., ICCAD 2015): k-bit dynamic-range segments
 *    mitchell-u8-w7 | mitchell-s8-w7         Mitchell's logarithmic multiplier, w fraction bits per operand kept
 *  Signed DRUM and Mitchell work in sign-magnitude (src/multipliers/dynamic-range.ts). */
import { userError } from '../errors.js';
import { NetlistBuilder, ONE, reduceColumns, ZERO } from './builder.js';
import { drumCore, mitchellCore, signMagnitude } from './dynamic-range.js';
import type { GateNetlist } from './netlist.js';

export type FamilySpec =
  | { readonly family: 'exact'; readonly signed: boolean }
  | { readonly family: 'trunc'; readonly signed: boolean; readonly k: number; readonly correct: boolean }
  | { readonly family: 'bam'; readonly signed: boolean; readonly v: number; readonly h: number }
  | { readonly family: 'optrunc'; readonly signed: boolean; readonly a: number; readonly b: number }
  | { readonly family: 'drum'; readonly signed: boolean; readonly k: number }
  | { readonly family: 'mitchell'; readonly signed: boolean; readonly w: number };

export const FAMILIES = ['exact', 'trunc', 'bam', 'optrunc', 'drum', 'mitchell'] as const;

export function specId(s: FamilySpec): string {
  const sg = s.signed ? 's8' : 'u8';
  switch (s.family) {
    case 'exact': return `exact-${sg}`;
    case 'trunc': return `trunc-${sg}-k${s.k}${s.correct ? 'c' : ''}`;
    case 'bam': return `bam-${sg}-v${s.v}h${s.h}`;
    case 'optrunc': return `optrunc-${sg}-a${s.a}b${s.b}`;
    case 'drum': return `drum-${sg}-k${s.k}`;
    case 'mitchell': return `mitchell-${sg}-w${s.w}`;
    default: { const _exhaustive: never = s; return _exhaustive; }
  }
}

/** Parses a generated id; returns undefined for ids that are not in the grammar (e.g. imported ones). */
export function parseSpecId(id: string): FamilySpec | undefined {
  const m = /^(exact|trunc|bam|optrunc|drum|mitchell)-([us])8(?:-(.*))?$/.exec(id);
  if (!m) return undefined;
  const signed = m[2] === 's';
  const p = m[3] ?? '';
  const int = (re: RegExp): number[] | undefined => re.exec(p)?.slice(1).map(Number);
  let spec: FamilySpec | undefined;
  switch (m[1]) {
    case 'exact': spec = p === '' && m[3] === undefined ? { family: 'exact', signed } : undefined; break;
    case 'trunc': { const v = int(/^k(\d+)c?$/); spec = v ? { family: 'trunc', signed, k: v[0]!, correct: p.endsWith('c') } : undefined; break; }
    case 'bam': { const v = int(/^v(\d+)h(\d+)$/); spec = v ? { family: 'bam', signed, v: v[0]!, h: v[1]! } : undefined; break; }
    case 'optrunc': { const v = int(/^a(\d+)b(\d+)$/); spec = v ? { family: 'optrunc', signed, a: v[0]!, b: v[1]! } : undefined; break; }
    case 'drum': { const v = int(/^k(\d+)$/); spec = v ? { family: 'drum', signed, k: v[0]! } : undefined; break; }
    case 'mitchell': { const v = int(/^w(\d+)$/); spec = v ? { family: 'mitchell', signed, w: v[0]! } : undefined; break; }
  }
  return spec && specId(spec) === id && inRange(spec) ? spec : undefined;
}

function inRange(s: FamilySpec): boolean {
  switch (s.family) {
    case 'exact': return true;
    case 'trunc': return s.k >= 0 && s.k <= 15;
    case 'bam': return s.v >= 0 && s.v <= 15 && s.h >= 0 && s.h <= 8;
    case 'optrunc': return s.a >= 0 && s.a <= 8 && s.b >= 0 && s.b <= 8;
    case 'drum': return s.k >= (s.signed ? 3 : 2) && s.k <= 8; // signed k = 2 would overflow 16 bits (see signMagnitude)
    case 'mitchell': return s.w >= 0 && s.w <= 7;
    default: { const _exhaustive: never = s; return _exhaustive; }
  }
}

export function describeSpec(s: FamilySpec): string {
  const sg = s.signed ? 'signed' : 'unsigned';
  switch (s.family) {
    case 'exact': return `exact ${sg} 8x8 multiplier`;
    case 'trunc': return `${sg} truncated multiplier, partial-product columns < ${s.k} dropped${s.correct ? ', constant correction' : ''}`;
    case 'bam': return `${sg} broken-array multiplier, vertical break ${s.v}, horizontal break ${s.h}`;
    case 'optrunc': return `${sg} multiplier with operand truncation: ${s.a} low bits of A, ${s.b} of B zeroed`;
    case 'drum': return `DRUM ${sg} multiplier with ${s.k}-bit dynamic-range segments${s.signed ? ' (sign-magnitude)' : ''}`;
    case 'mitchell': return `Mitchell logarithmic ${sg} multiplier, ${s.w} fraction bits per operand${s.signed ? ' (sign-magnitude)' : ''}`;
    default: { const _exhaustive: never = s; return _exhaustive; }
  }
}

/** One partial-product bit: the net and its probability of being 1 under uniform operands (for the correction). */
interface PP {
  readonly i: number;
  readonly j: number;
  readonly net: number;
  readonly p1: number;
}

/** Partial products of A x B over the given operand bit nets (ZERO for zeroed bits). Signed: Baugh-Wooley, with the
 *  constant ones at columns 8 and 15 returned separately so that truncation never drops them. */
function partialProducts(bld: NetlistBuilder, a: number[], b: number[], signed: boolean): { pps: PP[]; constants: number[] } {
  const pps: PP[] = [];
  for (let i = 0; i < a.length; i++)
    for (let j = 0; j < b.length; j++) {
      const neg = signed && (i === 7) !== (j === 7);
      pps.push({ i, j, net: neg ? bld.nand(a[i]!, b[j]!) : bld.and(a[i]!, b[j]!), p1: neg ? 0.75 : 0.25 });
    }
  return { pps, constants: signed ? [8, 15] : [] };
}

export function generate(spec: FamilySpec): GateNetlist {
  const bld = new NetlistBuilder();
  const bits = (x: (i: number) => number, zeroed: number): number[] => Array.from({ length: 8 }, (_, i) => (i < zeroed ? ZERO : x(i)));
  if (spec.family === 'drum' || spec.family === 'mitchell') {
    const core = (a: number[], b: number[]): number[] => (spec.family === 'drum' ? drumCore(bld, spec.k, a, b) : mitchellCore(bld, spec.w, a, b));
    return bld.build(spec.signed ? signMagnitude(bld, core) : core(bits((i) => bld.a(i), 0), bits((j) => bld.b(j), 0)));
  }
  const zeroA = spec.family === 'optrunc' ? spec.a : 0;
  const zeroB = spec.family === 'optrunc' ? spec.b : 0;
  const { pps, constants } = partialProducts(bld, bits((i) => bld.a(i), zeroA), bits((j) => bld.b(j), zeroB), spec.signed);
  const keep = (pp: PP): boolean => {
    if (spec.family === 'trunc') return pp.i + pp.j >= spec.k;
    if (spec.family === 'bam') return pp.i + pp.j >= spec.v && pp.j >= spec.h;
    return true;
  };
  const cols: number[][] = Array.from({ length: 16 }, () => []);
  for (const pp of pps) if (keep(pp)) cols[pp.i + pp.j]!.push(pp.net);
  for (const c of constants) cols[c]!.push(ONE);
  if (spec.family === 'trunc' && spec.correct) {
    // The mean of the dropped bits, rounded to an integer, added as constant ones: removes most of the bias.
    const mean = pps.filter((pp) => !keep(pp)).reduce((s, pp) => s + pp.p1 * 2 ** (pp.i + pp.j), 0);
    const corr = Math.round(mean);
    for (let c = 0; c < 16; c++) if ((corr >> c) & 1) cols[c]!.push(ONE);
  }
  return bld.build(reduceColumns(bld, cols));
}

export function requireSpec(id: string): FamilySpec {
  const spec = parseSpecId(id);
  if (!spec)
    throw userError('E_MULT', `"${id}" is not a generated multiplier id; use e.g. trunc-u8-k6, trunc-s8-k6c, bam-u8-v8h2, optrunc-u8-a2b2, drum-u8-k4, mitchell-s8-w7, exact-s8`);
  return spec;
}
