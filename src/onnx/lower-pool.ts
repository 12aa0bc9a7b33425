/** Lowering of pooling and normalisation: MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool, LRN, ReduceMean. */
import { userError } from '../errors.js';
import type { AveragePoolNode, GlobalPoolNode, LrnNode, MaxPoolNode, ReduceMeanNode } from '../ir/types.js';
import { intList, normAxis, single, type Lowerer } from './lower-context.js';
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

/** ReduceMean (axes from the attribute before opset 18, from the optional second input from 18 on). A mean over every
 *  spatial axis of an NCHW tensor is a GlobalAveragePool (followed by a Reshape when the axes are dropped), so it
 *  takes the pooling path everywhere later (ShuffleNet's and Keras exports' global pooling). */
const reduceMean: Lowerer = (ctx) => {
  const rank = ctx.info(0).shape.length;
  const given = ctx.opset >= 18 ? (ctx.has(1) ? intList(ctx, 1, 'axes') : undefined) : ctx.attrs.has('axes') ? ctx.attrs.ints('axes') : undefined;
  const noop = ctx.opset >= 18 && ctx.attrs.int('noop_with_empty_axes', 0) !== 0;
  if ((given === undefined || given.length === 0) && noop) return { alias: [ctx.inputs[0]!] };
  const axes = [...new Set((given && given.length > 0 ? given : Array.from({ length: rank }, (_, i) => i)).map((a) => normAxis(ctx, a, rank)))].sort((a, b) => a - b);
  const keepdims = ctx.attrs.int('keepdims', 1) !== 0;
  const spatial = rank >= 3 && axes.length === rank - 2 && axes.every((a, i) => a === i + 2);
  if (!spatial) return single<ReduceMeanNode>(ctx, 'ReduceMean', { axes, keepdims });
  const x = ctx.info(0).shape;
  if (keepdims) return single<GlobalPoolNode>(ctx, 'GlobalAveragePool', {}, [ctx.inputs[0]!]);
  const pooled = ctx.fresh('pooled');
  return {
    nodes: [
      { name: ctx.name, op: 'GlobalAveragePool', attrs: {}, inputs: [ctx.inputs[0]!], outputs: [pooled] },
      { name: `${ctx.name}.squeeze`, op: 'Reshape', attrs: { shape: x.slice(0, 2) }, inputs: [pooled], outputs: [ctx.outputs[0]!] },
    ],
  };
};

export const poolLowerers: Record<string, Lowerer> = {
  MaxPool: maxPool,
  AveragePool: averagePool,
  GlobalAveragePool: globalPool('GlobalAveragePool'),
  GlobalMaxPool: globalPool('GlobalMaxPool'),
  LRN: lrn,
  ReduceMean: reduceMean,
};
