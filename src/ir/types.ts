/** The typed IR: plain data, one discriminated union of node kinds keyed by `op`.
 *  Every tensor has a dtype and a fully static shape. Attributes are normalised at import (defaults filled in,
 *  auto_pad resolved to explicit pads, negative axes made positive), so later stages never consult ONNX rules.
 *  The language-neutral contract is `ir/schema.json` and `ir/README.md`; this file implements it. */

import type { FixedFormat, FloatFormat } from './numformats.js';

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
  /** On integer tensors: what their codes mean. On float tensors of a QDQ model: the quantization the model asks
   *  for (set by absorb-qdq, used by quantize instead of calibration). */
  readonly quant?: CodeQuant;
  /** On float weight constants of a QDQ model: per-axis quantization (one entry per index along `axis`). */
  readonly axisQuant?: { readonly axis: number; readonly params: readonly CodeQuant[] };
  /** On the graph input of a word-length-tuned graph: the number format its values are cast to on entry
   *  (ir/arithmetic.md section 6). */
  readonly format?: NumFormat;
}

/** A fixed-point or custom floating-point number format (src/ir/numformats.ts, ir/arithmetic.md sections 4-5). */
export type NumFormat = FixedFormat | FloatFormat;

/** Formats of a word-length-tuned Conv/Gemm (made by `adequate wordlength`; ir/arithmetic.md section 6). The weight
 *  and bias tensors stay float32, holding values exactly representable in `weight` and `bias`; `accumulator` is the
 *  running sum's format, `activation` the output's. */
export interface LayerFormats {
  readonly weight: NumFormat;
  readonly bias: NumFormat;
  readonly accumulator: NumFormat;
  readonly activation: NumFormat;
}

/** The meaning of a tensor of integer codes (one per tensor: activations are quantized per tensor):
 *  real = scale * (code - zeroPoint), codes in [qmin, qmax] of `bits`-bit `scheme` codes (see ir/arithmetic.md). */
export interface CodeQuant {
  readonly scale: number;
  readonly zeroPoint: number;
  readonly bits: number;
  readonly scheme: 'unsigned' | 'signed';
  readonly qmin: number;
  readonly qmax: number;
}

/** Quantization of a tensor, as imported from QDQ pairs or set by the quantizer: real = scale * (code - zeroPoint).
 *  Per-tensor when `axis` is absent, else one scale/zero point per index along `axis`. */
