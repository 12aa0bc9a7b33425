/** Lowering of the QONNX quantizers (`Quant`, `BipolarQuant`, `Trunc`) and FINN's `MultiThreshold`, in the domains
 *  QONNX models use (qonnx.custom_op.general, onnx.brevitas, finn.custom_op.general), to IR nodes of the same
 *  semantics (src/golden/qonnx.ts; docs/qonnx.md). Scales, zero points, bit widths and thresholds must be constants:
 *  they are what the quantizer keeps. */
import { userError } from '../errors.js';
import type { BipolarQuantNode, MultiThresholdNode, QonnxRounding, QuantNode, TruncNode } from '../ir/types.js';
import { makeTensor, sizeOf } from '../ir/types.js';
import { single, type LowerContext, type Lowerer } from './lower-context.js';

/** The domains of QONNX and FINN custom ops (Brevitas exports to onnx.brevitas). */
export const QONNX_DOMAINS: readonly string[] = ['qonnx.custom_op.general', 'onnx.brevitas', 'finn.custom_op.general'];

const ROUNDING: readonly QonnxRounding[] = ['ROUND', 'CEIL', 'FLOOR', 'ROUND_TO_ZERO', 'HALF_UP', 'HALF_DOWN', 'UP'];

function rounding(ctx: LowerContext, fallback: string): QonnxRounding {
  const mode = ctx.attrs.string('rounding_mode', fallback).toUpperCase();
  const m = mode === 'DOWN' ? 'ROUND_TO_ZERO' : mode;
  if (!ROUNDING.includes(m as QonnxRounding)) ctx.attrs.unsupported('rounding_mode', mode, `one of ${ROUNDING.join(', ')}, DOWN`);
  return m as QonnxRounding;
}

/** A scalar integer bit width from constant input i (QONNX stores it as a float tensor). */
function bitWidth(ctx: LowerContext, i: number, what: string): number {
  const t = ctx.constant(i, what);
  if (sizeOf(t.shape) !== 1) throw userError('E_ONNX_ATTRIBUTE', `${ctx.where}: ${what} must be one number (per-channel bit widths are not supported), got shape [${t.shape}]`);
  const b = t.data[0]!;
  if (!(Number.isInteger(b) && b >= 1 && b <= 32)) throw userError('E_ONNX_ATTRIBUTE', `${ctx.where}: ${what} ${b} must be an integer from 1 to 32`);
  return b;
}

/** A float32 parameter (scale, zero point) as a constant input, kept as a node input. */
function param(ctx: LowerContext, i: number, what: string): string {
  const t = ctx.constant(i, what);
  if (t.dtype !== 'float32') throw userError('E_ONNX_ATTRIBUTE', `${ctx.where}: ${what} must be float32, got ${t.dtype}`);
  return ctx.inputs[i]!;
}

const quant: Lowerer = (ctx) => {
  const attrs = { bits: bitWidth(ctx, 3, 'bit width'), signed: ctx.attrs.int('signed', 1) !== 0, narrow: ctx.attrs.int('narrow', 0) !== 0, rounding: rounding(ctx, 'ROUND') };
  return single<QuantNode>(ctx, 'Quant', attrs, [ctx.inputs[0]!, param(ctx, 1, 'scale'), param(ctx, 2, 'zero point')]);
};

const bipolarQuant: Lowerer = (ctx) => single<BipolarQuantNode>(ctx, 'BipolarQuant', {}, [ctx.inputs[0]!, param(ctx, 1, 'scale')]);

/** Trunc version 1 has inputs (x, scale, zeropt, in_bitwidth, out_bitwidth); version 2 (x, scale, zeropt,
 *  in_bitwidth, out_scale, out_zeropt, out_bitwidth), where out_zeropt is not read (qonnx derives it). */
const trunc: Lowerer = (ctx) => {
  const v2 = ctx.inputs.length >= 7;
  const attrs = {
    version: v2 ? (2 as const) : (1 as const),
    inputBits: bitWidth(ctx, 3, 'input bit width'),
    outputBits: bitWidth(ctx, v2 ? 6 : 4, 'output bit width'),
    signed: ctx.attrs.int('signed', 1) !== 0,
    narrow: ctx.attrs.int('narrow', 0) !== 0,
    rounding: rounding(ctx, 'FLOOR'),
  };
  const ins = [ctx.inputs[0]!, param(ctx, 1, 'scale'), param(ctx, 2, 'zero point'), ...(v2 ? [param(ctx, 4, 'output scale')] : [])];
  return single<TruncNode>(ctx, 'Trunc', attrs, ins);
};

/** The channel axis as qonnx reads it: 1 for NCHW (and every 2-D input), 3 for a 4-D NHWC input, the last axis for
 *  any other rank. */
const multiThreshold: Lowerer = (ctx) => {
  const rank = ctx.info(0).shape.length;
  const layout = ctx.attrs.string('data_layout', 'NCHW');
  if (layout !== 'NCHW' && layout !== 'NHWC') ctx.attrs.unsupported('data_layout', layout, 'NCHW or NHWC');
  const axis = rank === 2 ? 1 : rank === 4 ? (layout === 'NHWC' ? 3 : 1) : rank - 1;
  const t = ctx.constant(1, 'thresholds');
  if (t.shape.length !== 2) throw userError('E_SHAPE', `${ctx.where}: thresholds must be [C, L], got shape [${t.shape}]`);
  const name = ctx.fresh('thresholds');
  const values = t.dtype === 'float32' ? t : makeTensor('float32', t.shape, Float32Array.from(t.data));
  const attrs = { axis, outScale: ctx.attrs.float('out_scale', 1), outBias: ctx.attrs.float('out_bias', 0) };
  return { ...single<MultiThresholdNode>(ctx, 'MultiThreshold', attrs, [ctx.inputs[0]!, name]), constants: [[name, values]] };
};

export const qonnxLowerers: Record<string, Lowerer> = {
  Quant: quant,
  IntQuant: quant,
  BipolarQuant: bipolarQuant,
  Trunc: trunc,
  MultiThreshold: multiThreshold,
};
