/** Integer elementwise ops on codes: QSum (rescaled sums), QTable (lookup activations), QAveragePool. */
import { roundDiv, roundShift } from '../../ir/arith-rounding.js';
import type { QAveragePoolNode, QSumNode, QTableNode, Tensor } from '../../ir/types.js';
import { makeTensor, sizeOf } from '../../ir/types.js';
import { broadcastIndex } from '../broadcast.js';
import { window3, windowTaps } from '../window.js';

export function qsum(node: QSumNode, ins: readonly Tensor[], outShape: readonly number[]): Tensor {
  const { zeroPoints, multipliers, shift, rounding, outZeroPoint, lo, hi } = node.attrs;
  const n = sizeOf(outShape);
  const acc = new Float64Array(n);
  ins.forEach((t, i) => {
    const idx = broadcastIndex(t.shape, outShape);
    const z = zeroPoints[i]!, m = multipliers[i]!;
    for (let j = 0; j < n; j++) acc[j] = acc[j]! + (t.data[idx[j]!]! - z) * m;
  });
  const out = makeTensor(node.attrs.outType, outShape);
  for (let j = 0; j < n; j++) {
    const v = outZeroPoint + roundShift(acc[j]!, shift, rounding);
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
  const [ID, IH, IW] = win.in, [OD, OH, OW] = win.out;
  const inPlane = ID * IH * IW, outPlane = OD * OH * OW;
  const out = makeTensor(x.dtype, outShape);
  const [az, ay, ax] = windowTaps(win, node.attrs.pads);
  for (let pl = 0; pl < planes; pl++) {
    const xb = pl * inPlane;
    let o = pl * outPlane;
    for (const zz of az)
      for (const y of ay)
        for (const xw of ax) {
          let sum = 0;
          for (const iz of zz.taps)
            for (const iy of y.taps) for (const ix of xw.taps) sum += x.data[xb + (iz * IH + iy) * IW + ix]! - z;
          const count = countIncludePad ? zz.padded * y.padded * xw.padded : zz.taps.length * y.taps.length * xw.taps.length;
          out.data[o++] = z + roundDiv(sum, count, rounding);
        }
  }
  return out;
}
