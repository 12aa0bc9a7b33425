/** Float Conv kernel (any group count, strides, dilations, pads; 1-D to 3-D via `window3`).
 *  Why this shape: per image and group, each output position's receptive field is copied once (im2col, zeros in the
 *  padding) as a column of K = input channels x taps values (a K x P matrix, rows of positions); every output is then
 *  a dot product of its column with a weight row, computed by the WebAssembly kernel (f64x2 SIMD over pairs of
 *  positions, tiles of 8 positions x 2 channels of float64 sums in registers) or, when it is not built, by a
 *  JavaScript loop over the same sums.
 *  Accumulation is in float64 (k in order, bias last), rounded to float32 once per output. */
import type { ConvNode, Tensor } from '../ir/types.js';
import { makeTensor } from '../ir/types.js';
import { convGeometry, im2col } from './window.js';
import { wasmDotF64Cols } from './integer/wasm-mac.js';

export function conv(node: ConvNode, x: Tensor, w: Tensor, b: Tensor | undefined, outShape: readonly number[]): Tensor {
  const { win, g, N, C, M, cPerG, mPerG, inPlane, P, taps, K } = convGeometry(x.shape, w.shape, outShape, node.attrs);
  const wd = w.data, out = makeTensor('float32', outShape);
  const fast = wasmDotF64Cols(K, P, mPerG);
  const col = fast ? undefined : new Float64Array(K * P);
  const acc = new Float64Array(P);
  for (let n = 0; n < N; n++)
    for (let grp = 0; grp < g; grp++) {
      const xBase = (n * C + grp * cPerG) * inPlane;
      if (fast) {
        // Columns K x P into the kernel's memory (contiguous writes), then one call for all the group's channels.
        for (let ci = 0; ci < cPerG; ci++) im2col(x.data, xBase + ci * inPlane, win, fast.cols, ci * taps * P, 0, P, 1);
        fast.weights.set(wd.subarray(grp * mPerG * K, (grp + 1) * mPerG * K));
        const sums = fast.run();
        for (let mi = 0; mi < mPerG; mi++) {
          const m = grp * mPerG + mi, bias = b ? b.data[m]! : 0, o = (n * M + m) * P;
          for (let p = 0; p < P; p++) out.data[o + p] = sums[mi * P + p]! + bias;
        }
        continue;
      }
      for (let ci = 0; ci < cPerG; ci++) im2col(x.data, xBase + ci * inPlane, win, col!, ci * taps * P, 0, P, 1);
      for (let mi = 0; mi < mPerG; mi++) {
        const m = grp * mPerG + mi;
        acc.fill(0);
        const wBase = m * K;
        for (let k = 0; k < K; k++) {
          const wv = wd[wBase + k]!;
          const row = k * P;
          for (let p = 0; p < P; p++) acc[p] = acc[p]! + wv * col![row + p]!;
        }
        const bias = b ? b.data[m]! : 0, o = (n * M + m) * P;
        for (let p = 0; p < P; p++) out.data[o + p] = acc[p]! + bias;
      }
    }
  return out;
}
