/** Lowering of pooling and normalisation: MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool, LRN. */
import { userError } from '../errors.js';
import type { AveragePoolNode, GlobalPoolNode, LrnNode, MaxPoolNode } from '../ir/types.js';
import { single, type Lowerer } from './lower-context.js';
import { resolveWindow } from './lower-window.js';

const maxPool: Lowerer = (ctx) => {
  if (ctx.outputUsed(1)) throw userError('E_ONNX_ATTRIBUTE', `${ctx.where}: the Indices output of MaxPool is not supported`);
  const window = resolveWindow(ctx, ctx.attrs.ints('kernel_shape'));
  return single<MaxPoolNode>(ctx, 'MaxPool', { ...window, ceilMode: ctx.attrs.int('ceil_mode', 0) !== 0 });
};

const averagePool: Lowerer = (ctx) => {
  const window = resolveWindow(ctx, ctx.attrs.ints('kernel_shape'));
  return single<AveragePoolNode>(ctx, 'AveragePool', {
    ...window,
    ceilMode: ctx.attrs.int('ceil_mode', 0) !== 0,
    countIncludePad: ctx.attrs.int('count_include_pad', 0) !== 0,
  });
};

const globalPool = (op: GlobalPoolNode['op']): Lowerer => (ctx) => single<GlobalPoolNode>(ctx, op, {});

const lrn: Lowerer = (ctx) =>
  single<LrnNode>(ctx, 'LRN', {
    size: ctx.attrs.int('size'),
    alpha: ctx.attrs.float('alpha', 1e-4),
    beta: ctx.attrs.float('beta', 0.75),
    bias: ctx.attrs.float('bias', 1),
  });

export const poolLowerers: Record<string, Lowerer> = {
  MaxPool: maxPool,
  AveragePool: averagePool,
  GlobalAveragePool: globalPool('GlobalAveragePool'),
  GlobalMaxPool: globalPool('GlobalMaxPool'),
  LRN: lrn,
};
