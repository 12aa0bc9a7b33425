/** Elementwise kernels: broadcasting binary and variadic ops, activations, and the per-channel affine op. */
import type { BinaryOp, Tensor, UnaryNode, VariadicOp } from '../ir/types.js';
import { makeTensor, sizeOf } from '../ir/types.js';
import { broadcastIndex } from './broadcast.js';

const BINARY: Record<BinaryOp | VariadicOp, (a: number, b: number) => number> = {
  Add: (a, b) => a + b,
  Sub: (a, b) => a - b,
  Mul: (a, b) => a * b,
  Div: (a, b) => a / b,
  Sum: (a, b) => a + b,
  Max: (a, b) => (a !== a || b !== b ? NaN : Math.max(a, b)),
  Min: (a, b) => (a !== a || b !== b ? NaN : Math.min(a, b)),
};

/** Folds the inputs left to right with broadcasting; integer dtypes keep integer semantics (Div truncates). */
export function broadcastFold(op: BinaryOp | VariadicOp, inputs: readonly Tensor[], outShape: readonly number[]): Tensor {
  const first = inputs[0]!;
  const out = makeTensor(first.dtype, outShape);
  const n = sizeOf(outShape);
  const f = BINARY[op];
  const integer = first.dtype !== 'float32';
  const idx0 = broadcastIndex(first.shape, outShape);
  for (let i = 0; i < n; i++) out.data[i] = first.data[idx0[i]!]!;
  for (const t of inputs.slice(1)) {
    const idx = broadcastIndex(t.shape, outShape);
    for (let i = 0; i < n; i++) {
      const v = f(out.data[i]!, t.data[idx[i]!]!);
      out.data[i] = integer && op === 'Div' ? Math.trunc(v) : v;
    }
  }
  return out;
}

export function unary(node: UnaryNode, x: Tensor): Tensor {
  const out = makeTensor(x.dtype, x.shape);
  const f = activation(node);
  const xd = x.data, od = out.data;
  for (let i = 0; i < xd.length; i++) od[i] = f(xd[i]!);
  return out;
}

/** The scalar function of an activation node (also used by the integer path to build lookup tables). */
export function activation(node: UnaryNode): (v: number) => number {
  const { alpha = 0, beta = 0, min = -Infinity, max = Infinity } = node.attrs;
  switch (node.op) {
    case 'Relu':
      return (v) => (v > 0 ? v : v !== v ? v : 0);
    case 'LeakyRelu':
      return (v) => (v >= 0 ? v : alpha * v);
    case 'Clip':
      return (v) => (v !== v ? v : Math.min(max, Math.max(min, v)));
    case 'Sigmoid':
      return (v) => (v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v)));
    case 'Tanh':
      return Math.tanh;
    case 'HardSigmoid':
      return (v) => Math.max(0, Math.min(1, alpha * v + beta));
    case 'HardSwish':
      return (v) => v * Math.max(0, Math.min(1, v / 6 + 0.5));
    case 'Elu':
      return (v) => (v >= 0 ? v : alpha * Math.expm1(v));
    case 'Selu': {
      const gamma = node.attrs.gamma ?? 1.0507009873554805;
      return (v) => (v > 0 ? gamma * v : gamma * alpha * Math.expm1(v));
    }
    default: {
      const exhaustive: never = node.op;
      return exhaustive;
    }
  }
}

/** y[n, c, ...] = x[n, c, ...] * scale[c] + shift[c]. */
export function channelAffine(x: Tensor, scale: Tensor, shift: Tensor): Tensor {
  const out = makeTensor('float32', x.shape);
  const C = x.shape[1] ?? 1;
  const inner = sizeOf(x.shape.slice(2));
  const outer = x.shape[0] ?? 1;
  for (let n = 0; n < outer; n++)
    for (let c = 0; c < C; c++) {
      const s = scale.data[c]!, t = shift.data[c]!, base = (n * C + c) * inner;
      for (let i = 0; i < inner; i++) out.data[base + i] = x.data[base + i]! * s + t;
    }
  return out;
}
