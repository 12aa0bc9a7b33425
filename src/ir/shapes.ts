/** Shape and dtype inference for every IR node kind: the one place that knows how an op's output shape follows from
 *  its inputs. Used by the importer (to build static shapes) and by `verifyGraph` (to check a graph after a pass). */
import { userError } from '../errors.js';
import { sizeOf, type DType, type Node, type WindowAttrs } from './types.js';

export interface TypeShape {
  readonly dtype: DType;
  readonly shape: readonly number[];
}

function fail(node: Node, message: string): never {
  throw userError('E_SHAPE', `node '${node.name}' (${node.op}): ${message}`);
}

const fmt = (s: readonly number[]): string => `[${s.join(',')}]`;

/** NumPy broadcasting of two shapes; undefined when they do not broadcast. */
export function broadcastShapes(a: readonly number[], b: readonly number[]): number[] | undefined {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) return undefined;
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Output size of one spatial dimension of a sliding window (Conv, pools). With ceil mode, a last window that would
 *  start entirely in the end padding is dropped, as the ONNX reference and PyTorch do. */
export function windowOutSize(inSize: number, kernel: number, stride: number, dilation: number, padBegin: number, padEnd: number, ceil: boolean): number {
  const span = inSize + padBegin + padEnd - dilation * (kernel - 1) - 1;
  let out = (ceil ? Math.ceil(span / stride) : Math.floor(span / stride)) + 1;
  if (ceil && (out - 1) * stride >= inSize + padBegin) out--;
  return out;
}

function windowShape(node: Node, x: readonly number[], w: WindowAttrs, ceil: boolean, channels: number): number[] {
  const k = w.kernelShape.length;
  if (x.length !== k + 2) fail(node, `input ${fmt(x)} must have ${k + 2} dimensions for a ${k}-D window`);
  const out = [x[0]!, channels];
  for (let i = 0; i < k; i++) {
    const o = windowOutSize(x[i + 2]!, w.kernelShape[i]!, w.strides[i]!, w.dilations[i]!, w.pads[i]!, w.pads[i + k]!, ceil);
    if (o < 1) fail(node, `window ${fmt(w.kernelShape)} does not fit input ${fmt(x)} with pads ${fmt(w.pads)}`);
    out.push(o);
  }
  return out;
}

