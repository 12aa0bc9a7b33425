/** Bipolar weights: a quantized layer whose every weight code is -1 or +1 (QONNX BipolarQuant, or a signed 1-bit
 *  Quant). The IR holds them as 2-bit signed codes (absorb-quant), but they are stored in one bit each: 1 for -1, 0 for
 *  +1. Both emitters and `inspect` decide it here, so the ROMs, the HLS arrays and the reported weight memory agree. */
import type { Node, Tensor } from './types.js';

type MacNode = Extract<Node, { op: 'QConv' | 'QGemm' }>;

/** True when the layer's weights are unshared int8 codes, each -1 or +1. */
export function isBipolar(node: MacNode, weights: Tensor): boolean {
  return weights.dtype === 'int8' && !node.attrs.sharing && weights.data.every((v) => v === 1 || v === -1);
}

/** Bits per stored weight of a quantized layer: 1 when bipolar, else its code width `wBits`. */
export function storedWeightBits(node: MacNode, weights: Tensor): number {
  return isBipolar(node, weights) ? 1 : node.attrs.wBits;
}
