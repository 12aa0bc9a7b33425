/** What the quantizer merges, decided on the float graph before it walks it (one place, so the walk only reads it):
 *  - the host tail: Softmax/LogSoftmax (and Reshapes after them) whose results only reach graph outputs;
 *  - clamps folded into a layer: a Relu/Clip, read alone, after an op whose integer form requantizes (QConv, QGemm,
 *    QSum, QMul) becomes that layer's [lo, hi]; so does one behind max pools and reshapes, which commute with a
 *    monotone clamp (Conv, MaxPool, Relu): the clamp then vanishes, its output is the pool's codes;
 *  - gated activations: x * act(x) with act(x) read only by the Mul (SiLU as exported: x * Sigmoid(x)) becomes one
 *    table of v * act(v) on x's codes instead of a table and a product of two tensors;
 *  - Concat inputs made by a requantizing layer that only the Concat reads take the Concat's own quantization, so
 *    the Concat only places codes (hardware: the layer writes into its part of the Concat's buffer) and needs no
 *    rescaling QSum. */
import type { Graph, Node, UnaryNode } from '../ir/types.js';

const HOST_OPS = new Set(['Softmax', 'LogSoftmax']);
/** Ops whose integer form (QConv, QGemm, QSum, QMul) requantizes, so a following clamp folds into its [lo, hi]. */
const FUSING_OPS = new Set(['Conv', 'Gemm', 'MatMul', 'ChannelAffine', 'Add', 'Sub', 'Sum', 'Mul', 'Div']);
/** Activations that become a QTable, whose output quantization is free. */
const TABLE_OPS = new Set(['LeakyRelu', 'Sigmoid', 'Tanh', 'HardSigmoid', 'HardSwish', 'Selu', 'Elu']);
/** Ops on codes that commute with a clamp: clamp(op(x)) = op(clamp(x)). */
const CLAMP_COMMUTES = new Set(['MaxPool', 'GlobalMaxPool', 'Reshape', 'Transpose']);

export interface FusionPlan {
  readonly host: ReadonlySet<Node>;
  /** Producer -> the Relu/Clip folded into it. */
  readonly fused: ReadonlyMap<Node, UnaryNode>;
  readonly fusedNodes: ReadonlySet<Node>;
  /** Producer -> a Relu/Clip folded into it from behind max pools or reshapes (the producer keeps its output). */
  readonly clampedThrough: ReadonlyMap<Node, UnaryNode>;
  /** Those Relu/Clip nodes: their output is their input's codes. */
  readonly vanished: ReadonlySet<Node>;
  /** Mul -> the activation it gates its other input with. */
  readonly gated: ReadonlyMap<Node, UnaryNode>;
  readonly gates: ReadonlySet<Node>;
  /** Float value -> the Concat whose output quantization it takes. */
  readonly takesConcatQuant: ReadonlyMap<string, Node>;
}

/** What a QONNX model's quantizers claim (src/passes/quantize-qonnx.ts): nodes no clamp or gate folds into (layers
 *  before a quantizer and the float ops up to it), and float ops after the last quantizer that run on the host. */
export interface QuantizerClaims {
  readonly exclude: ReadonlySet<Node>;
  readonly hostTail: (n: Node) => boolean;
}

export function planFusions(graph: Graph, consumers: ReadonlyMap<string, readonly Node[]>, claims: QuantizerClaims = { exclude: new Set(), hostTail: () => false }): FusionPlan {
  const readBy = (v: string) => consumers.get(v) ?? [];
  const readAlone = (v: string) => readBy(v).length === 1 && !graph.outputs.includes(v);
  const producer = new Map<string, Node>();
  for (const n of graph.nodes) for (const o of n.outputs) producer.set(o, n);

  const host = new Set<Node>();
  for (const n of [...graph.nodes].reverse()) {
    const outsHostOnly = n.outputs.every((o) => readBy(o).every((c) => host.has(c)));
    if (outsHostOnly && (HOST_OPS.has(n.op) || claims.hostTail(n) || (n.op === 'Reshape' && readBy(n.outputs[0]!).length > 0))) host.add(n);
  }

  const fused = new Map<Node, UnaryNode>();
  for (const n of graph.nodes) {
    const a = readBy(n.outputs[0]!)[0];
    if (FUSING_OPS.has(n.op) && !host.has(n) && !claims.exclude.has(n) && readAlone(n.outputs[0]!) && a && (a.op === 'Relu' || a.op === 'Clip')) fused.set(n, a as UnaryNode);
  }
  const fusedNodes = new Set<Node>(fused.values());
  const clampedThrough = new Map<Node, UnaryNode>();
  for (const r of graph.nodes) {
    if ((r.op !== 'Relu' && r.op !== 'Clip') || fusedNodes.has(r) || host.has(r) || claims.exclude.has(r) || graph.outputs.includes(r.outputs[0]!)) continue;
    let v = r.inputs[0]!, p = producer.get(v);
    while (p && CLAMP_COMMUTES.has(p.op) && readAlone(v)) [v, p] = [p.inputs[0]!, producer.get(p.inputs[0]!)];
    if (p && v !== r.inputs[0] && FUSING_OPS.has(p.op) && !host.has(p) && readAlone(v) && !fused.has(p) && !clampedThrough.has(p)) clampedThrough.set(p, r);
  }

  const gated = new Map<Node, UnaryNode>();
  for (const n of graph.nodes) {
    if (n.op !== 'Mul' || host.has(n) || claims.exclude.has(n)) continue;
    const k = [0, 1].find((i) => {
      const a = producer.get(n.inputs[i]!);
      return a !== undefined && TABLE_OPS.has(a.op) && a.inputs[0] === n.inputs[1 - i] && readAlone(n.inputs[i]!);
    });
    if (k !== undefined) gated.set(n, producer.get(n.inputs[k]!) as UnaryNode);
  }

  const takesConcatQuant = new Map<string, Node>();
  for (const n of graph.nodes) {
    if (n.op !== 'Concat' || host.has(n) || graph.values.get(n.outputs[0]!)!.quant) continue;
    for (const v of n.inputs) {
      const p = producer.get(v);
      const requantizes = p !== undefined && (FUSING_OPS.has(p.op) || TABLE_OPS.has(p.op) || fusedNodes.has(p) || p.op === 'LRN');
      if (requantizes && readAlone(v) && !graph.values.get(v)!.quant) takesConcatQuant.set(v, n);
    }
  }
  return { host, fused, fusedNodes, clampedThrough, vanished: new Set(clampedThrough.values()), gated, gates: new Set(gated.values()), takesConcatQuant };
}
