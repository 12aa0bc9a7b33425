/** Lowering of elementwise ops and activations: binary and variadic arithmetic, Relu/LeakyRelu/Clip/Sigmoid/Tanh/
 *  HardSigmoid/HardSwish/Elu/Selu, Softmax and LogSoftmax. */
import { userError } from '../errors.js';
import type { BinaryNode, BinaryOp, SoftmaxNode, UnaryNode, UnaryOp, VariadicNode, VariadicOp } from '../ir/types.js';
import { normAxis, single, type LowerContext, type Lowerer } from './lower-context.js';

/** Opset < 7 binary ops broadcast only with broadcast=1 and an axis; numpy rules apply from opset 7. */
function checkLegacyBroadcast(ctx: LowerContext): void {
  if (ctx.opset < 7 && ctx.attrs.int('broadcast', 0) === 1 && ctx.attrs.has('axis'))
    ctx.attrs.unsupported('axis', ctx.attrs.int('axis'), 'opset < 7 axis broadcasting is not supported; upgrade the model to opset 7+');
}

const binary = (op: BinaryOp): Lowerer => (ctx) => {
  checkLegacyBroadcast(ctx);
  return single<BinaryNode>(ctx, op, {});
};

const variadic = (op: VariadicOp): Lowerer => (ctx) => single<VariadicNode>(ctx, op, {});

const unary = (op: UnaryOp, attrs: (ctx: LowerContext) => UnaryNode['attrs'] = () => ({})): Lowerer => (ctx) =>
  single<UnaryNode>(ctx, op, attrs(ctx), [ctx.inputs[0]!]);

/** Clip bounds: attributes before opset 11, optional constant inputs from 11 on. */
function clipBounds(ctx: LowerContext): UnaryNode['attrs'] {
  if (ctx.opset < 11) return { min: ctx.attrs.float('min', -Infinity), max: ctx.attrs.float('max', Infinity) };
  const bound = (i: number, fallback: number) => {
    if (!ctx.has(i)) return fallback;
    const t = ctx.constant(i, i === 1 ? 'min' : 'max');
    if (t.data.length !== 1) throw userError('E_SHAPE', `${ctx.where}: Clip bound must be a scalar, got shape [${t.shape}]`);
    return t.data[0]!;
  };
  return { min: bound(1, -Infinity), max: bound(2, Infinity) };
}

const softmax = (op: 'Softmax' | 'LogSoftmax'): Lowerer => (ctx) => {
  const rank = ctx.info(0).shape.length;
  const coerce2d = ctx.opset < 13;
  const axis = normAxis(ctx, ctx.attrs.int('axis', coerce2d ? 1 : -1), Math.max(rank, 1));
  return single<SoftmaxNode>(ctx, op, { axis, coerce2d });
};

export const elementwiseLowerers: Record<string, Lowerer> = {
  Add: binary('Add'),
  Sub: binary('Sub'),
  Mul: binary('Mul'),
  Div: binary('Div'),
  Sum: variadic('Sum'),
  Max: variadic('Max'),
  Min: variadic('Min'),
  Relu: unary('Relu'),
  LeakyRelu: unary('LeakyRelu', (ctx) => ({ alpha: ctx.attrs.float('alpha', 0.01) })),
  Clip: (ctx) => single<UnaryNode>(ctx, 'Clip', clipBounds(ctx), [ctx.inputs[0]!]),
  Sigmoid: unary('Sigmoid'),
  Tanh: unary('Tanh'),
  HardSigmoid: unary('HardSigmoid', (ctx) => ({ alpha: ctx.attrs.float('alpha', 0.2), beta: ctx.attrs.float('beta', 0.5) })),
  HardSwish: unary('HardSwish'),
  Elu: unary('Elu', (ctx) => ({ alpha: ctx.attrs.float('alpha', 1) })),
  Selu: unary('Selu', (ctx) => ({ alpha: ctx.attrs.float('alpha', 1.67326319217681884765625), gamma: ctx.attrs.float('gamma', 1.05070102214813232421875) })),
  Softmax: softmax('Softmax'),
  LogSoftmax: softmax('LogSoftmax'),
};
