/** The float golden model: evaluates IR nodes on float32 tensors (float64 accumulation inside kernels).
 *  `evalNode` is also the importer's constant folder, so folding and running can never disagree. */
import { userError } from '../errors.js';
import type { Graph, Node, Tensor, ValueInfo } from '../ir/types.js';
import { formatShape } from '../ir/types.js';
import { conv } from './conv.js';
import { broadcastFold, channelAffine, unary } from './elementwise.js';
import { gemm, matmul } from './gemm.js';
import { cast, concat, gather, pad, reshape, slice, split, transpose } from './layout.js';
import { globalPool, lrn, pool, reduceMean } from './pool.js';
import { dequantizeLinear, quantizeLinear } from './quantize.js';
import { softmax } from './softmax.js';
import { qaveragePool, qmul, qsum, qtable } from './integer/qelementwise.js';
import { qlrn } from './integer/qlrn.js';
import { qconv, qgemm } from './integer/qlinear.js';
import { qthreshold } from './integer/qthreshold.js';
import { bipolarQuant, multiThreshold, quant, trunc } from './qonnx.js';
import { castInput } from './wordlength/cast.js';
import { tunedConv, tunedGemm } from './wordlength/linear.js';

/** What the integer layers need from outside the graph: the product table of a library multiplier by id. */
export interface EvalContext {
  readonly productTable: (multiplierId: string) => Int32Array;
}

const NO_MULTIPLIERS: EvalContext = {
  productTable: (id) => {
    throw userError('E_MULT', `the graph uses multiplier '${id}' but no multiplier library was given to the golden model`);
  },
};

/** Evaluates one node; `outShapes` are the inferred output shapes (from `inferOutputs`). */
export function evalNode(node: Node, ins: readonly Tensor[], outShapes: readonly (readonly number[])[], ctx: EvalContext = NO_MULTIPLIERS): Tensor[] {
  const x = ins[0]!;
  const shape = outShapes[0]!;
  switch (node.op) {
    case 'QConv':
      return [qconv(node, x, ins[1]!, ins[2]!, shape, node.attrs.multiplier === undefined ? undefined : ctx.productTable(node.attrs.multiplier))];
    case 'QGemm':
      return [qgemm(node, x, ins[1]!, ins[2]!, shape, node.attrs.multiplier === undefined ? undefined : ctx.productTable(node.attrs.multiplier))];
    case 'QSum':
      return [qsum(node, ins, shape)];
    case 'QTable':
      return [qtable(node, x)];
    case 'QLrn':
      return [qlrn(node, x)];
    case 'QMul':
      return [qmul(node, x, ins[1]!, shape)];
    case 'QAveragePool':
      return [qaveragePool(node, x, shape)];
    case 'QThreshold':
      return [qthreshold(node, x, ins[1]!)];
    case 'Quant':
      return [quant(node, x, ins[1]!, ins[2]!)];
    case 'BipolarQuant':
      return [bipolarQuant(node, x, ins[1]!)];
    case 'Trunc':
      return [trunc(node, x, ins[1]!, ins[2]!, ins[3])];
    case 'MultiThreshold':
      return [multiThreshold(node, x, ins[1]!)];
    case 'Conv':
      return [node.attrs.formats ? tunedConv(node, node.attrs.formats, x, ins[1]!, ins[2], shape) : conv(node, x, ins[1]!, ins[2], shape)];
    case 'Gemm':
      return [node.attrs.formats ? tunedGemm(node, node.attrs.formats, x, ins[1]!, ins[2], shape) : gemm(node, x, ins[1]!, ins[2], shape)];
    case 'MatMul':
      return [matmul(x, ins[1]!, shape)];
    case 'Add':
    case 'Sub':
    case 'Mul':
    case 'Div':
    case 'Sum':
    case 'Max':
    case 'Min':
      return [broadcastFold(node.op, ins, shape)];
    case 'Relu':
    case 'LeakyRelu':
    case 'Clip':
    case 'Sigmoid':
    case 'Tanh':
    case 'HardSigmoid':
    case 'HardSwish':
    case 'Selu':
    case 'Elu':
      return [unary(node, x)];
    case 'ReduceMean':
      return [reduceMean(x, node.attrs.axes, shape)];
    case 'ChannelAffine':
      return [channelAffine(x, ins[1]!, ins[2]!)];
    case 'Softmax':
    case 'LogSoftmax':
      return [softmax(node, x)];
    case 'MaxPool':
    case 'AveragePool':
      return [pool(node, x, shape)];
    case 'GlobalAveragePool':
    case 'GlobalMaxPool':
      return [globalPool(node.op, x, shape)];
    case 'LRN':
      return [lrn(node, x)];
    case 'Reshape':
      return [reshape(x, shape)];
    case 'Transpose':
      return [transpose(x, node.attrs.perm)];
    case 'Concat':
      return [concat(ins, node.attrs.axis, shape)];
    case 'Split':
      return split(x, node.attrs.axis, node.attrs.sizes);
    case 'Slice':
      return [slice(node, x)];
    case 'Pad':
      return [pad(node, x, shape)];
    case 'Gather':
      return [gather(x, ins[1]!, node.attrs.axis, shape)];
    case 'QuantizeLinear':
      return [quantizeLinear(node.attrs.quant, x)];
    case 'DequantizeLinear':
      return [dequantizeLinear(node.attrs.quant, x)];
    case 'Cast':
      return [cast(x, node.attrs.to)];
    default: {
      const exhaustive: never = node;
      return exhaustive;
    }
  }
}

