/** What a lowerer sees of one ONNX node, and what it gives back. A lowerer turns one ONNX node into IR nodes,
 *  constants, or an alias (for ops that vanish), normalising every attribute (defaults, opset differences,
 *  negative axes, auto_pad) so the IR never needs ONNX rules again. */
import { userError } from '../errors.js';
import type { TypeShape } from '../ir/shapes.js';
import { sizeOf, type DType, type Node, type Tensor } from '../ir/types.js';
import type { Attributes } from './attributes.js';

export interface LowerContext {
  /** "node 'conv1' (Conv)", for error messages. */
  readonly where: string;
  /** IR node name to use (unique in the graph). */
  readonly name: string;
  readonly opset: number;
  readonly attrs: Attributes;
  /** ONNX input names; '' marks an omitted optional input. */
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  /** Whether optional input i is given. */
  has(i: number): boolean;
  /** Dtype and shape of input i (which must be given). */
  info(i: number): TypeShape;
  /** The value of input i if it is a constant (initializer or folded). */
  constantOrUndefined(i: number): Tensor | undefined;
  /** The value of input i, which must be a constant; `what` names it in the error. */
  constant(i: number, what: string): Tensor;
  /** Whether output k is read by any node or is a graph output (optional outputs such as Dropout's mask are
   *  accepted when nothing reads them). */
  outputUsed(k: number): boolean;
  /** A new tensor name, unique in the graph. */
  fresh(suffix: string): string;
  /** Throws E_ONNX_ATTRIBUTE before a tensor larger than the import limit (--max-tensor-bytes) is made. */
  checkSize(dtype: DType, shape: readonly number[], what: string): void;
}

/** What import materializes per tensor by default (docs/promises.md): 256 MiB, far above the weights of a network
 *  an FPGA holds, far below what a 156-byte model with a huge ConstantOfShape would make. */
export const DEFAULT_MAX_TENSOR_BYTES = 256 * 1024 * 1024;

/** Bytes a tensor of this dtype and shape takes in memory and in weights.bin. */
export function tensorBytes(dtype: DType, shape: readonly number[]): number {
  return sizeOf(shape) * (dtype === 'float32' || dtype === 'int32' ? 4 : dtype === 'int64' ? 8 : 1);
}

/** The import limit check, shared by lowerers and constant folding. */
export function checkTensorSize(where: string, limit: number, dtype: DType, shape: readonly number[], what: string): void {
  const bytes = tensorBytes(dtype, shape);
  if (!(bytes <= limit))
    throw userError('E_ONNX_ATTRIBUTE', `${where}: ${what} would be ${dtype} [${shape.join(', ')}] (${bytes.toExponential(3)} bytes), above the import limit of ${limit} bytes; raise it with --max-tensor-bytes if the model really needs it`);
}

export interface Lowered {
  /** IR nodes to add, in order. */
  readonly nodes?: readonly Node[];
  /** New constant tensors the nodes read. */
  readonly constants?: readonly (readonly [string, Tensor])[];
  /** Output i is exactly input `alias[i]` (Identity, Dropout, no-op casts). */
  readonly alias?: readonly string[];
  /** Output values computed at import (Shape, Constant, ConstantOfShape). */
  readonly values?: readonly Tensor[];
}

export type Lowerer = (ctx: LowerContext) => Lowered;

/** Normalises a possibly negative axis against a rank, with an error that names the node. */
export function normAxis(ctx: LowerContext, axis: number, rank: number, what = 'axis'): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!(a >= 0 && a < rank)) throw userError('E_ONNX_ATTRIBUTE', `${ctx.where}: ${what} ${axis} is outside a rank-${rank} tensor`);
  return a;
}

/** A constant input as a list of integers (shapes, axes, pads). */
export function intList(ctx: LowerContext, i: number, what: string): number[] {
  return Array.from(ctx.constant(i, what).data);
}

/** One IR node with the ONNX node's own inputs (omitted optional ones dropped) and outputs. */
export function single<N extends Node>(ctx: LowerContext, op: N['op'], attrs: N['attrs'], inputs?: readonly string[]): Lowered {
  const ins = (inputs ?? ctx.inputs).filter((n) => n !== '');
  // Every IR op has one output except Split; optional ONNX outputs (MaxPool indices, Dropout mask, BatchNorm
  // statistics) were checked to be unused by the lowerer.
  const outs = op === 'Split' ? [...ctx.outputs] : [ctx.outputs[0]!];
  return { nodes: [{ name: ctx.name, op, attrs, inputs: ins, outputs: outs } as unknown as Node] };
}
