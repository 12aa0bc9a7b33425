/** Pooling and normalisation kernels: MaxPool, AveragePool (count_include_pad, ceil mode, dilations), global pools
 *  and LRN. Windows are lifted to 3-D like Conv's. */
import type { AveragePoolNode, LrnNode, MaxPoolNode, Tensor } from '../ir/types.js';
import { makeTensor, sizeOf } from '../ir/types.js';
import { window3, windowOffsets } from './window.js';

export function pool(node: MaxPoolNode | AveragePoolNode, x: Tensor, outShape: readonly number[]): Tensor {
  const win = window3(x.shape, outShape, node.attrs);
  const isMax = node.op === 'MaxPool';
  const includePad = node.op === 'AveragePool' && node.attrs.countIncludePad;
  const planes = x.shape[0]! * x.shape[1]!;
  const inPlane = win.in[0] * win.in[1] * win.in[2], outPlane = win.out[0] * win.out[1] * win.out[2];
  // MaxPool also runs on integer codes (quantized graphs) and keeps their dtype.
  const out = makeTensor(isMax ? x.dtype : 'float32', outShape);
  const { starts, offsets, padded } = windowOffsets(win, node.attrs.pads);
  const xd = x.data, od = out.data;
  for (let pl = 0; pl < planes; pl++) {
    const xb = pl * inPlane, ob = pl * outPlane;
    for (let q = 0; q < outPlane; q++) {
      const t0 = starts[q]!, t1 = starts[q + 1]!;
      if (isMax) {
        let acc = -Infinity;
        for (let t = t0; t < t1; t++) {
          const v = xd[xb + offsets[t]!]!;
          if (v > acc || v !== v) acc = v;
        }
        od[ob + q] = acc;
      } else {
        let acc = 0;
        for (let t = t0; t < t1; t++) acc += xd[xb + offsets[t]!]!;
        od[ob + q] = acc / (includePad ? padded[q]! : t1 - t0);
      }
    }
  }
  return out;
}

export function globalPool(op: 'GlobalAveragePool' | 'GlobalMaxPool', x: Tensor, outShape: readonly number[]): Tensor {
  const planes = x.shape[0]! * x.shape[1]!;
  const inner = sizeOf(x.shape.slice(2));
  const out = makeTensor(op === 'GlobalMaxPool' ? x.dtype : 'float32', outShape);
  for (let p = 0; p < planes; p++) {
    let acc = op === 'GlobalMaxPool' ? -Infinity : 0;
    for (let i = 0; i < inner; i++) {
      const v = x.data[p * inner + i]!;
      acc = op === 'GlobalMaxPool' ? Math.max(acc, v) : acc + v;
    }
    out.data[p] = op === 'GlobalMaxPool' ? acc : acc / inner;
  }
  return out;
}

/** Local response normalisation across channels: y = x / (bias + alpha/size * sum of x^2 over the window)^beta. */
export function lrn(node: LrnNode, x: Tensor): Tensor {
  const { size, alpha, beta, bias } = node.attrs;
  const [N, C] = [x.shape[0]!, x.shape[1]!];
  const inner = sizeOf(x.shape.slice(2));
  const out = makeTensor('float32', x.shape);
  const lo = Math.floor((size - 1) / 2), hi = Math.ceil((size - 1) / 2);
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++)
      for (let i = 0; i < inner; i++) {
        let sq = 0;
        for (let cc = Math.max(0, c - lo); cc <= Math.min(C - 1, c + hi); cc++) {
          const v = x.data[(n * C + cc) * inner + i]!;
          sq += v * v;
        }
        const idx = (n * C + c) * inner + i;
        out.data[idx] = x.data[idx]! / Math.pow(bias + (alpha / size) * sq, beta);
      }
  return out;
}
