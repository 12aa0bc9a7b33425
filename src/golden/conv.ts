/** Float Conv kernel (any group count, strides, dilations, pads; 1-D to 3-D via `window3`).
 *  Why this loop order: for each (output channel, input channel, kernel tap) one weight is broadcast along a whole
 *  output row, so the innermost loop is a strided multiply-add over contiguous memory with no bounds test inside
 *  (the valid output range per tap is computed once). Accumulation is in float64, rounded to float32 at the end. */
import type { ConvNode, Tensor } from '../ir/types.js';
import { makeTensor } from '../ir/types.js';
import { validRange, window3 } from './window.js';

export function conv(node: ConvNode, x: Tensor, w: Tensor, b: Tensor | undefined, outShape: readonly number[]): Tensor {
  const g = node.attrs.group;
  const win = window3(x.shape, outShape, node.attrs);
  const [N, C, M] = [x.shape[0]!, x.shape[1]!, w.shape[0]!];
  const [ID, IH, IW] = win.in, [OD, OH, OW] = win.out, [KD, KH, KW] = win.k;
  const [SD, SH, SW] = win.s, [DD, DH, DW] = win.d, [PD, PH, PW] = win.p;
  const cPerG = C / g, mPerG = M / g;
  const inPlane = ID * IH * IW, outPlane = OD * OH * OW, kSize = KD * KH * KW;
  const xd = x.data, wd = w.data, out = makeTensor('float32', outShape);
  const acc = new Float64Array(outPlane);
  const xRange = Array.from({ length: KW }, (_, kx) => validRange(IW, OW, SW, PW, kx * DW - PW));
  for (let n = 0; n < N; n++) {
    for (let m = 0; m < M; m++) {
      acc.fill(b ? b.data[m]! : 0);
      const grp = Math.floor(m / mPerG);
      for (let ci = 0; ci < cPerG; ci++) {
        const xBase = (n * C + grp * cPerG + ci) * inPlane;
        const wBase = (m * cPerG + ci) * kSize;
        for (let kz = 0; kz < KD; kz++) {
          const [z0, z1] = validRange(ID, OD, SD, PD, kz * DD - PD);
          for (let ky = 0; ky < KH; ky++) {
            const [y0, y1] = validRange(IH, OH, SH, PH, ky * DH - PH);
            for (let kx = 0; kx < KW; kx++) {
              const wv = wd[wBase + (kz * KH + ky) * KW + kx]!;
              const [x0, x1] = xRange[kx]!;
              for (let oz = z0; oz < z1; oz++) {
                const iz = oz * SD + kz * DD - PD;
                for (let oy = y0; oy < y1; oy++) {
                  const iy = oy * SH + ky * DH - PH;
                  const rowIn = xBase + (iz * IH + iy) * IW + kx * DW - PW;
                  const rowOut = (oz * OH + oy) * OW;
                  for (let ox = x0; ox < x1; ox++) acc[rowOut + ox] = acc[rowOut + ox]! + wv * xd[rowIn + ox * SW]!;
                }
              }
            }
          }
        }
      }
      out.data.set(acc, (n * M + m) * outPlane);
    }
  }
  return out;
}
