/** Mul, Add, Sub and Div of an activation by a constant that varies along the channel dimension only become one
 *  per-channel affine op (ChannelAffine: y = x * scale[c] + shift[c]); a run of them merges into one.
 *  Why: exporters write BatchNormalization as Mul then Add (DenseNet-121, Inception v2) and scale channels with
 *  per-channel constants; as a ChannelAffine, fold-batchnorm (which runs next) folds it into a preceding Conv/Gemm
 *  exactly (in real arithmetic), and one that cannot fold has an integer form (a depthwise 1x1 QConv).
 *  A scalar constant is taken too when the activation comes straight from a Conv, Gemm or ChannelAffine it can fold
 *  into; otherwise a scalar stays a Mul/Add (its integer form, a QSum, is cheaper than a convolution).
 *  Assumes: the activation has rank >= 2 with channels on dimension 1 (NCHW, or [N, C]); the constant broadcasts
 *  to it with every dimension but 1 of size 1; Div divides the activation by the constant (not the reverse). */
import type { Graph, Node, Tensor } from '../ir/types.js';
import { makeTensor } from '../ir/types.js';
import type { Pass, PassResult } from './pass.js';
import { rebuildGraph } from './rewrite.js';

export const channelConstants: Pass = { name: 'channel-constants', summary: 'per-channel Mul/Add/Sub/Div by constants -> ChannelAffine', run };

const FOLDS_INTO = new Set(['Conv', 'Gemm', 'ChannelAffine']);

function run(graph: Graph): PassResult {
  const readers = new Map<string, number>();
  for (const n of graph.nodes) for (const i of n.inputs) readers.set(i, (readers.get(i) ?? 0) + 1);
  const constants = new Map(graph.constants);
  const producer = new Map<string, Node>();
  const out: Node[] = [];
  let affines = 0, merged = 0;
  for (const n of graph.nodes) {
    const a = affineOf(n, graph, producer, readers);
    if (!a) {
      out.push(n);
      for (const o of n.outputs) producer.set(o, n);
      continue;
    }
    const prev = producer.get(a.x);
    const single = (readers.get(a.x) ?? 0) === 1 && !graph.outputs.includes(a.x);
    let node: Node;
    if (prev?.op === 'ChannelAffine' && single) {
      // (x * s1 + t1) * s + t = x * (s1 s) + (t1 s + t)
      const s1 = constants.get(prev.inputs[1]!)!, t1 = constants.get(prev.inputs[2]!)!;
      const s = makeTensor('float32', [a.C], Float32Array.from({ length: a.C }, (_, c) => s1.data[c]! * a.scale[c]!));
      const t = makeTensor('float32', [a.C], Float32Array.from({ length: a.C }, (_, c) => t1.data[c]! * a.scale[c]! + a.shift[c]!));
      node = affineNode(prev.name, prev.inputs[0]!, n.outputs[0]!, s, t, constants);
      out.splice(out.indexOf(prev), 1);
      merged++;
    } else {
      node = affineNode(n.name, a.x, n.outputs[0]!, makeTensor('float32', [a.C], a.scale), makeTensor('float32', [a.C], a.shift), constants);
      affines++;
    }
    out.push(node);
    producer.set(n.outputs[0]!, node);
  }
  if (affines === 0) return { graph, stats: { affines: 0, merged: 0 } };
  return { graph: rebuildGraph(graph, out, constants), stats: { affines, merged } };
}

function affineNode(name: string, x: string, y: string, s: Tensor, t: Tensor, constants: Map<string, Tensor>): Node {
  const [sName, tName] = [`${name}.affine_scale`, `${name}.affine_shift`];
  constants.set(sName, s);
  constants.set(tName, t);
  return { name, op: 'ChannelAffine', attrs: {}, inputs: [x, sName, tName], outputs: [y] };
}

/** The per-channel scale and shift of an elementwise op by a channel constant, or undefined if it is not one. */
function affineOf(n: Node, graph: Graph, producer: ReadonlyMap<string, Node>, readers: ReadonlyMap<string, number>) {
  if (n.op !== 'Mul' && n.op !== 'Add' && n.op !== 'Sub' && n.op !== 'Div') return undefined;
  const k = graph.constants.has(n.inputs[1]!) ? 1 : graph.constants.has(n.inputs[0]!) ? 0 : -1;
  if (k < 0 || (k === 0 && (n.op === 'Sub' || n.op === 'Div'))) return undefined;
  const x = n.inputs[1 - k]!, c = graph.constants.get(n.inputs[k]!)!;
  const xs = graph.values.get(x)!.shape, ys = graph.values.get(n.outputs[0]!)!.shape;
  if (c.dtype !== 'float32' || xs.length < 2 || ys.length !== xs.length || ys.some((d, i) => d !== xs[i])) return undefined;
  const C = xs[1]!;
  // The constant, aligned to x's rank, must have size 1 everywhere but dimension 1 (C or 1).
  const cs = [...Array<number>(xs.length - c.shape.length).fill(1), ...c.shape];
  if (cs.length !== xs.length || cs.some((d, i) => d !== 1 && !(i === 1 && d === C))) return undefined;
  const scalar = c.data.length === 1;
  if (scalar) {
    const p = producer.get(x);
    if (!p || !FOLDS_INTO.has(p.op) || (readers.get(x) ?? 0) !== 1 || graph.outputs.includes(x)) return undefined;
  }
  const v = (ch: number) => c.data[scalar ? 0 : ch]!;
  const scale = new Float32Array(C).fill(1), shift = new Float32Array(C);
  for (let ch = 0; ch < C; ch++) {
    if (n.op === 'Mul') scale[ch] = v(ch);
    else if (n.op === 'Div') scale[ch] = 1 / v(ch);
    else if (n.op === 'Add') shift[ch] = v(ch);
    else shift[ch] = -v(ch);
  }
  return { x, C, scale, shift };
}
