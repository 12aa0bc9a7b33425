/** Sliding-window geometry shared by the Conv and pool kernels: any 1-D, 2-D or 3-D window is lifted to 3-D by
 *  adding unit dimensions in front, so each kernel has one loop nest. */
import type { TensorData, WindowAttrs } from '../ir/types.js';

export interface Window3 {
  /** Input spatial size, output spatial size, kernel, stride, dilation, begin pad: [d, h, w] each. */
  readonly in: [number, number, number];
  readonly out: [number, number, number];
  readonly k: [number, number, number];
  readonly s: [number, number, number];
  readonly d: [number, number, number];
  readonly p: [number, number, number];
}

function lift(v: readonly number[], fill: number): [number, number, number] {
  const a = [...Array<number>(3 - v.length).fill(fill), ...v];
  return [a[0]!, a[1]!, a[2]!];
}

export function window3(inShape: readonly number[], outShape: readonly number[], w: WindowAttrs): Window3 {
  const r = w.kernelShape.length;
  if (r > 3) throw new Error(`internal error: ${r}-D windows are not supported`);
  return {
    in: lift(inShape.slice(2), 1),
    out: lift(outShape.slice(2), 1),
    k: lift(w.kernelShape, 1),
    s: lift(w.strides, 1),
    d: lift(w.dilations, 1),
    p: lift(w.pads.slice(0, r), 0),
  };
}

/** Sizes of a (grouped) convolution as the kernels loop over it: group count, batch, input and output channels,
 *  channels per group, input plane and output positions per channel, taps, and K = reduction length per output. */
export function convGeometry(x: readonly number[], w: readonly number[], outShape: readonly number[], attrs: WindowAttrs & { readonly group: number }) {
  const win = window3(x, outShape, attrs);
  const g = attrs.group;
  const [N, C, M] = [x[0]!, x[1]!, w[0]!];
  const cPerG = C / g, mPerG = M / g;
  const taps = win.k[0] * win.k[1] * win.k[2];
  return {
    win, g, N, C, M, cPerG, mPerG, taps,
    inPlane: win.in[0] * win.in[1] * win.in[2],
    P: win.out[0] * win.out[1] * win.out[2],
    K: cPerG * taps,
  };
}

/** The range [lo, hi) of output positions o whose input index o*s + offset (offset = kk*d - pad) lies in [0, size). */
export function validRange(size: number, outSize: number, s: number, offset: number): [number, number] {
  // offset = kk*d - p; need 0 <= o*s + offset < size.
  const lo = Math.max(0, Math.ceil(-offset / s));
  const hi = Math.min(outSize, Math.floor((size - 1 - offset) / s) + 1);
  return [lo, Math.max(lo, hi)];
}

/** Copies one input channel's windows into `col`: element (tap t, output position p) goes to
 *  col[base + t * strideT + p * strideP] (strideP = 1 gives one row per tap, strideT = 1 one row per position);
 *  positions in the padding get `pad` (0 for floats, the zero point for codes). */
export function im2col(xd: TensorData, xBase: number, win: Window3, col: Float64Array | Int32Array | Uint8Array, base: number, pad: number, strideT: number, strideP: number): void {
  const [ID, IH, IW] = win.in, [OD, OH, OW] = win.out, [KD, KH, KW] = win.k;
  const [SD, SH, SW] = win.s, [DD, DH, DW] = win.d, [PD, PH, PW] = win.p;
  const P = OD * OH * OW;
  let t = 0;
  for (let kz = 0; kz < KD; kz++) {
    const z = validRange(ID, OD, SD, kz * DD - PD);
    for (let ky = 0; ky < KH; ky++) {
      const y = validRange(IH, OH, SH, ky * DH - PH);
      for (let kx = 0; kx < KW; kx++, t++) {
        const xr = validRange(IW, OW, SW, kx * DW - PW);
        const row = base + t * strideT;
        for (let p = 0; p < P; p++) col[row + p * strideP] = pad;
        for (let oz = z[0]; oz < z[1]; oz++) {
          const iz = oz * SD + kz * DD - PD;
          for (let oy = y[0]; oy < y[1]; oy++) {
            const src = xBase + (iz * IH + oy * SH + ky * DH - PH) * IW + kx * DW - PW;
            const dst = row + (oz * OH + oy) * OW * strideP;
            for (let ox = xr[0]; ox < xr[1]; ox++) col[dst + ox * strideP] = xd[src + ox * SW]!;
          }
        }
      }
    }
  }
}

/** One axis of a pooling window: for each output position, the input indices inside the input (`taps`) and the
 *  number of taps inside input plus padding (`padded`, the count_include_pad divisor). */
export interface AxisTaps {
  readonly taps: readonly number[];
  readonly padded: number;
}

/** The taps of every output position along the three (lifted) axes; `pads` are the window's ONNX-order pads. */
export function windowTaps(win: Window3, pads: readonly number[]): [AxisTaps[], AxisTaps[], AxisTaps[]] {
  const r = pads.length / 2;
  const padEnd = [0, 0, 0];
  pads.slice(r).forEach((p, i) => (padEnd[3 - r + i] = p));
  const axis = (a: 0 | 1 | 2): AxisTaps[] =>
    Array.from({ length: win.out[a] }, (_, o) => {
      const taps: number[] = [];
      let padded = 0;
      for (let kk = 0; kk < win.k[a]; kk++) {
        const i = o * win.s[a] - win.p[a] + kk * win.d[a];
        if (i >= 0 && i < win.in[a]) taps.push(i);
        if (i >= -win.p[a] && i < win.in[a] + padEnd[a]!) padded++;
      }
      return { taps, padded };
    });
  return [axis(0), axis(1), axis(2)];
}

/** Every output position's taps as offsets into one input plane (CSR: the taps of position q are
 *  offsets[starts[q] .. starts[q + 1])), with the count_include_pad divisor of each position. Built once per call,
 *  so the pooling loops are flat index loops. */
export function windowOffsets(win: Window3, pads: readonly number[]): { starts: Int32Array; offsets: Int32Array; padded: Int32Array } {
  const [az, ay, ax] = windowTaps(win, pads);
  const [, IH, IW] = win.in;
  const outPlane = az.length * ay.length * ax.length;
  const starts = new Int32Array(outPlane + 1), padded = new Int32Array(outPlane);
  const offsets: number[] = [];
  let q = 0;
  for (const z of az)
    for (const y of ay)
      for (const x of ax) {
        for (const iz of z.taps) for (const iy of y.taps) for (const ix of x.taps) offsets.push((iz * IH + iy) * IW + ix);
        padded[q] = z.padded * y.padded * x.padded;
        starts[++q] = offsets.length;
      }
  return { starts, offsets: Int32Array.from(offsets), padded };
}
