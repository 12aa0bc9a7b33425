/** QMul parameters: out = clamp(zo + round((a - za) * (b - zb) * m / 2^(31 + s)), lo, hi) with m * 2^-(31+s) the
 *  fixed-point form of M = sa * sb / so (the requantization of QConv/QGemm, ir/arithmetic.md sections 3 and 3b). */
import { activationBounds, quantizeMultiplier, type FusedActivation, type RoundingMode } from '../ir/arith.js';
import type { CodeQuant, QMulNode } from '../ir/types.js';
import { codeDType } from '../ir/types.js';

export function productAttrs(a: CodeQuant, b: CodeQuant, out: CodeQuant, act: FusedActivation, rounding: RoundingMode): QMulNode['attrs'] {
  const { mantissa, shift } = quantizeMultiplier((a.scale * b.scale) / out.scale);
  const { lo, hi } = activationBounds(act, out);
  return { zeroPoints: [a.zeroPoint, b.zeroPoint], mantissa, shift, rounding, outZeroPoint: out.zeroPoint, lo, hi, outType: codeDType(out) };
}
