/** Data-movement kernels: Reshape, Transpose, Concat, Split, Slice, Pad, Gather, Cast. They work on any dtype. */
import type { DType, PadNode, SliceNode, Tensor } from '../ir/types.js';
import { allocData, makeTensor, sizeOf, stridesOf } from '../ir/types.js';

export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  return makeTensor(x.dtype, shape, x.data.slice());
}

/** Visits every index of `shape` in C order, calling f(flat output index, input flat offset) where the input offset
 *  advances by `strides` per axis starting at `base`. */
function walk(shape: readonly number[], strides: readonly number[], base: number, f: (o: number, i: number) => void): void {
  const n = sizeOf(shape), r = shape.length;
  const idx = new Array<number>(r).fill(0);
  let src = base;
  for (let o = 0; o < n; o++) {
    f(o, src);
    for (let d = r - 1; d >= 0; d--) {
      idx[d]!++;
      src += strides[d]!;
      if (idx[d]! < shape[d]!) break;
      src -= strides[d]! * shape[d]!;
      idx[d] = 0;
    }
  }
}

export function transpose(x: Tensor, perm: readonly number[]): Tensor {
  const xs = stridesOf(x.shape);
  const shape = perm.map((p) => x.shape[p]!);
  const out = makeTensor(x.dtype, shape);
  walk(shape, perm.map((p) => xs[p]!), 0, (o, i) => (out.data[o] = x.data[i]!));
  return out;
}

export function concat(inputs: readonly Tensor[], axis: number, outShape: readonly number[]): Tensor {
  const out = makeTensor(inputs[0]!.dtype, outShape);
  const outer = sizeOf(outShape.slice(0, axis)), inner = sizeOf(outShape.slice(axis + 1));
  const outRow = outShape[axis]! * inner;
  let offset = 0;
  for (const t of inputs) {
    const row = t.shape[axis]! * inner;
    for (let o = 0; o < outer; o++) out.data.set(t.data.subarray(o * row, (o + 1) * row), o * outRow + offset);
    offset += row;
  }
  return out;
}

export function split(x: Tensor, axis: number, sizes: readonly number[]): Tensor[] {
  const outer = sizeOf(x.shape.slice(0, axis)), inner = sizeOf(x.shape.slice(axis + 1));
  const inRow = x.shape[axis]! * inner;
  let offset = 0;
  return sizes.map((s) => {
    const out = makeTensor(x.dtype, x.shape.map((d, i) => (i === axis ? s : d)));
    const row = s * inner;
    for (let o = 0; o < outer; o++) out.data.set(x.data.subarray(o * inRow + offset, o * inRow + offset + row), o * row);
    offset += row;
    return out;
  });
}

export function slice(node: SliceNode, x: Tensor): Tensor {
  const xs = stridesOf(x.shape);
  const { starts, steps, counts } = node.attrs;
  const out = makeTensor(x.dtype, counts);
  if (out.data.length === 0) return out;
  const base = starts.reduce((s, st, d) => s + st * xs[d]!, 0);
  walk(counts, steps.map((st, d) => st * xs[d]!), base, (o, i) => (out.data[o] = x.data[i]!));
  return out;
}

export function pad(node: PadNode, x: Tensor, outShape: readonly number[]): Tensor {
  const r = x.shape.length;
  const out = makeTensor(x.dtype, outShape);
  out.data.fill(node.attrs.value);
  const os = stridesOf(outShape);
  // Copy the part of the input that survives (negative pads crop).
  const begin = x.shape.map((_, d) => Math.max(0, -node.attrs.pads[d]!));
  const shape = x.shape.map((s, d) => Math.max(0, s - begin[d]! - Math.max(0, -node.attrs.pads[d + r]!)));
  if (sizeOf(shape) === 0) return out;
  const xs = stridesOf(x.shape);
  const inBase = begin.reduce((s, b, d) => s + b * xs[d]!, 0);
  const outBase = x.shape.reduce((s, _, d) => s + Math.max(0, node.attrs.pads[d]!) * os[d]!, 0);
  const idx = new Array<number>(r).fill(0);
  for (let o = 0; o < sizeOf(shape); o++) {
    let src = inBase, dst = outBase;
    for (let d = 0; d < r; d++) {
      src += idx[d]! * xs[d]!;
      dst += idx[d]! * os[d]!;
    }
    out.data[dst] = x.data[src]!;
    for (let d = r - 1; d >= 0; d--) {
      if (++idx[d]! < shape[d]!) break;
      idx[d] = 0;
    }
  }
  return out;
}

export function gather(x: Tensor, indices: Tensor, axis: number, outShape: readonly number[]): Tensor {
  const out = makeTensor(x.dtype, outShape);
  const outer = sizeOf(x.shape.slice(0, axis)), inner = sizeOf(x.shape.slice(axis + 1));
  const len = x.shape[axis]!;
  const ni = indices.data.length;
  for (let o = 0; o < outer; o++)
    for (let j = 0; j < ni; j++) {
      let k = indices.data[j]!;
      if (k < 0) k += len;
      if (k < 0 || k >= len) throw new RangeError(`Gather index ${indices.data[j]} is outside [${-len}, ${len - 1}]`);
      out.data.set(x.data.subarray((o * len + k) * inner, (o * len + k + 1) * inner), (o * ni + j) * inner);
    }
  return out;
}

/** Cast with ONNX semantics for the dtypes the IR has: float -> int truncates toward zero and wraps like C. */
export function cast(x: Tensor, to: DType): Tensor {
  const out = allocData(to, x.data.length);
  for (let i = 0; i < x.data.length; i++) {
    const v = x.data[i]!;
    out[i] = to === 'bool' ? (v !== 0 ? 1 : 0) : to === 'float32' ? v : Math.trunc(v);
  }
  return makeTensor(to, x.shape, out);
}
