/** Lowering of the compute layers: Conv, Gemm, MatMul, and BatchNormalization (to a per-channel affine op, which
 *  the fold-batchnorm pass merges into a preceding Conv/Gemm). */
import { userError } from '../errors.js';
import { makeTensor } from '../ir/types.js';
import type { ChannelAffineNode, ConvNode, GemmNode, MatMulNode } from '../ir/types.js';
import { single, type Lowerer } from './lower-context.js';
import { resolveWindow } from './lower-window.js';

const conv: Lowerer = (ctx) => {
  const w = ctx.info(1).shape;
  const kernel = ctx.attrs.ints('kernel_shape', w.slice(2));
  const group = ctx.attrs.int('group', 1);
  if (group < 1) ctx.attrs.unsupported('group', group, 'a positive group count');
  return single<ConvNode>(ctx, 'Conv', { ...resolveWindow(ctx, kernel), group });
};

const gemm: Lowerer = (ctx) =>
  single<GemmNode>(ctx, 'Gemm', {
    alpha: ctx.attrs.float('alpha', 1),
    beta: ctx.attrs.float('beta', 1),
    transA: ctx.attrs.int('transA', 0) !== 0,
    transB: ctx.attrs.int('transB', 0) !== 0,
  });

const matmul: Lowerer = (ctx) => single<MatMulNode>(ctx, 'MatMul', {});

/** y = (x - mean) / sqrt(var + eps) * scale + B  ==  x * s + t with s = scale / sqrt(var + eps), t = B - mean * s. */
const batchNorm: Lowerer = (ctx) => {
  if (ctx.attrs.int('training_mode', 0) !== 0) ctx.attrs.unsupported('training_mode', 1, 'inference mode only (0)');
  if (ctx.attrs.int('spatial', 1) !== 1) ctx.attrs.unsupported('spatial', 0, 'spatial=1 only');
  if ([1, 2, 3, 4].some((k) => ctx.outputUsed(k)))
    throw userError('E_ONNX_ATTRIBUTE', `${ctx.where}: the running mean/variance outputs (training) are not supported; export the model in eval mode`);
  const eps = ctx.attrs.float('epsilon', 1e-5);
  const [scale, bias, mean, variance] = [1, 2, 3, 4].map((i) => ctx.constant(i, ['scale', 'B', 'mean', 'var'][i - 1]!));
  const C = ctx.info(0).shape[1] ?? 0;
  for (const t of [scale!, bias!, mean!, variance!])
    if (t.data.length !== C) throw userError('E_SHAPE', `${ctx.where}: parameters need ${C} values (one per channel), got shape [${t.shape}]`);
  const s = makeTensor('float32', [C]), t = makeTensor('float32', [C]);
  for (let c = 0; c < C; c++) {
    const k = scale!.data[c]! / Math.sqrt(variance!.data[c]! + eps);
    s.data[c] = k;
    t.data[c] = bias!.data[c]! - mean!.data[c]! * k;
  }
  const [sName, tName] = [ctx.fresh('bn_scale'), ctx.fresh('bn_shift')];
  return {
    ...single<ChannelAffineNode>(ctx, 'ChannelAffine', {}, [ctx.inputs[0]!, sName, tName]),
    constants: [[sName, s], [tName, t]],
  };
};

export const computeLowerers: Record<string, Lowerer> = {
  Conv: conv,
  Gemm: gemm,
  MatMul: matmul,
  BatchNormalization: batchNorm,
};
