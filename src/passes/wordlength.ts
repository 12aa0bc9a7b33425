/** Word-length formats: set the number formats of every Conv/Gemm (weight, bias, accumulator, activation) and of the
 *  graph input, and round the weights and biases into their formats (ir/arithmetic.md section 6).
 *  Why: the golden model then runs the layers bit-true in fixed point or custom float, and the emitters read the
 *  formats from the IR; the weights stay float32 tensors whose values are exactly representable in their format.
 *  Assumes: a float IR (imported, BatchNorm folded); every Conv/Gemm is listed in `layers`; between the input and
 *  the layers only ops that move or compare values (Relu, Clip, MaxPool, Reshape, ...) so every layer reads values of
 *  a known format. Anything else is E_CONFIG naming the node. */
import { userError } from '../errors.js';
import type { Graph, LayerFormats, Node, NumFormat, Tensor, ValueInfo } from '../ir/types.js';
import { makeTensor } from '../ir/types.js';
import { castValue, checkFormat } from '../golden/wordlength/cast.js';
import type { Pass, PassResult } from './pass.js';

export interface WordlengthOptions {
  /** Format of the graph input's values. */
  readonly input: NumFormat;
  /** Formats of every Conv/Gemm, by node name. */
  readonly layers: ReadonlyMap<string, LayerFormats>;
  /** S: the lanes every Conv/Gemm sums its terms in (the hardware's SIMD lanes; ir/arithmetic.md 6, Reduction
   *  lanes), recorded as the node attribute `reductionLanes` when above 1. Default 1. */
  readonly reductionLanes?: number;
}

export const wordlengthPass: Pass<WordlengthOptions> = {
  name: 'wordlength',
  summary: 'set fixed-point or custom-float formats per layer and round weights and biases into them',
  run: (graph, options) => {
    if (!options) throw new Error('internal error: the wordlength pass needs formats');
    return run(graph, options);
  },
};

/** Ops a tuned graph may hold between its layers: they move, compare or clamp values, so the output keeps the input's
 *  format exactly. Softmax/LogSoftmax run on the host at the end (their outputs have no format). */
const EXACT_OPS: ReadonlySet<Node['op']> = new Set(['Relu', 'Clip', 'MaxPool', 'GlobalMaxPool', 'Reshape', 'Transpose', 'Slice', 'Concat', 'Pad', 'Split']);
const HOST_OPS: ReadonlySet<Node['op']> = new Set(['Softmax', 'LogSoftmax']);

/** Conv and Gemm nodes word-length tuning applies to, in graph order; E_CONFIG for a graph it cannot take. */
export function tunableLayers(graph: Graph): Node[] {
  if (graph.inputs.length !== 1) throw userError('E_CONFIG', `word-length tuning needs a one-input model; this one has ${graph.inputs.length} inputs`);
  const layers: Node[] = [];
  for (const n of graph.nodes) {
    if (n.op === 'Gemm') {
      const { alpha, beta, transA } = n.attrs;
      if (alpha !== 1 || beta !== 1 || transA) throw userError('E_CONFIG', `Gemm '${n.name}': word-length tuning needs alpha = beta = 1 and transA = 0 (has alpha ${alpha}, beta ${beta}, transA ${transA})`);
      const c = n.inputs[2] ? graph.values.get(n.inputs[2]) : undefined;
      const N = graph.values.get(n.outputs[0]!)!.shape[1]!;
      if (c && c.shape.reduce((a, b) => a * b, 1) !== N) throw userError('E_CONFIG', `Gemm '${n.name}': the bias must be one value per output (${N}); it has shape [${c.shape}]`);
    }
    if (n.op === 'Conv' || n.op === 'Gemm') {
      if (!graph.constants.has(n.inputs[1]!) || (n.inputs[2] && !graph.constants.has(n.inputs[2])))
        throw userError('E_CONFIG', `layer '${n.name}': weights and bias must be constants for word-length tuning`);
      layers.push(n);
    } else if (n.op.startsWith('Q') && n.op !== 'QuantizeLinear') throw userError('E_CONFIG', `node '${n.name}' (${n.op}) is quantized; word-length tuning starts from a float IR (adequate import, not quantize)`);
  }
  if (layers.length === 0) throw userError('E_CONFIG', `${graph.name}: no Conv or Gemm layer to tune`);
  return layers;
}

