/** Error metrics of a multiplier table against the exact product, by exhaustive enumeration of all 65,536 operand
 *  pairs, either uniformly weighted (as EvoApprox reports them) or weighted by an operand distribution (a histogram
 *  of A codes times a histogram of B codes, e.g. a layer's measured activations and weights).
 *  Relative errors (MRE, WCRE) are taken over the pairs whose exact product is not 0, as EvoApprox does (checked
 *  against its published figures: including the zero products changes MRE by 1 - 65025/65536 or, for multipliers
 *  that err at 0, by orders of magnitude). */
import { userError } from '../errors.js';
import { TABLE_SIZE, type ErrorMetrics } from './types.js';

const RANGE = 2 ** 16; // output range of an 8x8 multiplier, the EvoApprox normaliser

export function exactProduct(a: number, b: number, signed: boolean): number {
  return signed ? ((a << 24) >> 24) * ((b << 24) >> 24) : a * b;
}

export function exactTable(signed: boolean): Int32Array {
  const t = new Int32Array(TABLE_SIZE);
  for (let a = 0; a < 256; a++) for (let b = 0; b < 256; b++) t[a * 256 + b] = exactProduct(a, b, signed);
  return t;
}

/** Operand distribution: 256 non-negative weights per operand, indexed by the 8-bit code (two's complement byte for
 *  signed operands). They need not be normalised. */
export interface OperandHistograms {
  readonly a: ArrayLike<number>;
  readonly b: ArrayLike<number>;
}

export function computeMetrics(table: Int32Array, signed: boolean, hist?: OperandHistograms): ErrorMetrics {
  if (table.length !== TABLE_SIZE) throw new Error(`internal error: table of ${table.length} entries`);
  const wa = normalise(hist?.a, 'A');
  const wb = normalise(hist?.b, 'B');
  let sum = 0, sumAbs = 0, sumSq = 0, sumRel = 0, pErr = 0, wce = 0, wcre = 0, nonzero = 0;
  for (let a = 0; a < 256; a++) {
    const pa = wa[a]!;
    if (pa === 0) continue;
    for (let b = 0; b < 256; b++) {
      const w = pa * wb[b]!;
      if (w === 0) continue;
      const exact = exactProduct(a, b, signed);
      if (exact !== 0) nonzero += w;
      const e = table[a * 256 + b]! - exact;
      if (e === 0) continue;
      const abs = Math.abs(e), rel = exact === 0 ? 0 : abs / Math.abs(exact);
      sum += w * e;
      sumAbs += w * abs;
      sumSq += w * e * e;
      sumRel += w * rel;
      pErr += w;
      if (abs > wce) wce = abs;
      if (rel > wcre) wcre = rel;
    }
  }
  if (nonzero > 0) sumRel /= nonzero;
  return {
    meanError: sum,
    mae: sumAbs,
    errorVariance: Math.max(0, sumSq - sum * sum),
    mse: sumSq,
    wce,
    mre: sumRel,
    wcre,
    errorProbability: pErr,
    maePct: (100 * sumAbs) / RANGE,
    wcePct: (100 * wce) / RANGE,
    mrePct: 100 * sumRel,
    epPct: 100 * pErr,
    wcrePct: 100 * wcre,
    biasPct: (100 * sum) / RANGE,
  };
}

function normalise(h: ArrayLike<number> | undefined, which: string): Float64Array {
  const w = new Float64Array(256);
  if (h === undefined) return w.fill(1 / 256);
  if (h.length !== 256) throw userError('E_MULT', `the ${which} operand histogram has ${h.length} bins; give 256 (one per 8-bit code)`);
  let total = 0;
  for (let i = 0; i < 256; i++) {
    const x = h[i]!;
    if (!(x >= 0) || !Number.isFinite(x)) throw userError('E_MULT', `the ${which} operand histogram has an invalid weight ${x} at code ${i}; give non-negative numbers`);
    total += x;
  }
  if (total === 0) throw userError('E_MULT', `the ${which} operand histogram is all zero; give at least one positive weight`);
  for (let i = 0; i < 256; i++) w[i] = h[i]! / total;
  return w;
}
