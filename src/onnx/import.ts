/** ONNX model -> IR graph: one forward walk over the nodes that lowers each one (src/onnx/lower-*.ts), infers every
 *  output shape (src/ir/shapes.ts), and folds any node whose inputs are all constant with the golden model's own
 *  `evalNode`, so shape arithmetic (Shape -> Gather -> Concat -> Reshape) disappears at import. */
import { readFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { userError } from '../errors.js';
import { evalNode } from '../golden/evaluate.js';
import { inferOutputs, type TypeShape } from '../ir/shapes.js';
import type { Graph, Node, Tensor, ValueInfo } from '../ir/types.js';
import { Attributes, describeNode } from './attributes.js';
import { decodeModel } from './decode.js';
import { checkTensorSize, DEFAULT_MAX_TENSOR_BYTES, type LowerContext, type Lowerer } from './lower-context.js';
import { computeLowerers } from './lower-compute.js';
import { elementwiseLowerers } from './lower-elementwise.js';
import { layoutLowerers } from './lower-layout.js';
import { poolLowerers } from './lower-pool.js';
import { constantOnlyLowerers, valueLowerers } from './lower-values.js';
import { QONNX_DOMAINS, qonnxLowerers } from './lower-qonnx.js';
import { toNum, type GraphProto, type NodeProto, type ValueInfoProto } from './proto.js';
import { dtypeOfOnnx, tensorFromProto } from './tensor.js';
import { finishGraph } from './finish.js';

const LOWERERS: Readonly<Record<string, Lowerer>> = {
  ...computeLowerers,
  ...elementwiseLowerers,
  ...poolLowerers,
  ...layoutLowerers,
  ...valueLowerers,
};

/** ONNX op types (default domain) the importer lowers. */
export const SUPPORTED_OPS: readonly string[] = Object.keys(LOWERERS).sort();
/** QONNX / FINN custom op types the importer lowers in each of QONNX_DOMAINS. */
export const SUPPORTED_QONNX_OPS: readonly string[] = Object.keys(qonnxLowerers).sort();

/** Ops never folded even on constant inputs: QDQ pairs and the QONNX quantizers of weights are quantization the
 *  quantizer reads (bit width, scale, zero point). */
const KEEP_ON_CONSTANTS = new Set<string>(['QuantizeLinear', 'DequantizeLinear', 'Quant', 'BipolarQuant']);

export interface ImportOptions {
  /** Size of a free (symbolic) batch dimension; default 1. */
  readonly batch?: number;
  /** Shapes fixed by the user for named inputs (`--input-shape name=1x3x32x32`). */
  readonly inputShapes?: ReadonlyMap<string, readonly number[]>;
  /** Graph inputs bound to constant values (the conformance runner binds integer inputs this way). */
  readonly bindConstants?: ReadonlyMap<string, Tensor>;
  /** Largest tensor import may materialize (ConstantOfShape, folded constants); default DEFAULT_MAX_TENSOR_BYTES. */
  readonly maxTensorBytes?: number;
}

export function importOnnxFile(file: string, options: ImportOptions = {}): Graph {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch {
    throw userError('E_IO', `cannot read '${file}': check the path`);
  }
  return importOnnx(bytes, file, options);
}

export function importOnnx(bytes: Uint8Array, file: string, options: ImportOptions = {}): Graph {
  const { model, irVersion, opset } = decodeModel(bytes, file);
  const g = model.graph!;
  const modelDir = dirname(file);
  const values = new Map<string, ValueInfo>();
  const constants = new Map<string, Tensor>();
  const aliases = new Map<string, string>();
  const nodes: Node[] = [];
  const names = new Set<string>();
  const maxTensorBytes = options.maxTensorBytes ?? DEFAULT_MAX_TENSOR_BYTES;

  for (const init of g.initializer ?? []) {
    const name = init.name ?? '';
    const t = tensorFromProto(init, modelDir, `initializer '${name}'`);
    constants.set(name, t);
    values.set(name, { name, dtype: t.dtype, shape: t.shape });
  }
  const inputs: ValueInfo[] = [];
  for (const vi of g.input ?? []) {
    const name = vi.name ?? '';
    const bound = options.bindConstants?.get(name);
    if (bound) {
      constants.set(name, bound);
      values.set(name, { name, dtype: bound.dtype, shape: bound.shape });
    } else if (!constants.has(name)) {
      const info = inputInfo(vi, options, file);
      inputs.push(info);
      values.set(name, info);
    }
  }
  for (const v of values.keys()) names.add(v);

  const resolve = (n: string) => aliases.get(n) ?? n;
  const freshName = (base: string) => {
    let n = base, k = 1;
    while (names.has(n)) n = `${base}_${k++}`;
    names.add(n);
    return n;
  };

  const producers = new Map<string, Node>();
  const addNode = (lowered: Node): void => {
    // A channels-last MultiThreshold between channels-last Transposes (FINN's NHWC wrappers around an NCHW layer)
    // thresholds the NCHW tensor instead, the Transpose moving after it, where it meets the next one and cancels.
    const p = lowered.op === 'MultiThreshold' && lowered.attrs.axis === 3 ? producers.get(lowered.inputs[0]!) : undefined;
    if (lowered.op === 'MultiThreshold' && p?.op === 'Transpose' && p.attrs.perm.join() === '0,2,3,1') {
      const nchw = freshName(`${lowered.name}.nchw`);
      addNode({ ...lowered, inputs: [p.inputs[0]!, ...lowered.inputs.slice(1)], outputs: [nchw], attrs: { ...lowered.attrs, axis: 1 } });
      addNode({ op: 'Transpose', name: freshName(`${lowered.name}.nhwc`), inputs: [nchw], outputs: lowered.outputs, attrs: { perm: [0, 2, 3, 1] } } as Node);
      return;
    }
    const node = foldLayout(lowered, producers, constants, (t) => {
      const name = freshName(`${lowered.name}.weight`);
      setConstant(name, t);
      return name;
    });
    if (typeof node === 'string') {
      aliases.set(lowered.outputs[0]!, node);
      return;
    }
    const infos = node.inputs.map((i) => values.get(i)!);
    const outs: TypeShape[] = inferOutputs(node, infos);
    if (node.inputs.every((i) => constants.has(i)) && !KEEP_ON_CONSTANTS.has(node.op)) {
      outs.forEach((o, k) => checkTensorSize(`${file}: node '${node.name}' (${node.op})`, maxTensorBytes, o.dtype, o.shape, `folded output ${k}`));
      const results = evalNode(node, node.inputs.map((i) => constants.get(i)!), outs.map((o) => o.shape));
      node.outputs.forEach((o, k) => setConstant(o, results[k]!));
      return;
    }
    node.outputs.forEach((o, k) => values.set(o, { name: o, ...outs[k]! }));
    for (const o of node.outputs) producers.set(o, node);
    nodes.push(node);
  };
  const setConstant = (name: string, t: Tensor) => {
    constants.set(name, t);
    values.set(name, { name, dtype: t.dtype, shape: t.shape });
  };

  const consumed = new Set<string>([...(g.node ?? []).flatMap((n) => n.input ?? []), ...(g.output ?? []).map((o) => o.name ?? '')]);
  consumed.delete('');
  sortedNodes(g, file).forEach((np, index) => {
    const where = `${file}: ${describeNode(np, index)}`;
    const op = np.opType ?? '';
    const lower = !np.domain || np.domain === 'ai.onnx' ? LOWERERS[op] ?? constantOnlyLowerers[op] : QONNX_DOMAINS.includes(np.domain) ? qonnxLowerers[op] : undefined;
    if (!lower)
      throw userError(
        'E_ONNX_UNSUPPORTED_OP',
        `${where}: op '${op}' of domain '${np.domain || 'ai.onnx'}' (opset ${opset}) is not supported; see docs/ops.md for the supported ops`,
      );
    const ins = (np.input ?? []).map((i) => (i === '' ? '' : resolve(i)));
    for (const i of ins)
      if (i !== '' && !values.has(i)) throw userError('E_ONNX_DECODE', `${where}: input '${i}' is not produced by any node, initializer or graph input`);
    const ctx = makeContext(np, where, freshName(np.name || `${op}_${index}`), opset, ins, modelDir, values, constants, freshName, consumed, maxTensorBytes);
    const lowered = lower(ctx);
    for (const [name, t] of lowered.constants ?? []) setConstant(name, t);
    lowered.values?.forEach((t, k) => setConstant(np.output?.[k] ?? '', t));
    lowered.alias?.forEach((a, k) => aliases.set(np.output?.[k] ?? '', a));
    for (const node of lowered.nodes ?? []) addNode(node);
  });

  return finishGraph({
    name: g.name || basename(file, '.onnx'),
    source: { file: basename(file), irVersion, opset, producer: `${model.producerName ?? ''} ${model.producerVersion ?? ''}`.trim() },
    inputs,
    outputs: (g.output ?? []).map((o) => o.name ?? ''),
    values,
    constants,
    nodes,
    aliases,
  });
}

/** Layout folding of QONNX exports (with the channels-last MultiThreshold rule of addNode): a Transpose of a Transpose composes (and vanishes when the composition is the
 *  identity: the name of the tensor the output aliases); a Transpose or Reshape of a weight quantizer (Quant/BipolarQuant of a
 *  constant with one scale and zero point) becomes the quantizer of the transposed or reshaped constant, so the
 *  weight stays one quantized constant for the quantizer to read. */
function foldLayout(node: Node, producers: ReadonlyMap<string, Node>, constants: ReadonlyMap<string, Tensor>, addConstant: (t: Tensor) => string): Node | string {
  if (node.op !== 'Transpose' && node.op !== 'Reshape') return node;
  const p = producers.get(node.inputs[0]!);
  if (node.op === 'Transpose' && p?.op === 'Transpose') {
    const perm = node.attrs.perm.map((i) => p.attrs.perm[i]!);
    if (perm.every((v, i) => v === i)) return p.inputs[0]!;
    return { ...node, attrs: { perm }, inputs: [p.inputs[0]!] };
  }
  if ((p?.op === 'Quant' || p?.op === 'BipolarQuant') && p.inputs.every((i) => constants.has(i))) {
    const [w, ...ps] = p.inputs.map((i) => constants.get(i)!) as [Tensor, ...Tensor[]];
    // Scalar parameters stay; per-channel ones (of the weight's rank) move with a Transpose.
    const movable = (t: Tensor) => t.data.length === 1 || (node.op === 'Transpose' && t.shape.length === w.shape.length);
    if (!ps.every(movable)) return node;
    const move = (t: Tensor) => evalNode(node, [t], [node.op === 'Reshape' ? node.attrs.shape : node.attrs.perm.map((i) => t.shape[i]!)])[0]!;
    const params = ps.map((t, k) => (t.data.length === 1 ? p.inputs[k + 1]! : addConstant(move(t))));
    return { ...p, inputs: [addConstant(move(w)), ...params], outputs: node.outputs } as Node;
  }
  return node;
}

function makeContext(
  np: NodeProto, where: string, name: string, opset: number, inputs: string[], modelDir: string,
  values: ReadonlyMap<string, ValueInfo>, constants: ReadonlyMap<string, Tensor>, fresh: (b: string) => string,
  consumed: ReadonlySet<string>, maxTensorBytes: number,
): LowerContext {
  const has = (i: number) => (inputs[i] ?? '') !== '';
  const need = (i: number) => {
    if (!has(i)) throw userError('E_ONNX_DECODE', `${where}: input ${i} is required`);
    return inputs[i]!;
  };
  return {
    where, name, opset, inputs, outputs: [...(np.output ?? [])],
    attrs: new Attributes(np, where, modelDir),
    has,
    info: (i) => values.get(need(i))!,
    constantOrUndefined: (i) => (has(i) ? constants.get(inputs[i]!) : undefined),
    constant: (i, what) => {
      const t = constants.get(need(i));
      if (!t) throw userError('E_ONNX_ATTRIBUTE', `${where}: input '${inputs[i]}' (${what}) must be a constant (an initializer or computable at import)`);
      return t;
    },
    fresh: (suffix) => fresh(`${name}.${suffix}`),
    outputUsed: (k) => consumed.has(np.output?.[k] ?? ''),
    checkSize: (dtype, shape, what) => checkTensorSize(where, maxTensorBytes, dtype, shape, what),
  };
}

function inputInfo(vi: ValueInfoProto, options: ImportOptions, file: string): ValueInfo {
  const name = vi.name ?? '';
  const tt = vi.type?.tensorType;
  if (!tt) throw userError('E_ONNX_UNSUPPORTED_OP', `${file}: graph input '${name}' is not a tensor`);
  const dtype = dtypeOfOnnx(tt.elemType ?? 0, `${file}: graph input '${name}'`);
  const fixed = options.inputShapes?.get(name);
  if (fixed) return { name, dtype, shape: [...fixed] };
  const dims = tt.shape?.dim ?? [];
  const shape = dims.map((d, i) => {
    const v = d.dimValue !== undefined && d.dimValue !== null ? toNum(d.dimValue) : 0;
    if (v > 0) return v;
    if (i === 0 && dims.length > 1) return options.batch ?? 1;
    const label = d.dimParam ? `'${d.dimParam}'` : v === 0 && d.dimValue !== undefined && d.dimValue !== null ? `${v}` : 'unknown';
    const example = dims.map((x, j) => (j === 0 ? options.batch ?? 1 : x.dimValue && toNum(x.dimValue) > 0 ? toNum(x.dimValue) : `<${x.dimParam || `d${j}`}>`)).join('x');
    throw userError('E_SHAPE', `${file}: graph input '${name}' dimension ${i} is ${label}; fix it with --input-shape ${name}=${example}, a number in place of each <...>`);
  });
  return { name, dtype, shape };
}

/** Nodes in topological order (ONNX requires it, but some exporters do not comply). */
function sortedNodes(g: GraphProto, file: string): NodeProto[] {
  const nodes = g.node ?? [];
  const produced = new Set<string>([...(g.initializer ?? []).map((t) => t.name ?? ''), ...(g.input ?? []).map((v) => v.name ?? ''), '']);
  const out: NodeProto[] = [];
  const pending = [...nodes];
  while (pending.length > 0) {
    const k = pending.findIndex((n) => (n.input ?? []).every((i) => produced.has(i)));
    if (k < 0) {
      const n = pending[0]!;
      const missing = (n.input ?? []).find((i) => !produced.has(i));
      throw userError('E_ONNX_DECODE', `${file}: ${describeNode(n, nodes.indexOf(n))} reads '${missing}', which nothing produces (or the graph has a cycle)`);
    }
    const [n] = pending.splice(k, 1);
    out.push(n!);
    for (const o of n!.output ?? []) produced.add(o);
  }
  return out;
}