/** Checks a feed against the graph input it binds: same dtype and shape, one clear error otherwise. */
export function checkFeed(info: ValueInfo, t: Tensor, where: string): void {
  if (t.dtype !== info.dtype || t.shape.length !== info.shape.length || t.shape.some((d, i) => d !== info.shape[i]))
    throw userError(
      'E_DATASET',
      `${where}: input '${info.name}' needs ${info.dtype} ${formatShape(info.shape)}, got ${t.dtype} ${formatShape(t.shape)}`,
    );
}

/** Runs the graph on one set of feeds (one per graph input, shapes exactly as declared); returns every value
 *  computed, so callers can read outputs or intermediate tensors. */
export function runGraph(graph: Graph, feeds: ReadonlyMap<string, Tensor>, ctx?: EvalContext): Map<string, Tensor> {
  const env = new Map<string, Tensor>(graph.constants);
  for (const info of graph.inputs) {
    const t = feeds.get(info.name);
    if (!t) throw userError('E_USAGE', `no data for graph input '${info.name}' (${info.dtype} ${formatShape(info.shape)})`);
    checkFeed(info, t, 'run');
    // A word-length-tuned graph casts its input into the input's format on entry (ir/arithmetic.md section 6).
    const format = graph.values.get(info.name)?.format;
    env.set(info.name, format ? castInput(t, format) : t);
  }
  for (const node of graph.nodes) {
    const ins = node.inputs.map((n) => (n === '' ? undefined : env.get(n)));
    const outShapes = node.outputs.map((o) => graph.values.get(o)!.shape);
    const outs = evalNode(node, ins as Tensor[], outShapes, ctx);
    node.outputs.forEach((o, i) => env.set(o, outs[i]!));
  }
  return env;
}

/** Runs nodes[from..to) over `env` (which must hold every tensor they read that earlier nodes produce) and adds their
 *  outputs to it: the approximate-design evaluator restarts the graph at the first layer it changed. */
export function runNodes(graph: Graph, env: Map<string, Tensor>, from: number, ctx?: EvalContext, to = graph.nodes.length): Map<string, Tensor> {
  for (let k = from; k < to; k++) {
    const node = graph.nodes[k]!;
    const ins = node.inputs.map((n) => env.get(n) ?? graph.constants.get(n)!);
    const outs = evalNode(node, ins, node.outputs.map((o) => graph.values.get(o)!.shape), ctx);
    node.outputs.forEach((o, i) => env.set(o, outs[i]!));
  }
  return env;
}

/** The graph's outputs, in order. */
export function runOutputs(graph: Graph, feeds: ReadonlyMap<string, Tensor>, ctx?: EvalContext): Tensor[] {
  const env = runGraph(graph, feeds, ctx);
  return graph.outputs.map((o) => env.get(o)!);
}
