/** Softmax and LogSoftmax: over the flattened dimensions from `axis` on (opset < 13, `coerce2d`) or over `axis`. */
import type { SoftmaxNode, Tensor } from '../ir/types.js';
import { makeTensor, sizeOf } from '../ir/types.js';

export function softmax(node: SoftmaxNode, x: Tensor): Tensor {
  const { axis, coerce2d } = node.attrs;
  const shape = x.shape.length === 0 ? [1] : x.shape;
  const outer = sizeOf(shape.slice(0, axis));
  const len = coerce2d ? sizeOf(shape.slice(axis)) : shape[axis]!;
  const inner = coerce2d ? 1 : sizeOf(shape.slice(axis + 1));
  const out = makeTensor('float32', x.shape);
  const log = node.op === 'LogSoftmax';
  for (let o = 0; o < outer; o++)
    for (let i = 0; i < inner; i++) {
      const base = o * len * inner + i;
      let max = -Infinity;
      for (let k = 0; k < len; k++) max = Math.max(max, x.data[base + k * inner]!);
      let sum = 0;
      for (let k = 0; k < len; k++) sum += Math.exp(x.data[base + k * inner]! - max);
      const logSum = Math.log(sum);
      for (let k = 0; k < len; k++) {
        const v = x.data[base + k * inner]! - max;
        out.data[base + k * inner] = log ? v - logSum : Math.exp(v) / sum;
      }
    }
  return out;
}