/** The dtype and shape of each output of `node`, given its inputs'; throws E_SHAPE when they do not fit. */
export function inferOutputs(node: Node, ins: readonly TypeShape[]): TypeShape[] {
  const x = ins[0];
  if (x === undefined) fail(node, 'has no inputs');
  const same = (shape: readonly number[], dtype: DType = x.dtype): TypeShape[] => [{ dtype, shape }];
  switch (node.op) {
    case 'Conv': {
      const wt = ins[1];
      if (!wt || wt.shape.length !== x.shape.length) fail(node, `weights ${fmt(wt?.shape ?? [])} do not match input ${fmt(x.shape)}`);
      const g = node.attrs.group;
      if (x.shape[1] !== wt.shape[1]! * g) fail(node, `input has ${x.shape[1]} channels, weights ${fmt(wt.shape)} with group ${g} need ${wt.shape[1]! * g}`);
      if (wt.shape[0]! % g !== 0) fail(node, `${wt.shape[0]} output channels are not divisible by group ${g}`);
      if (wt.shape.slice(2).some((d, i) => d !== node.attrs.kernelShape[i])) fail(node, `weights ${fmt(wt.shape)} disagree with kernel_shape ${fmt(node.attrs.kernelShape)}`);
      const b = ins[2];
      if (b && (b.shape.length !== 1 || b.shape[0] !== wt.shape[0])) fail(node, `bias ${fmt(b.shape)} must be [${wt.shape[0]}]`);
      return same(windowShape(node, x.shape, node.attrs, false, wt.shape[0]!));
    }
    case 'QConv': {
      const wt = ins[1];
      if (!wt || x.shape[1] !== wt.shape[1]! * node.attrs.group) fail(node, `weights ${fmt(wt?.shape ?? [])} do not match input ${fmt(x.shape)}`);
      checkPerChannel(node, wt.shape[0]!, ins[2]);
      return same(windowShape(node, x.shape, node.attrs, false, wt.shape[0]!), node.attrs.outType);
    }
    case 'QGemm': {
      const wt = ins[1]?.shape ?? [];
      if (x.shape.length !== 2 || wt.length !== 2 || x.shape[1] !== wt[1]) fail(node, `needs x [B, K] and w [N, K], got ${fmt(x.shape)} and ${fmt(wt)}`);
      checkPerChannel(node, wt[0]!, ins[2]);
      return same([x.shape[0]!, wt[0]!], node.attrs.outType);
    }
    case 'QSum': {
      if (node.attrs.zeroPoints.length !== ins.length || node.attrs.multipliers.length !== ins.length) fail(node, `needs one zero point and multiplier per input`);
      let shape: readonly number[] = x.shape;
      for (const other of ins.slice(1)) {
        const b = broadcastShapes(shape, other.shape);
        if (!b) fail(node, `shapes ${fmt(shape)} and ${fmt(other.shape)} do not broadcast`);
        shape = b;
      }
      return same(shape, node.attrs.outType);
    }
    case 'QTable':
      return same(x.shape, node.attrs.outType);
    case 'QThreshold':
      checkThresholds(node, x.shape, ins[1], node.attrs.axis);
      if (node.attrs.direction.length !== 1 && node.attrs.direction.length !== x.shape[node.attrs.axis]) fail(node, `direction needs 1 or ${x.shape[node.attrs.axis]} entries`);
      return same(x.shape, node.attrs.outType);
    case 'MultiThreshold':
      checkThresholds(node, x.shape, ins[1], node.attrs.axis);
      return same(x.shape, 'float32');
    case 'Quant':
    case 'BipolarQuant':
    case 'Trunc':
      for (const p of ins.slice(1))
        if (!broadcastShapes(x.shape, p.shape) || broadcastShapes(x.shape, p.shape)!.some((d, i) => d !== x.shape[i])) fail(node, `parameter ${fmt(p.shape)} does not broadcast to the input ${fmt(x.shape)}`);
      return same(x.shape, 'float32');
    case 'QLrn':
      if (x.shape.length < 2) fail(node, `input ${fmt(x.shape)} needs a channel dimension`);
      return same(x.shape, node.attrs.outType);
    case 'QMul': {
      const b = ins[1];
      const shape = b && ins.length === 2 ? broadcastShapes(x.shape, b.shape) : undefined;
      if (!shape) fail(node, `needs two inputs that broadcast, got ${ins.map((t) => fmt(t.shape)).join(' and ')}`);
      return same(shape, node.attrs.outType);
    }
    case 'QAveragePool':
      return same(windowShape(node, x.shape, node.attrs, node.attrs.ceilMode, x.shape[1]!));
    case 'MaxPool':
    case 'AveragePool':
      return same(windowShape(node, x.shape, node.attrs, node.attrs.ceilMode, x.shape[1]!));
    case 'GlobalAveragePool':
    case 'GlobalMaxPool':
      if (x.shape.length < 3) fail(node, `input ${fmt(x.shape)} needs spatial dimensions`);
      return same([x.shape[0]!, x.shape[1]!, ...x.shape.slice(2).map(() => 1)]);
    case 'Gemm': {
      const [a, b, c] = [x.shape, ins[1]?.shape ?? [], ins[2]?.shape];
      if (a.length !== 2 || b.length !== 2) fail(node, `needs 2-D A and B, got ${fmt(a)} and ${fmt(b)}`);
      const [m, ka] = node.attrs.transA ? [a[1]!, a[0]!] : [a[0]!, a[1]!];
      const [kb, n] = node.attrs.transB ? [b[1]!, b[0]!] : [b[0]!, b[1]!];
      if (ka !== kb) fail(node, `inner dimensions differ: A ${fmt(a)} and B ${fmt(b)} (transA=${node.attrs.transA}, transB=${node.attrs.transB})`);
      if (c) {
        const bc = broadcastShapes(c, [m, n]);
        if (!bc || bc[0] !== m || bc[1] !== n) fail(node, `C ${fmt(c)} does not broadcast to [${m},${n}]`);
      }
      return same([m, n]);
    }
    case 'MatMul':
      return same(matmulShape(node, x.shape, ins[1]?.shape ?? []));
    case 'Add':
    case 'Sub':
    case 'Mul':
    case 'Div':
    case 'Sum':
    case 'Max':
    case 'Min': {
      let shape: readonly number[] = x.shape;
      for (const other of ins.slice(1)) {
        if (other.dtype !== x.dtype) fail(node, `inputs mix ${x.dtype} and ${other.dtype}`);
        const b = broadcastShapes(shape, other.shape);
        if (!b) fail(node, `shapes ${fmt(shape)} and ${fmt(other.shape)} do not broadcast`);
        shape = b;
      }
      return same(shape);
    }
    case 'ChannelAffine':
      for (const p of ins.slice(1, 3))
        if (p.shape.length !== 1 || p.shape[0] !== x.shape[1]) fail(node, `per-channel parameters ${fmt(p.shape)} must be [${x.shape[1]}]`);
      return same(x.shape);
    case 'Relu':
    case 'LeakyRelu':
    case 'Clip':
    case 'Sigmoid':
    case 'Tanh':
    case 'HardSigmoid':
    case 'HardSwish':
    case 'Selu':
    case 'Elu':
    case 'LRN':
      return same(x.shape);
    case 'ReduceMean': {
      const { axes, keepdims } = node.attrs;
      if (axes.some((a, i) => a < 0 || a >= x.shape.length || (i > 0 && a <= axes[i - 1]!))) fail(node, `axes ${fmt(axes)} must be sorted distinct axes of ${fmt(x.shape)}`);
      return same(keepdims ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !axes.includes(i)));
    }
    case 'Softmax':
    case 'LogSoftmax':
      if (node.attrs.axis < 0 || node.attrs.axis >= Math.max(1, x.shape.length)) fail(node, `axis ${node.attrs.axis} is outside ${fmt(x.shape)}`);
      return same(x.shape);
    case 'Reshape':
      if (sizeOf(node.attrs.shape) !== sizeOf(x.shape)) fail(node, `cannot reshape ${fmt(x.shape)} (${sizeOf(x.shape)} elements) to ${fmt(node.attrs.shape)}`);
      return same(node.attrs.shape);
    case 'Transpose': {
      const p = node.attrs.perm;
      if (p.length !== x.shape.length || [...p].sort((a, b) => a - b).some((v, i) => v !== i)) fail(node, `perm ${fmt(p)} is not a permutation of ${x.shape.length} axes`);
      return same(p.map((i) => x.shape[i]!));
    }
    case 'Concat': {
      const ax = node.attrs.axis;
      let total = 0;
      for (const t of ins) {
        if (t.shape.length !== x.shape.length || t.shape.some((d, i) => i !== ax && d !== x.shape[i])) fail(node, `cannot concatenate ${fmt(t.shape)} with ${fmt(x.shape)} along axis ${ax}`);
        total += t.shape[ax]!;
      }
      return same(x.shape.map((d, i) => (i === ax ? total : d)));
    }
    case 'Split': {
      const { axis, sizes } = node.attrs;
      if (sizes.reduce((s, v) => s + v, 0) !== x.shape[axis]) fail(node, `split sizes ${fmt(sizes)} do not add up to dimension ${axis} of ${fmt(x.shape)}`);
      return sizes.map((s) => ({ dtype: x.dtype, shape: x.shape.map((d, i) => (i === axis ? s : d)) }));
    }
    case 'Slice':
      return same(sliceShape(node, x.shape, node.attrs));
    case 'Pad': {
      const p = node.attrs.pads, r = x.shape.length;
      if (p.length !== 2 * r) fail(node, `pads ${fmt(p)} need ${2 * r} values`);
      const shape = x.shape.map((d, i) => d + p[i]! + p[i + r]!);
      if (shape.some((d) => d < 0)) fail(node, `pads ${fmt(p)} crop more than ${fmt(x.shape)} holds`);
      return same(shape);
    }
    case 'Gather': {
      const idx = ins[1]?.shape ?? [];
      const ax = node.attrs.axis;
      return same([...x.shape.slice(0, ax), ...idx, ...x.shape.slice(ax + 1)]);
    }
    case 'QuantizeLinear':
      return same(x.shape, node.attrs.quant.dtype);
    case 'DequantizeLinear':
      return same(x.shape, 'float32');
    case 'Cast':
      return same(x.shape, node.attrs.to);
    default: {
      const exhaustive: never = node;
      return exhaustive;
    }
  }
}

