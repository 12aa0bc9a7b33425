/** Lowering of data-movement ops. Flatten, Reshape, Squeeze and Unsqueeze all become a Reshape to a static shape;
 *  Split, Slice and Pad get every size resolved from attributes or constant inputs. */
import { userError } from '../errors.js';
import { sizeOf } from '../ir/types.js';
import type { ConcatNode, GatherNode, PadNode, ReshapeNode, SliceNode, SplitNode, TransposeNode } from '../ir/types.js';
import { intList, normAxis, single, type LowerContext, type Lowerer } from './lower-context.js';

const reshapeTo = (ctx: LowerContext, shape: readonly number[]) =>
  single<ReshapeNode>(ctx, 'Reshape', { shape: [...shape] }, [ctx.inputs[0]!]);

const flatten: Lowerer = (ctx) => {
  const x = ctx.info(0).shape;
  const axis = ctx.attrs.int('axis', 1);
  const a = axis < 0 ? axis + x.length : axis;
  if (a < 0 || a > x.length) ctx.attrs.unsupported('axis', axis, `an axis in [${-x.length}, ${x.length}]`);
  return reshapeTo(ctx, [sizeOf(x.slice(0, a)), sizeOf(x.slice(a))]);
};

/** Reshape's target: 0 copies the input dimension (unless allowzero), one -1 is inferred. */
const reshape: Lowerer = (ctx) => {
  const x = ctx.info(0).shape;
  const spec = ctx.opset < 5 ? ctx.attrs.ints('shape') : intList(ctx, 1, 'shape');
  const allowZero = ctx.attrs.int('allowzero', 0) === 1;
  const shape = spec.map((d, i) => (d === 0 && !allowZero ? x[i] ?? -2 : d));
  const known = shape.filter((d) => d !== -1);
  if (shape.filter((d) => d === -1).length > 1 || known.some((d) => d < 0))
    throw userError('E_SHAPE', `${ctx.where}: target shape [${spec}] is not valid for input [${x}]`);
  const unknown = shape.indexOf(-1);
  if (unknown >= 0) {
    const rest = sizeOf(known);
    if (rest === 0 || sizeOf(x) % rest !== 0) throw userError('E_SHAPE', `${ctx.where}: cannot infer -1 in [${spec}] for input [${x}]`);
    shape[unknown] = sizeOf(x) / rest;
  }
  if (sizeOf(shape) !== sizeOf(x)) throw userError('E_SHAPE', `${ctx.where}: cannot reshape [${x}] to [${spec}]`);
  return reshapeTo(ctx, shape);
};

function axesOf(ctx: LowerContext, rank: number): number[] | undefined {
  const raw = ctx.opset < 13 ? (ctx.attrs.has('axes') ? ctx.attrs.ints('axes') : undefined) : ctx.has(1) ? intList(ctx, 1, 'axes') : undefined;
  return raw?.map((a) => normAxis(ctx, a, rank, 'axes entry'));
}

const squeeze: Lowerer = (ctx) => {
  const x = ctx.info(0).shape;
  const axes = axesOf(ctx, x.length) ?? x.flatMap((d, i) => (d === 1 ? [i] : []));
  for (const a of axes) if (x[a] !== 1) throw userError('E_SHAPE', `${ctx.where}: cannot squeeze axis ${a} of [${x}] (size ${x[a]})`);
  return reshapeTo(ctx, x.filter((_, i) => !axes.includes(i)));
};

const unsqueeze: Lowerer = (ctx) => {
  const x = ctx.info(0).shape;
  const rank = x.length + (ctx.opset < 13 ? ctx.attrs.ints('axes') : intList(ctx, 1, 'axes')).length;
  const axes = axesOf(ctx, rank) ?? [];
  const out: number[] = [];
  let k = 0;
  for (let i = 0; i < rank; i++) out.push(axes.includes(i) ? 1 : x[k++]!);
  return reshapeTo(ctx, out);
};

const transpose: Lowerer = (ctx) => {
  const r = ctx.info(0).shape.length;
  const perm = ctx.attrs.ints('perm', Array.from({ length: r }, (_, i) => r - 1 - i)).map((p) => normAxis(ctx, p, r, 'perm entry'));
  return single<TransposeNode>(ctx, 'Transpose', { perm });
};

const concat: Lowerer = (ctx) =>
  single<ConcatNode>(ctx, 'Concat', { axis: normAxis(ctx, ctx.attrs.int('axis', 1), ctx.info(0).shape.length) });

