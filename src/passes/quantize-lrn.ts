/** QLrn parameters (ir/arithmetic.md, QLrn): the factor f(S) = sa/so * (bias + alpha/size * sa^2 * S)^-beta of the
 *  sum S of squared centred input codes over the channel window, tabulated at the middle of each bucket of
 *  `lrnIndex` (exact below 2^(LRN_OCTAVE_BITS+1), then 2^LRN_OCTAVE_BITS buckets per octave, so a bucket spans less
 *  than 1/128 of its S and f varies by under beta/128 inside it), up to the largest S the input codes allow.
 *  Entries are fixed point with `shift` fraction bits, the largest in [2^22, 2^23) like QSum's multipliers, so
 *  (x - z) * entry < 2^17 * 2^23 is exact. */
import { userError } from '../errors.js';
import { activationBounds, roundHalfEven, type RoundingMode } from '../ir/arith.js';
import type { CodeQuant, LrnNode, QLrnNode } from '../ir/types.js';
import { codeDType } from '../ir/types.js';
import { lrnBucket, lrnIndex } from '../golden/integer/qlrn.js';

export const LRN_OCTAVE_BITS = 7;

export function lrnAttrs(lrn: LrnNode, a: CodeQuant, out: CodeQuant, rounding: RoundingMode): QLrnNode['attrs'] {
  const { size, alpha, beta, bias } = lrn.attrs;
  const reach = Math.max(a.zeroPoint - a.qmin, a.qmax - a.zeroPoint);
  const entries = lrnIndex(size * reach * reach, LRN_OCTAVE_BITS) + 1;
  const factor = (S: number) => (a.scale / out.scale) * Math.pow(bias + (alpha / size) * a.scale * a.scale * S, -beta);
  const reals = Array.from({ length: entries }, (_, i) => {
    const { first, last } = lrnBucket(i, LRN_OCTAVE_BITS);
    return factor((first + last) / 2);
  });
  if (!reals.every((r) => Number.isFinite(r) && r >= 0)) throw userError('E_QUANT', `node '${lrn.name}' (LRN): bias ${bias}, alpha ${alpha}, beta ${beta} give a non-finite normalisation factor on the calibrated range`);
  const largest = Math.max(...reals);
  const shift = Math.max(0, Math.min(62, 22 - Math.floor(Math.log2(largest || 1))));
  const table = reals.map((r) => roundHalfEven(r * 2 ** shift));
  if (Math.max(...table) >= 2 ** 31) throw userError('E_QUANT', `node '${lrn.name}' (LRN): the output scale is too small for the input scale (factor ${largest}); calibrate on more data`);
  const { lo, hi } = activationBounds({ kind: 'none' }, out);
  return { size, zeroPoint: a.zeroPoint, octaveBits: LRN_OCTAVE_BITS, table, shift, rounding, outZeroPoint: out.zeroPoint, lo, hi, outType: codeDType(out) };
}
