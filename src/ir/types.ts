/** The typed IR: plain data, one discriminated union of node kinds keyed by `op`.
 *  Every tensor has a dtype and a fully static shape. Attributes are normalised at import (defaults filled in,
 *  auto_pad resolved to explicit pads, negative axes made positive), so later stages never consult ONNX rules.
 *  The language-neutral contract is `ir/schema.json` and `ir/README.md`; this file implements it. */

export type DType = 'float32' | 'int64' | 'int32' | 'int8' | 'uint8' | 'bool';

/** In-memory tensor data. int64 is held in a Float64Array (exact to 2^53, ample for shapes and indices): the
 *  float32 golden model never computes with 64-bit integers, it only folds shape arithmetic. */
export type TensorData = Float32Array | Float64Array | Int32Array | Int8Array | Uint8Array;

export interface Tensor {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly data: TensorData;
}

export interface ValueInfo {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
}

/** Quantization of a tensor, as imported from QDQ pairs or set by the quantizer: real = scale * (code - zeroPoint).
 *  Per-tensor when `axis` is absent, else one scale/zero point per index along `axis`. */
export interface QuantParams {
  readonly scale: readonly number[];
  readonly zeroPoint: readonly number[];
  readonly axis?: number;
  /** Code type; int32 only on DequantizeLinear of biases (as QDQ models store them). */
  readonly dtype: 'int8' | 'uint8' | 'int32';
}

interface NodeBase {
  readonly name: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
}

/** Spatial window attributes shared by Conv and the pools; arrays have one entry per spatial dimension, `pads` has
 *  the begin values of every spatial dimension followed by the end values (ONNX order). */
export interface WindowAttrs {
  readonly kernelShape: readonly number[];
  readonly strides: readonly number[];
  readonly pads: readonly number[];
  readonly dilations: readonly number[];
}

export interface ConvNode extends NodeBase {
  readonly op: 'Conv';
  readonly attrs: WindowAttrs & { readonly group: number };
}
export interface GemmNode extends NodeBase {
  readonly op: 'Gemm';
  readonly attrs: { readonly alpha: number; readonly beta: number; readonly transA: boolean; readonly transB: boolean };
}
export interface MatMulNode extends NodeBase {
  readonly op: 'MatMul';
  readonly attrs: Record<string, never>;
}
/** Elementwise binary ops with NumPy broadcasting. */
export type BinaryOp = 'Add' | 'Sub' | 'Mul' | 'Div';
export interface BinaryNode extends NodeBase {
  readonly op: BinaryOp;
  readonly attrs: Record<string, never>;
}
/** Variadic elementwise ops with broadcasting. */
export type VariadicOp = 'Sum' | 'Max' | 'Min';
export interface VariadicNode extends NodeBase {
  readonly op: VariadicOp;
  readonly attrs: Record<string, never>;
}
/** Unary elementwise activations; `alpha`/`beta` carry LeakyRelu's slope and HardSigmoid's line, `min`/`max` Clip's
 *  bounds (resolved from attributes or constant inputs at import). Unused fields are absent. */
export type UnaryOp = 'Relu' | 'LeakyRelu' | 'Clip' | 'Sigmoid' | 'Tanh' | 'HardSigmoid' | 'HardSwish';
export interface UnaryNode extends NodeBase {
  readonly op: UnaryOp;
  readonly attrs: { readonly alpha?: number; readonly beta?: number; readonly min?: number; readonly max?: number };
}
/** Softmax and LogSoftmax over the dimensions from `axis` on (`coerce2d`, opset < 13) or over `axis` alone. */
export interface SoftmaxNode extends NodeBase {
  readonly op: 'Softmax' | 'LogSoftmax';
  readonly attrs: { readonly axis: number; readonly coerce2d: boolean };
}
export interface MaxPoolNode extends NodeBase {
  readonly op: 'MaxPool';
  readonly attrs: WindowAttrs & { readonly ceilMode: boolean };
}
export interface AveragePoolNode extends NodeBase {
  readonly op: 'AveragePool';
  readonly attrs: WindowAttrs & { readonly ceilMode: boolean; readonly countIncludePad: boolean };
}
export interface GlobalPoolNode extends NodeBase {
  readonly op: 'GlobalAveragePool' | 'GlobalMaxPool';
  readonly attrs: Record<string, never>;
}
export interface LrnNode extends NodeBase {
  readonly op: 'LRN';
  readonly attrs: { readonly size: number; readonly alpha: number; readonly beta: number; readonly bias: number };
}
/** A BatchNormalization that follows no Conv/Gemm: y = x * scale[c] + shift[c] along axis 1 (inputs: x, scale,
 *  shift, both 1-D constants of length C). */
