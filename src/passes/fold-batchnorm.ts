/** Fold a per-channel affine op (an imported BatchNormalization) into the Conv or Gemm that feeds it.
 *  Why: one op fewer in hardware, and equal in real arithmetic, so it runs before quantization.
 *  Assumes: the Conv/Gemm output feeds only the affine op and is not a graph output; weights (and bias, if any) are
 *  constants. Anything else keeps the affine op, which the golden model and later stages execute as it is. */
import type { ChannelAffineNode, ConvNode, GemmNode, Graph, Node, Tensor } from '../ir/types.js';
import { makeTensor, sizeOf } from '../ir/types.js';
import { broadcastIndex } from '../golden/broadcast.js';
import type { Pass, PassResult } from './pass.js';
import { rebuildGraph } from './rewrite.js';

export const foldBatchNorm: Pass = {
  name: 'fold-batchnorm',
  summary: 'fold BatchNormalization (per-channel affine) into the preceding Conv/Gemm',
  run,
};

function run(graph: Graph): PassResult {
  const consumers = new Map<string, number>();
  for (const n of graph.nodes) for (const i of n.inputs) consumers.set(i, (consumers.get(i) ?? 0) + 1);
  const producer = new Map<string, Node>();
  for (const n of graph.nodes) for (const o of n.outputs) producer.set(o, n);
  const constants = new Map(graph.constants);
  const replaced = new Map<Node, Node>();
  const removed = new Set<Node>();
  for (const n of graph.nodes) {
    if (n.op !== 'ChannelAffine') continue;
    const prev = producer.get(n.inputs[0]!);
    if (!prev || (prev.op !== 'Conv' && prev.op !== 'Gemm') || replaced.has(prev)) continue;
    if (consumers.get(prev.outputs[0]!) !== 1 || graph.outputs.includes(prev.outputs[0]!)) continue;
    const folded = prev.op === 'Conv' ? foldIntoConv(prev, n, constants) : foldIntoGemm(prev, n, constants, graph);
    if (!folded) continue;
    replaced.set(prev, folded);
    removed.add(n);
  }
  if (removed.size === 0) return { graph, stats: { folded: 0 } };
  const nodes = graph.nodes.filter((n) => !removed.has(n)).map((n) => replaced.get(n) ?? n);
  return { graph: rebuildGraph(graph, nodes, constants), stats: { folded: removed.size } };
}

function params(bn: ChannelAffineNode, constants: Map<string, Tensor>) {
  const s = constants.get(bn.inputs[1]!), t = constants.get(bn.inputs[2]!);
  return s && t ? { s: s.data, t: t.data } : undefined;
}

/** W'[m, ...] = W[m, ...] * s[m];  b'[m] = b[m] * s[m] + t[m]. */
function foldIntoConv(conv: ConvNode, bn: ChannelAffineNode, constants: Map<string, Tensor>): Node | undefined {
  const w = constants.get(conv.inputs[1]!), p = params(bn, constants);
  const b = conv.inputs[2] ? constants.get(conv.inputs[2]) : undefined;
  if (!w || !p || w.dtype !== 'float32' || (conv.inputs[2] && !b)) return undefined;
  const M = w.shape[0]!, per = sizeOf(w.shape) / M;
  const w2 = makeTensor('float32', w.shape), b2 = makeTensor('float32', [M]);
  for (let m = 0; m < M; m++) {
    for (let i = 0; i < per; i++) w2.data[m * per + i] = w.data[m * per + i]! * p.s[m]!;
    b2.data[m] = (b ? b.data[m]! : 0) * p.s[m]! + p.t[m]!;
  }
  const [wName, bName] = [`${conv.name}.weight_bn`, `${conv.name}.bias_bn`];
  constants.set(wName, w2);
  constants.set(bName, b2);
  return { ...conv, inputs: [conv.inputs[0]!, wName, bName], outputs: bn.outputs };
}

/** Gemm computes Y[i, j] = alpha * (A B)[i, j] + beta * C[i, j]; scaling column j by s[j] scales B's column j
 *  (row j when transB), and C' = beta * C * s + t with beta' = 1. */
function foldIntoGemm(gemm: GemmNode, bn: ChannelAffineNode, constants: Map<string, Tensor>, graph: Graph): Node | undefined {
  const w = constants.get(gemm.inputs[1]!), p = params(bn, constants);
  const c = gemm.inputs[2] ? constants.get(gemm.inputs[2]) : undefined;
  if (!w || !p || w.dtype !== 'float32' || (gemm.inputs[2] && !c)) return undefined;
  const [K, N] = gemm.attrs.transB ? [w.shape[1]!, w.shape[0]!] : [w.shape[0]!, w.shape[1]!];
  const w2 = makeTensor('float32', w.shape);
  for (let k = 0; k < K; k++)
    for (let j = 0; j < N; j++) {
      const idx = gemm.attrs.transB ? j * K + k : k * N + j;
      w2.data[idx] = w.data[idx]! * p.s[j]!;
    }
  const M = graph.values.get(gemm.outputs[0]!)!.shape[0]!;
  const cIndex = c ? broadcastIndex(c.shape, [M, N]) : undefined;
  const cAt = (i: number, j: number) => (c && cIndex ? c.data[cIndex[i * N + j]!]! : 0);
  // Keep the bias one row (per column) unless C differs between rows.
  let perRow = false;
  for (let i = 1; i < M && !perRow; i++) for (let j = 0; j < N; j++) if (cAt(i, j) !== cAt(0, j)) perRow = true;
  const c2 = makeTensor('float32', perRow ? [M, N] : [N]);
  for (let i = 0; i < (perRow ? M : 1); i++)
    for (let j = 0; j < N; j++) c2.data[i * N + j] = gemm.attrs.beta * cAt(i, j) * p.s[j]! + p.t[j]!;
  const [wName, cName] = [`${gemm.name}.weight_bn`, `${gemm.name}.bias_bn`];
  constants.set(wName, w2);
  constants.set(cName, c2);
  return { ...gemm, attrs: { ...gemm.attrs, beta: 1 }, inputs: [gemm.inputs[0]!, wName, cName], outputs: bn.outputs };
}
