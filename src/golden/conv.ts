/** Float Conv kernel (any group count, strides, dilations, pads; 1-D to 3-D via `window3`).
 *  Why this shape: per image and group, the input windows are copied once into a column matrix col[k][p]
 *  (k = input channel x kernel tap, p = output position, zeros where the window covers padding); then each output
 *  channel is a sum of weight x column rows, so the innermost loop is a long contiguous multiply-add over output
 *  positions with no bounds tests. Accumulation is in float64, rounded to float32 once per output. */
import type { ConvNode, Tensor } from '../ir/types.js';
import { makeTensor } from '../ir/types.js';
import { im2col, window3 } from './window.js';

export function conv(node: ConvNode, x: Tensor, w: Tensor, b: Tensor | undefined, outShape: readonly number[]): Tensor {
  const g = node.attrs.group;
  const win = window3(x.shape, outShape, node.attrs);
  const [N, C, M] = [x.shape[0]!, x.shape[1]!, w.shape[0]!];
  const cPerG = C / g, mPerG = M / g;
  const inPlane = win.in[0] * win.in[1] * win.in[2];
  const P = win.out[0] * win.out[1] * win.out[2];
  const taps = win.k[0] * win.k[1] * win.k[2];
  const K = cPerG * taps;
  const col = new Float64Array(K * P);
  const acc = new Float64Array(P);
  const wd = w.data, out = makeTensor('float32', outShape);
  for (let n = 0; n < N; n++)
    for (let grp = 0; grp < g; grp++) {
      const xBase = (n * C + grp * cPerG) * inPlane;
      for (let ci = 0; ci < cPerG; ci++) im2col(x.data, xBase + ci * inPlane, win, col, ci * taps * P, 0, P, 1);
      for (let mi = 0; mi < mPerG; mi++) {
        const m = grp * mPerG + mi;
        acc.fill(b ? b.data[m]! : 0);
        const wBase = m * K;
        for (let k = 0; k < K; k++) {
          const wv = wd[wBase + k]!;
          const row = k * P;
          for (let p = 0; p < P; p++) acc[p] = acc[p]! + wv * col[row + p]!;
        }
        out.data.set(acc, (n * M + m) * P);
      }
    }
  return out;
}
