/** Integer elementwise ops on codes: QSum (rescaled sums), QMul (products of two code tensors), QTable (lookup
 *  activations), QAveragePool. */
import { mulShiftRound } from '../../ir/arith.js';
import { roundDiv } from '../../ir/arith-rounding.js';
import type { QAveragePoolNode, QMulNode, QSumNode, QTableNode, Tensor } from '../../ir/types.js';
import { makeTensor, sizeOf } from '../../ir/types.js';
import { broadcastIndex } from '../broadcast.js';
import { window3, windowOffsets } from '../window.js';

export function qsum(node: QSumNode, ins: readonly Tensor[], outShape: readonly number[]): Tensor {
  const { zeroPoints, multipliers, shift, rounding, outZeroPoint, lo, hi } = node.attrs;
  const n = sizeOf(outShape);
  const acc = new Float64Array(n);
  ins.forEach((t, i) => {
    const z = zeroPoints[i]!, m = multipliers[i]!, d = t.data;
    // A residual add's operands have the output's shape: read them in place (no broadcast index array).
    if (t.shape.length === outShape.length && t.shape.every((s, k) => s === outShape[k])) {
      for (let j = 0; j < n; j++) acc[j] = acc[j]! + (d[j]! - z) * m;
      return;
    }
    const idx = broadcastIndex(t.shape, outShape);
    for (let j = 0; j < n; j++) acc[j] = acc[j]! + (d[idx[j]!]! - z) * m;
  });
  const out = makeTensor(node.attrs.outType, outShape);
  const od = out.data, den = 2 ** shift; // roundShift(v, shift) = roundDiv(v, 2^shift), the power taken once
  for (let j = 0; j < n; j++) {
    const v = outZeroPoint + roundDiv(acc[j]!, den, rounding);
    od[j] = v < lo ? lo : v > hi ? hi : v;
  }
  return out;
}

/** out = clamp(zo + round((a - za) * (b - zb) * m / 2^(31 + s)), lo, hi): the product of two centred codes (at most
 *  17 bits each, so |product| <= 2^32, inside mulShiftRound's exact domain) requantized like a QConv accumulator. */
export function qmul(node: QMulNode, a: Tensor, b: Tensor, outShape: readonly number[]): Tensor {
  const { zeroPoints: [za, zb], mantissa, shift, rounding, outZeroPoint, lo, hi } = node.attrs;
  const n = sizeOf(outShape);
  const ia = broadcastIndex(a.shape, outShape), ib = broadcastIndex(b.shape, outShape);
  const out = makeTensor(node.attrs.outType, outShape);
  for (let j = 0; j < n; j++) {
    const p = (a.data[ia[j]!]! - za) * (b.data[ib[j]!]! - zb);
    const v = outZeroPoint + mulShiftRound(p, mantissa, shift, rounding);
    out.data[j] = v < lo ? lo : v > hi ? hi : v;
  }
  return out;
}

export function qtable(node: QTableNode, x: Tensor): Tensor {
  const { inMin, table } = node.attrs;
  const out = makeTensor(node.attrs.outType, x.shape);
  for (let i = 0; i < x.data.length; i++) out.data[i] = table[x.data[i]! - inMin]!;
  return out;
}

export function qaveragePool(node: QAveragePoolNode, x: Tensor, outShape: readonly number[]): Tensor {
  const win = window3(x.shape, outShape, node.attrs);
  const { zeroPoint: z, rounding, countIncludePad } = node.attrs;
  const planes = x.shape[0]! * x.shape[1]!;
  const inPlane = win.in[0] * win.in[1] * win.in[2], outPlane = win.out[0] * win.out[1] * win.out[2];
  const out = makeTensor(x.dtype, outShape);
  const { starts, offsets, padded } = windowOffsets(win, node.attrs.pads);
  for (let pl = 0; pl < planes; pl++) {
    const xb = pl * inPlane, ob = pl * outPlane;
    for (let q = 0; q < outPlane; q++) {
      const t0 = starts[q]!, t1 = starts[q + 1]!;
      let sum = 0;
      for (let t = t0; t < t1; t++) sum += x.data[xb + offsets[t]!]! - z;
      out.data[ob + q] = z + roundDiv(sum, countIncludePad ? padded[q]! : t1 - t0, rounding);
    }
  }
  return out;
}
