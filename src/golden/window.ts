/** Sliding-window geometry shared by the Conv and pool kernels: any 1-D, 2-D or 3-D window is lifted to 3-D by
 *  adding unit dimensions in front, so each kernel has one loop nest. */
import type { WindowAttrs } from '../ir/types.js';

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

/** The range [lo, hi) of output positions o whose input index o*s - p + kk*d lies in [0, size). */
export function validRange(size: number, outSize: number, s: number, p: number, offset: number): [number, number] {
  // offset = kk*d - p; need 0 <= o*s + offset < size.
  const lo = Math.max(0, Math.ceil(-offset / s));
  const hi = Math.min(outSize, Math.floor((size - 1 - offset) / s) + 1);
  return [lo, Math.max(lo, hi)];
}