/** Thresholds [C or 1, L] for the channels along `axis` of x. */
function checkThresholds(node: Node, x: readonly number[], t: TypeShape | undefined, axis: number): void {
  if (axis < 0 || axis >= x.length) fail(node, `axis ${axis} is outside ${fmt(x)}`);
  if (!t || t.shape.length !== 2 || (t.shape[0] !== 1 && t.shape[0] !== x[axis])) fail(node, `thresholds ${fmt(t?.shape ?? [])} must be [${x[axis]} or 1, L]`);
}

function checkPerChannel(node: Node & { attrs: { wZeroPoint: readonly number[]; mantissa: readonly number[]; shift: readonly number[]; wScale: readonly number[] } }, channels: number, bias: TypeShape | undefined): void {
  const a = node.attrs;
  for (const [what, v] of [['wZeroPoint', a.wZeroPoint], ['mantissa', a.mantissa], ['shift', a.shift], ['wScale', a.wScale]] as const)
    if (v.length !== channels && !(v.length === 1 && what === 'wZeroPoint')) fail(node, `${what} has ${v.length} entries for ${channels} output channels`);
  if (!bias || bias.dtype !== 'int32' || bias.shape.length !== 1 || bias.shape[0] !== channels) fail(node, `bias must be int32 [${channels}]`);
}

