/** Pooling and normalisation kernels: MaxPool, AveragePool (count_include_pad, ceil mode, dilations), global pools
 *  LRN and ReduceMean. Windows are lifted to 3-D like Conv's. */
import type { AveragePoolNode, LrnNode, MaxPoolNode, Tensor } from '../ir/types.js';
import { makeTensor, sizeOf, stridesOf } from '../ir/types.js';
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

/** Mean over `axes` (float64 sums), written in the output's C order; `outShape` has the reduced dimensions as 1 or
 *  removed, the element order is the same either way. */
export function reduceMean(x: Tensor, axes: readonly number[], outShape: readonly number[]): Tensor {
  const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const keptStrides = stridesOf(kept);
  const sums = new Float64Array(sizeOf(kept));
  const idx = new Array<number>(x.shape.length).fill(0);
  for (let i = 0; i < x.data.length; i++) {
    let o = 0;
    for (let d = 0; d < idx.length; d++) if (!axes.includes(d)) o += idx[d]! * keptStrides[d]!;
    sums[o] = sums[o]! + x.data[i]!;
    for (let d = idx.length - 1; d >= 0; d--) {
      if (++idx[d]! < x.shape[d]!) break;
      idx[d] = 0;
    }
  }
  const count = x.data.length / sums.length;
  const out = makeTensor('float32', outShape);
  for (let o = 0; o < sums.length; o++) out.data[o] = sums[o]! / count;
  return out;
}