export interface ChannelAffineNode extends NodeBase {
  readonly op: 'ChannelAffine';
  readonly attrs: Record<string, never>;
}
/** Flatten, Squeeze, Unsqueeze and Reshape all become a Reshape to a static shape. */
export interface ReshapeNode extends NodeBase {
  readonly op: 'Reshape';
  readonly attrs: { readonly shape: readonly number[] };
}
export interface TransposeNode extends NodeBase {
  readonly op: 'Transpose';
  readonly attrs: { readonly perm: readonly number[] };
}
export interface ConcatNode extends NodeBase {
  readonly op: 'Concat';
  readonly attrs: { readonly axis: number };
}
export interface SplitNode extends NodeBase {
  readonly op: 'Split';
  readonly attrs: { readonly axis: number; readonly sizes: readonly number[] };
}
/** Slice with every dimension resolved: dimension d takes counts[d] indices starts[d], starts[d]+steps[d], ...
 *  (steps may be negative; every index lies inside the input). */
export interface SliceNode extends NodeBase {
  readonly op: 'Slice';
  readonly attrs: { readonly starts: readonly number[]; readonly steps: readonly number[]; readonly counts: readonly number[] };
}
/** Constant padding; `pads` are begin values of every dimension then end values (may be negative = crop). */
export interface PadNode extends NodeBase {
  readonly op: 'Pad';
  readonly attrs: { readonly pads: readonly number[]; readonly value: number };
}
/** Gather along `axis` with a constant index tensor (second input). Folded when the data is constant too. */
export interface GatherNode extends NodeBase {
  readonly op: 'Gather';
  readonly attrs: { readonly axis: number };
}
/** QuantizeLinear / DequantizeLinear kept from QDQ models as annotations for the quantizer: scale and zero point are
 *  folded into `quant` (they must be constants). QuantizeLinear maps float x to int8/uint8 codes (round half to even,
 *  saturate); DequantizeLinear maps codes back to float. Input: x only. */
export interface QuantizeLinearNode extends NodeBase {
  readonly op: 'QuantizeLinear';
  readonly attrs: { readonly quant: QuantParams };
}
export interface DequantizeLinearNode extends NodeBase {
  readonly op: 'DequantizeLinear';
  readonly attrs: { readonly quant: QuantParams };
}
/** Element type conversion; only folded on constants (shape arithmetic) or kept when a no-op is impossible. */
export interface CastNode extends NodeBase {
  readonly op: 'Cast';
  readonly attrs: { readonly to: DType };
}

export type Node =
  | ConvNode
  | GemmNode
  | MatMulNode
  | BinaryNode
  | VariadicNode
  | UnaryNode
  | SoftmaxNode
  | MaxPoolNode
  | AveragePoolNode
  | GlobalPoolNode
  | LrnNode
  | ChannelAffineNode
  | ReshapeNode
  | TransposeNode
  | ConcatNode
  | SplitNode
  | SliceNode
  | PadNode
  | GatherNode
  | QuantizeLinearNode
  | DequantizeLinearNode
  | CastNode;

export type OpName = Node['op'];

/** Where the graph came from, for reports and error messages. */
export interface GraphSource {
  readonly file: string;
  readonly irVersion: number;
  readonly opset: number;
  readonly producer: string;
}

export interface Graph {
  readonly name: string;
  readonly source: GraphSource;
  /** Graph inputs fed at run time (initializers are not inputs). */
  readonly inputs: readonly ValueInfo[];
  /** Names of graph outputs, in order. */
  readonly outputs: readonly string[];
  /** Every tensor that flows in the graph, inputs and constants included. */
  readonly values: ReadonlyMap<string, ValueInfo>;
  /** Constant tensors (weights, biases, folded values). */
  readonly constants: ReadonlyMap<string, Tensor>;
  /** Nodes in a topological order. */
  readonly nodes: readonly Node[];
}

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

export function allocData(dtype: DType, n: number): TensorData {
  switch (dtype) {
    case 'float32':
      return new Float32Array(n);
    case 'int64':
      return new Float64Array(n);
    case 'int32':
      return new Int32Array(n);
    case 'int8':
      return new Int8Array(n);
    case 'uint8':
    case 'bool':
      return new Uint8Array(n);
  }
}

export function makeTensor(dtype: DType, shape: readonly number[], data?: TensorData): Tensor {
  const n = sizeOf(shape);
  const d = data ?? allocData(dtype, n);
  if (d.length !== n) throw new Error(`internal error: tensor data has ${d.length} elements, shape [${shape}] needs ${n}`);
  return { dtype, shape: [...shape], data: d };
}

export function formatShape(shape: readonly number[]): string {
  return shape.length === 0 ? 'scalar' : shape.join('x');
}
