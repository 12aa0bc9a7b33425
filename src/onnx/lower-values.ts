/** Lowering of ops that vanish or fold at import (Identity, Dropout, Shape, Constant, ConstantOfShape, Cast) and of
 *  the QDQ pair, kept as quantization annotations (QuantizeLinear / DequantizeLinear nodes with constant params). */
import { userError } from '../errors.js';
import { makeTensor, sizeOf, type QuantParams, type Tensor } from '../ir/types.js';
import type { CastNode, DequantizeLinearNode, QuantizeLinearNode } from '../ir/types.js';
import { normAxis, single, type LowerContext, type Lowerer } from './lower-context.js';
import { dtypeOfOnnx } from './tensor.js';

const identity: Lowerer = (ctx) => ({ alias: [ctx.inputs[0]!] });

const dropout: Lowerer = (ctx) => {
  if (ctx.outputUsed(1)) throw userError('E_ONNX_ATTRIBUTE', `${ctx.where}: the mask output of Dropout is not supported (inference only)`);
  if (ctx.has(2) && ctx.constant(2, 'training_mode').data[0]) ctx.attrs.unsupported('training_mode', true, 'inference only');
  return { alias: [ctx.inputs[0]!] };
};

const shape: Lowerer = (ctx) => {
  const s = ctx.info(0).shape;
  const r = s.length;
  const norm = (v: number) => Math.min(r, Math.max(0, v < 0 ? v + r : v));
  const part = s.slice(norm(ctx.attrs.int('start', 0)), norm(ctx.attrs.int('end', r)));
  return { values: [makeTensor('int64', [part.length], Float64Array.from(part))] };
};

const constant: Lowerer = (ctx) => {
  const a = ctx.attrs;
  const t = a.tensor('value');
  if (t) return { values: [t] };
  if (a.has('value_float')) return { values: [makeTensor('float32', [], Float32Array.of(a.float('value_float')))] };
  if (a.has('value_floats')) return { values: [makeTensor('float32', [a.floats('value_floats').length], Float32Array.from(a.floats('value_floats')))] };
  if (a.has('value_int')) return { values: [makeTensor('int64', [], Float64Array.of(a.int('value_int')))] };
  if (a.has('value_ints')) return { values: [makeTensor('int64', [a.ints('value_ints').length], Float64Array.from(a.ints('value_ints')))] };
  throw userError('E_ONNX_ATTRIBUTE', `${ctx.where}: only tensor, float(s) and int(s) constants are supported (no sparse or string values)`);
};

const constantOfShape: Lowerer = (ctx) => {
  const dims = Array.from(ctx.constant(0, 'shape').data);
  const fill = ctx.attrs.tensor('value') ?? makeTensor('float32', [1], Float32Array.of(0));
  if (dims.some((d) => !(Number.isInteger(d) && d >= 0))) throw userError('E_ONNX_ATTRIBUTE', `${ctx.where}: shape [${dims.join(', ')}] has a dimension that is not a non-negative integer`);
  ctx.checkSize(fill.dtype, dims, 'the constant');
  const out = makeTensor(fill.dtype, dims);
  out.data.fill(fill.data[0] ?? 0);
  return { values: [out] };
};

const cast: Lowerer = (ctx) => {
  const to = dtypeOfOnnx(ctx.attrs.int('to'), ctx.where);
  if (to === ctx.info(0).dtype) return { alias: [ctx.inputs[0]!] };
  return single<CastNode>(ctx, 'Cast', { to });
};

/** Scale and zero point (constants) of a QDQ node as QuantParams; 1-D non-scalar scales are per axis. */
function quantParams(ctx: LowerContext, codeType: 'int8' | 'uint8' | 'int32'): QuantParams {
  const scale = ctx.constant(1, 'scale');
  const zp: Tensor | undefined = ctx.has(2) ? ctx.constant(2, 'zero_point') : undefined;
  if (ctx.attrs.int('block_size', 0) !== 0) ctx.attrs.unsupported('block_size', ctx.attrs.int('block_size'), 'per-tensor or per-axis quantization');
  const perAxis = scale.shape.length === 1 && scale.shape[0]! > 1;
  const zeroPoint = zp ? Array.from(zp.data) : Array<number>(sizeOf(scale.shape)).fill(0);
  if (zeroPoint.length !== sizeOf(scale.shape)) throw userError('E_SHAPE', `${ctx.where}: zero point shape [${zp?.shape}] differs from scale shape [${scale.shape}]`);
  const base = { scale: Array.from(scale.data), zeroPoint, dtype: codeType };
  if (!perAxis) return base;
  const x = ctx.info(0).shape;
  const axis = normAxis(ctx, ctx.attrs.int('axis', 1), x.length);
  if (x[axis] !== scale.shape[0]) throw userError('E_SHAPE', `${ctx.where}: ${scale.shape[0]} scales for axis ${axis} of size ${x[axis]}`);
  return { ...base, axis };
}

function codeTypeOf(ctx: LowerContext, dtype: string): 'int8' | 'uint8' | 'int32' {
  if (dtype === 'int8' || dtype === 'uint8' || dtype === 'int32') return dtype;
  throw userError('E_ONNX_ATTRIBUTE', `${ctx.where}: ${dtype} codes are not supported (8-bit codes, or int32 for biases)`);
}

const quantizeLinear: Lowerer = (ctx) => {
  const codeType = ctx.has(2) ? codeTypeOf(ctx, ctx.info(2).dtype) : 'uint8';
  if (codeType === 'int32') throw userError('E_ONNX_ATTRIBUTE', `${ctx.where}: QuantizeLinear to int32 is not supported (8-bit codes)`);
  return single<QuantizeLinearNode>(ctx, 'QuantizeLinear', { quant: quantParams(ctx, codeType) }, [ctx.inputs[0]!]);
};

const dequantizeLinear: Lowerer = (ctx) =>
  single<DequantizeLinearNode>(ctx, 'DequantizeLinear', { quant: quantParams(ctx, codeTypeOf(ctx, ctx.info(0).dtype)) }, [ctx.inputs[0]!]);

/** Pow on constants only (exporters compute BatchNorm's sqrt(var) with it): folded at import in float32. */
const pow: Lowerer = (ctx) => {
  const [a, b] = [ctx.constantOrUndefined(0), ctx.constantOrUndefined(1)];
  if (!a || !b || a.dtype !== 'float32' || sizeOf(b.shape) !== 1)
    throw userError('E_ONNX_UNSUPPORTED_OP', `${ctx.where}: Pow is supported only on float constants with a scalar exponent (folded at import); see docs/ops.md`);
  const e = b.data[0]!;
  return { values: [makeTensor('float32', a.shape, a.data.map((v) => Math.pow(v, e)))] };
};

/** Ops the importer folds on constant inputs only (not in SUPPORTED_OPS: on run-time inputs they are unsupported). */
export const constantOnlyLowerers: Record<string, Lowerer> = { Pow: pow };

export const valueLowerers: Record<string, Lowerer> = {
  Identity: identity,
  Dropout: dropout,
  Shape: shape,
  Constant: constant,
  ConstantOfShape: constantOfShape,
  Cast: cast,
  QuantizeLinear: quantizeLinear,
  DequantizeLinear: dequantizeLinear,
};