const split: Lowerer = (ctx) => {
  const x = ctx.info(0).shape;
  const axis = normAxis(ctx, ctx.attrs.int('axis', 0), x.length);
  const n = ctx.outputs.length;
  let sizes = ctx.opset < 13 ? (ctx.attrs.has('split') ? ctx.attrs.ints('split') : undefined) : ctx.has(1) ? intList(ctx, 1, 'split') : undefined;
  if (!sizes) {
    // Equal parts; from opset 18 the last part may be smaller (ceil division).
    const part = ctx.opset >= 18 ? Math.ceil(x[axis]! / n) : x[axis]! / n;
    if (!Number.isInteger(part)) throw userError('E_SHAPE', `${ctx.where}: dimension ${x[axis]} does not split into ${n} equal parts`);
    sizes = Array.from({ length: n }, (_, i) => Math.max(0, Math.min(part, x[axis]! - i * part)));
  }
  if (sizes.length !== n) throw userError('E_SHAPE', `${ctx.where}: ${sizes.length} split sizes for ${n} outputs`);
  return single<SplitNode>(ctx, 'Split', { axis, sizes }, [ctx.inputs[0]!]);
};

/** Slice: starts/ends/axes/steps clamped as the ONNX spec says, then stored as first index, step and count. */
const slice: Lowerer = (ctx) => {
  const x = ctx.info(0).shape;
  const r = x.length;
  const old = ctx.opset < 10;
  const starts = old ? ctx.attrs.ints('starts') : intList(ctx, 1, 'starts');
  const ends = old ? ctx.attrs.ints('ends') : intList(ctx, 2, 'ends');
  const axesRaw = old ? ctx.attrs.ints('axes', starts.map((_, i) => i)) : ctx.has(3) ? intList(ctx, 3, 'axes') : starts.map((_, i) => i);
  const stepsRaw = !old && ctx.has(4) ? intList(ctx, 4, 'steps') : starts.map(() => 1);
  if (ends.length !== starts.length || axesRaw.length !== starts.length || stepsRaw.length !== starts.length)
    throw userError('E_SHAPE', `${ctx.where}: starts, ends, axes and steps must have the same length`);
  const first = Array<number>(r).fill(0), steps = Array<number>(r).fill(1), counts = [...x];
  axesRaw.forEach((axRaw, i) => {
    const ax = normAxis(ctx, axRaw, r, 'axes entry');
    const dim = x[ax]!, step = stepsRaw[i]!;
    if (step === 0) ctx.attrs.unsupported('steps', stepsRaw, 'non-zero steps');
    let s = starts[i]!, e = ends[i]!;
    if (s < 0) s += dim;
    if (e < 0) e += dim;
    [s, e] = step > 0 ? [clamp(s, 0, dim), clamp(e, 0, dim)] : [clamp(s, 0, dim - 1), clamp(e, -1, dim - 1)];
    const count = Math.max(0, Math.ceil((e - s) / step));
    first[ax] = count > 0 ? s : 0;
    steps[ax] = step;
    counts[ax] = count;
  });
  return single<SliceNode>(ctx, 'Slice', { starts: first, steps, counts }, [ctx.inputs[0]!]);
};

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

const pad: Lowerer = (ctx) => {
  const r = ctx.info(0).shape.length;
  const old = ctx.opset < 11;
  const mode = ctx.attrs.string('mode', 'constant');
  if (mode !== 'constant') ctx.attrs.unsupported('mode', mode, "only mode 'constant'");
  let pads = old ? ctx.attrs.ints(ctx.opset < 2 ? 'paddings' : 'pads') : intList(ctx, 1, 'pads');
  const value = old ? ctx.attrs.float('value', 0) : ctx.has(2) ? (ctx.constant(2, 'constant_value').data[0] ?? 0) : 0;
  if (!old && ctx.has(3)) {
    // opset 18: pads for the listed axes only.
    const axes = intList(ctx, 3, 'axes').map((a) => normAxis(ctx, a, r, 'axes entry'));
    const full = Array<number>(2 * r).fill(0);
    axes.forEach((a, i) => {
      full[a] = pads[i]!;
      full[a + r] = pads[i + axes.length]!;
    });
    pads = full;
  }
  if (pads.length !== 2 * r) throw userError('E_SHAPE', `${ctx.where}: ${pads.length} pads for a rank-${r} input (need ${2 * r})`);
  // All-zero pads copy the input (PyTorch exports DenseNet's average pools with one): no node.
  if (pads.every((p) => p === 0)) return { alias: [ctx.inputs[0]!] };
  return single<PadNode>(ctx, 'Pad', { pads, value }, [ctx.inputs[0]!]);
};

const gather: Lowerer = (ctx) =>
  single<GatherNode>(ctx, 'Gather', { axis: normAxis(ctx, ctx.attrs.int('axis', 0), ctx.info(0).shape.length) });

export const layoutLowerers: Record<string, Lowerer> = {
  Flatten: flatten,
  Reshape: reshape,
  Squeeze: squeeze,
  Unsqueeze: unsqueeze,
  Transpose: transpose,
  Concat: concat,
  Split: split,
  Slice: slice,
  Pad: pad,
  Gather: gather,
};
