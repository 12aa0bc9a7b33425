/** QSum parameters: out = clamp(zo + round(sum_i (x_i - z_i) * m_i / 2^S), lo, hi) with m_i = sign_i * round(s_i / so
 *  * 2^S). S puts the largest |m_i| in [2^22, 2^23): 23-bit multipliers, and every product of a 17-bit centred code
 *  with one stays below 2^40, exact in float64 and in a 48-bit hardware accumulator. */
import { activationBounds, roundHalfEven, type FusedActivation, type RoundingMode } from '../ir/arith.js';
import type { CodeQuant, QSumNode } from '../ir/types.js';
import { codeDType } from '../ir/types.js';

export function rescaleAttrs(ins: readonly CodeQuant[], signs: readonly number[], out: CodeQuant, act: FusedActivation, rounding: RoundingMode): QSumNode['attrs'] {
  const ratios = ins.map((q) => q.scale / out.scale);
  const largest = Math.max(...ratios);
  const shift = Math.max(0, Math.min(62, 22 - Math.floor(Math.log2(largest))));
  const { lo, hi } = activationBounds(act, out);
  return {
    zeroPoints: ins.map((q) => q.zeroPoint),
    multipliers: ratios.map((r, i) => signs[i]! * roundHalfEven(r * 2 ** shift)),
    shift,
    rounding,
    outZeroPoint: out.zeroPoint,
    lo,
    hi,
    outType: codeDType(out),
  };
}