function matmulShape(node: Node, a: readonly number[], b: readonly number[]): number[] {
  if (a.length === 0 || b.length === 0) fail(node, 'MatMul inputs must not be scalars');
  const a2 = a.length === 1 ? [1, a[0]!] : a;
  const b2 = b.length === 1 ? [b[0]!, 1] : b;
  if (a2[a2.length - 1] !== b2[b2.length - 2]) fail(node, `inner dimensions differ: ${fmt(a)} and ${fmt(b)}`);
  const batch = broadcastShapes(a2.slice(0, -2), b2.slice(0, -2));
  if (!batch) fail(node, `batch dimensions of ${fmt(a)} and ${fmt(b)} do not broadcast`);
  const out = [...batch];
  if (a.length > 1) out.push(a2[a2.length - 2]!);
  if (b.length > 1) out.push(b2[b2.length - 1]!);
  return out;
}

/** Slice output: counts per dimension, every selected index checked to lie inside the input. */
function sliceShape(node: Node, x: readonly number[], a: { starts: readonly number[]; steps: readonly number[]; counts: readonly number[] }): number[] {
  if (a.starts.length !== x.length || a.steps.length !== x.length || a.counts.length !== x.length) fail(node, `starts/steps/counts need ${x.length} values`);
  a.counts.forEach((c, d) => {
    const first = a.starts[d]!, last = first + (c - 1) * a.steps[d]!;
    if (c < 0 || (c > 0 && (first < 0 || first >= x[d]! || last < 0 || last >= x[d]!))) fail(node, `slice of dimension ${d} leaves ${fmt(x)}`);
  });
  return [...a.counts];
}