export interface QuantParams {
  readonly scale: readonly number[];
  readonly zeroPoint: readonly number[];
  readonly axis?: number;
  /** Code type; int32 on DequantizeLinear of biases (as QDQ models store them) and for codes wider than 8 bits. */
  readonly dtype: 'int8' | 'uint8' | 'int32';
  /** Code range when narrower than the dtype's (quantizer-made graphs with 2 to 16-bit codes). */
  readonly qmin?: number;
  readonly qmax?: number;
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

/** Weight sharing of a Conv/Gemm/QConv/QGemm (made by `adequate share`; docs/sharing.md). The weight tensor still
 *  holds the decoded weights (floats, or codes on quantized layers), so every kernel runs unchanged; hardware stores
 *  an index of `indexBits` bits per weight plus the codebooks. Codebook g belongs to weight group g: one group per
 *  layer (`network`: the same codebook on every shared layer, stored once; `layer`), per output channel (`channel`),
 *  or per (output channel, input channel) kernel (`kernel`; on Gemm a kernel is an output row, as `channel`).
 *  With `pruned` (the fraction of the layer's weights pruned to zero), entry 0 of every codebook is the zero (0, or
 *  the zero-point code). src/ir/sharing.ts checks that every weight is in its group's codebook. */
export type SharingGranularity = 'network' | 'layer' | 'channel' | 'kernel';
export interface WeightSharing {
  readonly granularity: SharingGranularity;
  readonly indexBits: number;
  readonly codebooks: readonly (readonly number[])[];
  readonly pruned?: number;
}

export interface ConvNode extends NodeBase {
  readonly op: 'Conv';
  readonly attrs: WindowAttrs & { readonly group: number; readonly sharing?: WeightSharing; readonly formats?: LayerFormats; readonly reductionLanes?: number };
}
export interface GemmNode extends NodeBase {
  readonly op: 'Gemm';
  readonly attrs: { readonly alpha: number; readonly beta: number; readonly transA: boolean; readonly transB: boolean; readonly sharing?: WeightSharing; readonly formats?: LayerFormats; readonly reductionLanes?: number };
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
/** Unary elementwise activations; `alpha`/`beta` carry LeakyRelu's slope, HardSigmoid's line, Elu's alpha and Selu's
 *  alpha and scale (`gamma`), `min`/`max` Clip's
 *  bounds (resolved from attributes or constant inputs at import). Unused fields are absent. */
export type UnaryOp = 'Relu' | 'LeakyRelu' | 'Clip' | 'Sigmoid' | 'Tanh' | 'HardSigmoid' | 'HardSwish' | 'Selu' | 'Elu';
export interface UnaryNode extends NodeBase {
  readonly op: UnaryOp;
  readonly attrs: { readonly alpha?: number; readonly beta?: number; readonly gamma?: number; readonly min?: number; readonly max?: number };
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
/** Mean over `axes` (sorted, non-negative); kept dimensions become 1 with `keepdims`, else they are removed. A mean
 *  over every spatial axis of an NCHW tensor is imported as GlobalAveragePool instead. */
export interface ReduceMeanNode extends NodeBase {
  readonly op: 'ReduceMean';
  readonly attrs: { readonly axes: readonly number[]; readonly keepdims: boolean };
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

/** Rounding of the QONNX quantizers (`rounding_mode`): ROUND is round half to even (NumPy's `round`), HALF_UP ties
 *  away from zero, HALF_DOWN ties toward zero, ROUND_TO_ZERO (= DOWN) truncates, UP rounds away from zero. */
export type QonnxRounding = 'ROUND' | 'CEIL' | 'FLOOR' | 'ROUND_TO_ZERO' | 'HALF_UP' | 'HALF_DOWN' | 'UP';

/** QONNX `Quant` (domains qonnx.custom_op.general, onnx.brevitas, finn.custom_op.general; docs/qonnx.md), inputs x,
 *  scale, zeroPoint (float constants broadcasting against x):
 *  q = clamp(rounding(x / scale + zeroPoint), qmin, qmax), y = (q - zeroPoint) * scale, every step in float32;
 *  qmin/qmax from `bits`, `signed`, `narrow`. A signed 1-bit Quant is bipolar: q = x / scale + zeroPoint >= 0 ? 1 : -1. */
export interface QuantNode extends NodeBase {
  readonly op: 'Quant';
  readonly attrs: { readonly bits: number; readonly signed: boolean; readonly narrow: boolean; readonly rounding: QonnxRounding };
}
/** QONNX `BipolarQuant`, inputs x, scale: y = (x >= 0 ? 1 : -1) * scale. */
export interface BipolarQuantNode extends NodeBase {
  readonly op: 'BipolarQuant';
  readonly attrs: Record<string, never>;
}
/** QONNX `Trunc`, inputs x, scale, zeroPoint, and (version 2) outScale:
 *  v = round_half_even(x / scale + zeroPoint) / 2^t, t = inputBits - outputBits (version 1) or
 *  round(log2(outScale / scale)) (version 2); version 2 clamps v to the outputBits range (signed, narrow); then
 *  y = (rounding(v) - zeroPoint') * s' with zeroPoint' = zeroPoint, s' = scale (version 1) or
 *  zeroPoint' = zeroPoint / 2^t, s' = outScale (version 2). */
export interface TruncNode extends NodeBase {
  readonly op: 'Trunc';
  readonly attrs: {
    readonly version: 1 | 2;
    readonly inputBits: number;
    readonly outputBits: number;
    readonly signed: boolean;
    readonly narrow: boolean;
    readonly rounding: QonnxRounding;
  };
}
/** FINN `MultiThreshold`, inputs x, thresholds [C or 1, L] (constant): y = outScale * #{i : x >= T[c, i]} + outBias
 *  with c the index along `axis` (1 for NCHW, the last axis for NHWC). */
export interface MultiThresholdNode extends NodeBase {
  readonly op: 'MultiThreshold';
  readonly attrs: { readonly axis: number; readonly outScale: number; readonly outBias: number };
}

/** What every quantized multiply-accumulate layer (QConv, QGemm) carries; see ir/arithmetic.md.
 *  acc[m] = bias[m] + sum_k P(a_k, w_mk) - wZeroPoint[m] * sum_k a_k - aZeroPoint * sum_k w_mk + K * aZeroPoint * wZeroPoint[m]
 *  where P is exact multiplication, or the 8x8 multiplier `multiplier` (library id) on the raw codes; then
 *  out = clamp(outZeroPoint + round(acc * mantissa[m] / 2^(31 + shift[m])), lo, hi). Padding positions hold the
 *  activation code aZeroPoint and go through P like any other. */
export interface QLinearAttrs {
  readonly aZeroPoint: number;
  /** Per output channel (one entry = per tensor). */
  readonly wZeroPoint: readonly number[];
  readonly mantissa: readonly number[];
  readonly shift: readonly number[];
  readonly rounding: 'half-away' | 'half-even';
  readonly outZeroPoint: number;
  readonly lo: number;
  readonly hi: number;
  /** Bits of the accumulator register: holds acc (bias included) for every possible input. */
  readonly accBits: number;
  /** Bits of the weight codes (storage counts this many bits per weight, whatever the array type). */
  readonly wBits: number;
  /** Scales, for reports and for re-deriving the requantization: activation, per-channel weight, output. */
  readonly aScale: number;
  readonly wScale: readonly number[];
  readonly outScale: number;
  /** Id of the 8x8 multiplier in the multiplier library; absent = exact. */
  readonly multiplier?: string;
  /** Compute tile of the accelerator that runs this layer (approximate binding); absent = tile 0 for exact layers,
   *  otherwise one tile per distinct multiplier. Layers on one tile share its MAC array. */
  readonly tile?: number;
  readonly outType: CodeDType;
  /** Weight sharing; the codebooks hold weight codes. */
  readonly sharing?: WeightSharing;
}

/** Storage type of a code tensor: 8-bit codes in uint8/int8, wider ones (up to 16 bits) in int32. */
export type CodeDType = 'uint8' | 'int8' | 'int32';

export function codeDType(q: Pick<CodeQuant, 'bits' | 'scheme'>): CodeDType {
  return q.bits > 8 ? 'int32' : q.scheme === 'unsigned' ? 'uint8' : 'int8';
}

/** Integer convolution: inputs x (codes), w (codes, [M, C/group, k...]), bias (int32, [M]). */
export interface QConvNode extends NodeBase {
  readonly op: 'QConv';
  readonly attrs: WindowAttrs & { readonly group: number } & QLinearAttrs;
}
/** Integer fully connected layer: inputs x (codes, [B, K]), w (codes, [N, K]), bias (int32, [N]). */
export interface QGemmNode extends NodeBase {
  readonly op: 'QGemm';
  readonly attrs: QLinearAttrs;
}
/** Sum of rescaled code tensors (Add, Sub, Sum, Mul by a constant, and rescaling to another scale):
 *  out = clamp(outZeroPoint + round((sum_i (x_i - zeroPoints[i]) * multipliers[i]) / 2^shift), lo, hi), inputs
 *  broadcast like Add. multipliers[i] = round(s_i / s_out * 2^shift), signed. */
export interface QSumNode extends NodeBase {
  readonly op: 'QSum';
  readonly attrs: {
    readonly zeroPoints: readonly number[];
    readonly multipliers: readonly number[];
    readonly shift: number;
    readonly rounding: 'half-away' | 'half-even';
    readonly outZeroPoint: number;
    readonly lo: number;
    readonly hi: number;
    readonly outType: CodeDType;
  };
}
/** A lookup table over input codes (activations in the middle of a network): out = table[x - inMin]. */
export interface QTableNode extends NodeBase {
  readonly op: 'QTable';
  readonly attrs: { readonly inMin: number; readonly table: readonly number[]; readonly outType: CodeDType };
}
/** Elementwise product of two code tensors (squeeze-excitation's gate, Mul of two activations), inputs broadcast
 *  like Mul: out = clamp(outZeroPoint + round((a - zeroPoints[0]) * (b - zeroPoints[1]) * mantissa / 2^(31 + shift)),
 *  lo, hi), the requantization of QConv/QGemm (ir/arithmetic.md section 3) with M = sa * sb / so. */
export interface QMulNode extends NodeBase {
  readonly op: 'QMul';
  readonly attrs: {
    readonly zeroPoints: readonly [number, number];
    readonly mantissa: number;
    readonly shift: number;
    readonly rounding: 'half-away' | 'half-even';
    readonly outZeroPoint: number;
    readonly lo: number;
    readonly hi: number;
    readonly outType: CodeDType;
  };
}
/** Local response normalisation on codes (ir/arithmetic.md): S = sum over the channel window of (x - zeroPoint)^2
 *  (channels c - floor((size-1)/2) .. c + ceil((size-1)/2), clipped), then
 *  out = clamp(outZeroPoint + round((x - zeroPoint) * table[lrnIndex(S, octaveBits)] / 2^shift), lo, hi):
 *  S's bucket index is S itself below 2^(octaveBits+1), then 2^octaveBits buckets per octave (a floating-point
 *  index); the table holds the fixed-point factor sa/so * (bias + alpha/size * sa^2 * S)^-beta at each bucket's
 *  middle. */
export interface QLrnNode extends NodeBase {
  readonly op: 'QLrn';
  readonly attrs: {
    readonly size: number;
    readonly zeroPoint: number;
    readonly octaveBits: number;
    readonly table: readonly number[];
    readonly shift: number;
    readonly rounding: 'half-away' | 'half-even';
    readonly outZeroPoint: number;
    readonly lo: number;
    readonly hi: number;
    readonly outType: CodeDType;
  };
}
/** Average pooling on codes (input and output share scale and zero point):
 *  out = zeroPoint + round(sum (x - zeroPoint) / count), count as in AveragePool. GlobalAveragePool becomes one with
 *  a window over the whole spatial extent. */
export interface QAveragePoolNode extends NodeBase {
  readonly op: 'QAveragePool';
  readonly attrs: WindowAttrs & { readonly ceilMode: boolean; readonly countIncludePad: boolean; readonly zeroPoint: number; readonly rounding: 'half-away' | 'half-even' };
}

/** Integer threshold activation (made by `adequate quantize` from a layer followed by a QONNX Quant, BipolarQuant or
 *  MultiThreshold; ir/arithmetic.md section 3c). Inputs: x (integer codes, typically a layer's raw accumulator),
 *  thresholds (int32 [C or 1, L], each row ascending). With c the index along `axis` and d = direction[c] (one entry =
 *  every channel): out = outBase + outStep * #{i : d * x >= thresholds[c, i]}. */
export interface QThresholdNode extends NodeBase {
  readonly op: 'QThreshold';
  readonly attrs: {
    readonly axis: number;
    readonly direction: readonly (1 | -1)[];
    readonly outBase: number;
    readonly outStep: number;
    readonly outType: CodeDType;
  };
}

export type Node =
  | QConvNode
  | QGemmNode
  | QSumNode
  | QTableNode
  | QAveragePoolNode
  | QThresholdNode
  | QMulNode
  | QLrnNode
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
  | ReduceMeanNode
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
  | CastNode
  | QuantNode
  | BipolarQuantNode
  | TruncNode
  | MultiThresholdNode;

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