function run(graph: Graph, options: WordlengthOptions): PassResult {
  const layers = tunableLayers(graph);
  const lanes = options.reductionLanes ?? 1;
  if (!(Number.isInteger(lanes) && lanes >= 1)) throw userError('E_CONFIG', `reduction lanes ${lanes} must be a positive integer (the SIMD lanes S)`);
  const inputName = graph.inputs[0]!.name;
  checkFormat(options.input, 'activation', `graph input '${inputName}'`);
  // Propagate formats value by value: every layer must read a value of known format.
  const formatOf = new Map<string, NumFormat>([[inputName, options.input]]);
  const constants = new Map(graph.constants);
  const values = new Map(graph.values);
  const uses = new Map<string, number>();
  for (const n of graph.nodes) for (const i of n.inputs) uses.set(i, (uses.get(i) ?? 0) + 1);
  const nodes = graph.nodes.map((n): Node => {
    if (n.op === 'Conv' || n.op === 'Gemm') {
      const f = options.layers.get(n.name);
      if (!f) throw userError('E_CONFIG', `layer '${n.name}' has no formats; every Conv/Gemm of a tuned graph needs them`);
      for (const role of ['weight', 'bias', 'accumulator', 'activation'] as const) checkFormat(f[role], role, `layer '${n.name}' ${role}`);
      if (!formatOf.has(n.inputs[0]!)) throw userError('E_CONFIG', `layer '${n.name}' reads '${n.inputs[0]}', which no tuned layer or the graph input produces through exact ops; word-length tuning cannot give it a format`);
      formatOf.set(n.outputs[0]!, f.activation);
      const inputs = [...n.inputs];
      for (const [slot, fmt] of [[1, f.weight], [2, f.bias]] as const) {
        const name = n.inputs[slot];
        if (!name) continue;
        const fresh = uses.get(name) === 1 ? name : `${name}@${n.name}`;
        constants.set(fresh, castTensor(graph.constants.get(name)!, fmt));
        values.set(fresh, { name: fresh, dtype: 'float32', shape: graph.constants.get(name)!.shape });
        inputs[slot] = fresh;
      }
      return n.op === 'Conv' ? { ...n, inputs, attrs: withLanes({ ...n.attrs, formats: f }, lanes) } : { ...n, inputs, attrs: withLanes({ ...n.attrs, formats: f }, lanes) };
    }
    const formatted = n.inputs.filter((i) => formatOf.has(i));
    if (formatted.length === 0 || HOST_OPS.has(n.op)) return n;
    if (!EXACT_OPS.has(n.op)) throw userError('E_CONFIG', `node '${n.name}' (${n.op}) computes on tuned values, but word-length tuning supports only Conv, Gemm and exact ops (${[...EXACT_OPS].join(', ')}) between layers (ir/arithmetic.md section 6)`);
    const fmt = formatOf.get(formatted[0]!)!;
    if (formatted.some((i) => JSON.stringify(formatOf.get(i)) !== JSON.stringify(fmt))) throw userError('E_CONFIG', `node '${n.name}' (${n.op}) joins values of different formats; give its inputs one format`);
    if (n.op === 'Pad' && n.attrs.value !== 0) throw userError('E_CONFIG', `Pad '${n.name}' pads with ${n.attrs.value}; a tuned graph pads with 0 only`);
    if (n.op === 'Clip')
      for (const b of [n.attrs.min, n.attrs.max])
        if (b !== undefined && Number.isFinite(b) && castValue(b, fmt) !== b) throw userError('E_CONFIG', `Clip '${n.name}': bound ${b} is not representable in its input's format; widen the format`);
    for (const o of n.outputs) formatOf.set(o, fmt);
    return n;
  });
  const used = new Set(nodes.flatMap((n) => n.inputs));
  for (const name of [...constants.keys()]) if (!used.has(name)) constants.delete(name), values.delete(name);
  const inputInfo: ValueInfo = { ...graph.values.get(inputName)!, format: options.input };
  values.set(inputName, inputInfo);
  return {
    graph: { ...graph, inputs: [{ ...graph.inputs[0]!, format: options.input }], values, constants, nodes },
    stats: { layers: layers.length },
  };
}

/** attrs with reductionLanes = S when S > 1, without it when S = 1 (absent means one lane). */
function withLanes<A extends { readonly reductionLanes?: number }>(attrs: A, lanes: number): A {
  const { reductionLanes: _old, ...rest } = attrs;
  return (lanes > 1 ? { ...rest, reductionLanes: lanes } : rest) as A;
}

/** Each element rounded into the format (its rounding and overflow modes), as float32 (exact: checkFormat). */
export function castTensor(t: Tensor, f: NumFormat): Tensor {
  const out = makeTensor('float32', t.shape);
  for (let i = 0; i < t.data.length; i++) out.data[i] = castValue(t.data[i]!, f);
  return out;
}
