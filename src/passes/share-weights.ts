/** Weight sharing with optional magnitude pruning (Dupuis et al., DATE 2020 / DDECS 2020; docs/sharing.md).
 *  Why: a layer that stores a few-bit index per weight plus a small codebook needs a fraction of the weight memory.
 *  What: for each Conv/Gemm/QConv/QGemm with constant weights, optionally sets the `prune` fraction of its
 *  smallest-magnitude weights to zero (0.0, or the channel's zero-point code), then clusters the weights of each
 *  group (network, layer, output channel or kernel) by exact 1-D k-means (./kmeans1d.ts: weighted means on float
 *  layers, integer centroids on code layers) and replaces every weight by its centroid. With pruning the zero is
 *  entry 0 of every codebook and the other weights form at most K-1 clusters. The weight tensor keeps the decoded
 *  values and the node records `sharing` (src/ir/sharing.ts), so the golden models need no change.
 *  Assumes: weights are constants (MatMul layers are left alone; quantize turns them into QGemm, share after that). */
import { userError } from '../errors.js';
import { codeRange, quantize, type AffineQuant, type QuantScheme } from '../ir/arith.js';
import { indexBitsFor, isShareable, weightGroups, zeroOf, type ShareableNode } from '../ir/sharing.js';
import type { ConvNode, GemmNode, Graph, Node, QLinearAttrs, SharingGranularity, Tensor, ValueInfo, WeightSharing } from '../ir/types.js';
import { makeTensor } from '../ir/types.js';
import { histogramOf, kmeans1dMany, type CentroidRule } from './kmeans1d.js';
import type { Pass, PassResult } from './pass.js';

export interface LayerShareConfig {
  /** Codebook entries per group (the zero included when pruning). */
  readonly clusters: number;
  readonly granularity: SharingGranularity;
  /** Fraction of the layer's weights (smallest magnitudes) set to zero, in [0, 1). */
  readonly prune?: number;
}

export interface ShareOptions extends LayerShareConfig {
  /** Per-layer settings (by node name) that replace the defaults above; `network` granularity cannot be mixed. */
  readonly layers?: ReadonlyMap<string, LayerShareConfig>;
}

/** One shared layer: decoded weights, the attribute, and its clustering error. */
export interface SharedLayer {
  readonly weights: Tensor;
  readonly sharing: WeightSharing;
  /** Sum of squared differences between the original and the shared weights (weight units: codes or floats). */
  readonly sse: number;
  /** Sum of squared deviations of the original weights from their mean (normalises sse). */
  readonly spread: number;
  readonly prunedWeights: number;
}

export const shareWeights: Pass<ShareOptions> = {
  name: 'share-weights',
  summary: 'cluster each layer\'s weights into codebooks (exact 1-D k-means), with optional magnitude pruning',
  run: (graph, options) => {
    if (!options) throw new Error('internal error: share-weights needs a cluster count and a granularity');
    return run(graph, options);
  },
};

function run(graph: Graph, opts: ShareOptions): PassResult {
  const layers = graph.nodes.filter((n): n is ShareableNode => isShareable(n) && graph.constants.has(n.inputs[1]!));
  if (layers.length === 0) throw userError('E_USAGE', `${graph.name}: no Conv/Gemm layer with constant weights to share`);
  const configOf = (n: ShareableNode): LayerShareConfig => opts.layers?.get(n.name) ?? opts;
  const configs = layers.map(configOf);
  const network = configs.filter((c) => c.granularity === 'network').length;
  if (network > 0 && network < layers.length) throw userError('E_USAGE', 'network granularity shares one codebook across every layer; it cannot be mixed with per-layer granularities');
  const shared = new Map<string, SharedLayer>();
  if (network > 0) shareNetwork(graph, layers, opts).forEach((s, i) => shared.set(layers[i]!.name, s));
  else layers.forEach((n, i) => shared.set(n.name, shareLayer(n, graph.constants.get(n.inputs[1]!)!, configs[i]!)));
  const result = withSharedLayers(graph, shared);
  let groups = 0, pruned = 0;
  for (const s of shared.values()) [groups, pruned] = [groups + s.sharing.codebooks.length, pruned + s.prunedWeights];
  return { graph: result, stats: { layers: shared.size, groups, prunedWeights: pruned } };
}

/** The graph with each named layer's weights replaced by its shared weights and its `sharing` attribute set.
 *  A weight constant read by several nodes is copied under a new name for the shared one. */
export function withSharedLayers(graph: Graph, shared: ReadonlyMap<string, Pick<SharedLayer, 'weights' | 'sharing'>>): Graph {
  if (shared.size === 0) return graph;
  const readers = new Map<string, number>();
  for (const n of graph.nodes) for (const i of n.inputs) readers.set(i, (readers.get(i) ?? 0) + 1);
  const constants = new Map(graph.constants);
  const values = new Map<string, ValueInfo>(graph.values);
  const nodes = graph.nodes.map((n): Node => {
    const s = shared.get(n.name);
    if (!s || !isShareable(n)) return n;
    const old = n.inputs[1]!;
    const name = readers.get(old)! > 1 ? `${n.name}.shared_weights` : old;
    constants.set(name, s.weights);
    values.set(name, { ...values.get(old)!, name });
    return { ...n, inputs: [n.inputs[0]!, name, ...n.inputs.slice(2)], attrs: { ...n.attrs, sharing: s.sharing } } as Node;
  });
  return { ...graph, nodes, constants, values };
}

export function centroidRule(n: ShareableNode): CentroidRule {
  return n.op === 'QConv' || n.op === 'QGemm' ? 'integer' : 'mean';
}

/** Shares one layer at layer, channel or kernel granularity. */
export function shareLayer(n: ShareableNode, w: Tensor, cfg: LayerShareConfig): SharedLayer {
  if (cfg.granularity === 'network') throw new Error('internal error: network sharing spans layers (shareNetwork)');
  if (cfg.prune && cfg.granularity === 'layer' && new Set(n.op === 'QConv' || n.op === 'QGemm' ? n.attrs.wZeroPoint : [0]).size > 1)
    throw userError('E_USAGE', `layer '${n.name}' has a zero point per output channel, so one layer codebook cannot hold its zero; prune at --granularity channel or kernel, or quantize with --scheme signed`);
  const { data, prunedWeights } = pruned(n, w, cfg.prune ?? 0);
  const groups = weightGroups(n, w.shape, cfg.granularity);
  const members: number[][] = Array.from({ length: groups.count }, () => []);
  for (let i = 0; i < data.length; i++) members[groups.groupOf(i)]!.push(i);
  const out = new Float64Array(data.length);
  let sse = 0;
  const codebooks = members.map((idx) => {
    const zero = cfg.prune ? zeroOf(n, groups.channelOf(idx[0]!)) : undefined;
    const r = clusterGroup(n, idx.map((i) => data[i]!), cfg.clusters, zero, groupName(n, cfg.granularity, groups.count));
    idx.forEach((i, k) => (out[i] = r.decoded[k]!));
    return r.codebook;
  });
  for (let i = 0; i < data.length; i++) sse += (out[i]! - w.data[i]!) ** 2;
  return finish(n, w, out, codebooks, cfg, sse, prunedWeights);
}

/** Network granularity: one codebook for the weights of every layer (each layer pruned on its own first). */
function shareNetwork(graph: Graph, layers: readonly ShareableNode[], opts: LayerShareConfig): SharedLayer[] {
  const prunedLayers = layers.map((n) => pruned(n, graph.constants.get(n.inputs[1]!)!, opts.prune ?? 0));
  const rules = new Set(layers.map(centroidRule));
  if (rules.size > 1) throw userError('E_USAGE', 'network granularity needs all layers float or all quantized; this graph mixes them');
  let zero: number | undefined;
  if (opts.prune) {
    const zeros = new Set(layers.flatMap((n) => (n.op === 'QConv' || n.op === 'QGemm' ? n.attrs.wZeroPoint : [0])));
    if (zeros.size > 1) throw userError('E_USAGE', `network granularity with --prune needs one zero code in every layer, these layers have zero points ${[...zeros].join(', ')}; use --granularity channel or kernel, or quantize with --scheme signed`);
    zero = [...zeros][0]!;
  }
  const all = prunedLayers.flatMap((p) => Array.from(p.data));
  const r = clusterGroup(layers[0]!, all, opts.clusters, zero, 'the network');
  let at = 0;
  return layers.map((n, l) => {
    const w = graph.constants.get(n.inputs[1]!)!;
    const out = Float64Array.from(r.decoded.slice(at, (at += w.data.length)));
    let sse = 0;
    for (let i = 0; i < out.length; i++) sse += (out[i]! - w.data[i]!) ** 2;
    return finish(n, w, out, [r.codebook], opts, sse, prunedLayers[l]!.prunedWeights);
  });
}

function finish(n: ShareableNode, w: Tensor, decoded: Float64Array, codebooks: number[][], cfg: LayerShareConfig, sse: number, prunedWeights: number): SharedLayer {
  const weights = makeTensor(w.dtype, w.shape);
  weights.data.set(decoded);
  let mean = 0, spread = 0;
  for (const v of w.data) mean += v / w.data.length;
  for (const v of w.data) spread += (v - mean) ** 2;
  const indexBits = indexBitsFor(Math.max(...codebooks.map((c) => c.length)));
  const sharing: WeightSharing = { granularity: cfg.granularity, indexBits, codebooks, ...(cfg.prune ? { pruned: cfg.prune } : {}) };
  if (indexBits > 16) throw userError('E_USAGE', `layer '${n.name}': ${Math.max(...codebooks.map((c) => c.length))} codebook entries need ${indexBits}-bit indices, more than 16; use fewer clusters`);
  return { weights, sharing, sse, spread, prunedWeights };
}

function groupName(n: ShareableNode, g: SharingGranularity, count: number): string {
  return g === 'layer' ? `layer '${n.name}'` : `each of the ${count} ${g}s of layer '${n.name}'`;
}

interface GroupResult {
  readonly codebook: number[];
  /** Decoded weight of each member, in the order given. */
  readonly decoded: number[];
}

/** Clusters one group's values into at most k entries (with `zero`: the zero is entry 0 and the rest go into k - 1
 *  clusters). Float centroids are rounded to float32, the precision the weight tensor stores. */
function clusterGroup(n: ShareableNode, values: readonly number[], k: number, zero: number | undefined, where: string): GroupResult {
  if (!(Number.isInteger(k) && k >= 1)) throw userError('E_USAGE', `--clusters ${k} must be a positive integer`);
  if (k > values.length) throw userError('E_USAGE', `--clusters ${k} is more than the ${values.length} weights of ${where}; use at most ${values.length} clusters or a coarser granularity`);
  if (zero !== undefined && k < 2) throw userError('E_USAGE', '--prune needs --clusters 2 or more (one entry is the zero)');
  const rest = zero === undefined ? values : values.filter((v) => v !== zero);
  const rule = centroidRule(n);
  const codebook: number[] = zero === undefined ? [] : [zero];
  const centroidOf = new Map<number, number>();
  if (rest.length > 0) {
    const h = histogramOf(rest);
    const c = kmeans1dMany(h, [Math.min(zero === undefined ? k : k - 1, h.values.length)], rule)[0]!;
    c.ends.forEach((end, ci) => {
      const centroid = rule === 'mean' ? Math.fround(c.centroids[ci]!) : c.centroids[ci]!;
      if (!codebook.includes(centroid)) codebook.push(centroid);
      for (let b = ci === 0 ? 0 : c.ends[ci - 1]!; b < end; b++) centroidOf.set(h.values[b]!, centroid);
    });
  }
  return { codebook, decoded: values.map((v) => (v === zero ? v : centroidOf.get(v)!)) };
}

/** The layer's weights with the `fraction` of smallest real magnitude set to zero (ties broken by position). */
function pruned(n: ShareableNode, w: Tensor, fraction: number): { data: Float64Array; prunedWeights: number } {
  if (!(fraction >= 0 && fraction < 1)) throw userError('E_USAGE', `--prune ${fraction} must be a fraction in [0, 1)`);
  const data = Float64Array.from(w.data);
  const count = Math.floor(fraction * data.length);
  if (count === 0) return { data, prunedWeights: 0 };
  const groups = weightGroups(n, w.shape, 'channel');
  const scale = (i: number) => (n.op === 'QConv' || n.op === 'QGemm' ? n.attrs.wScale[n.attrs.wScale.length === 1 ? 0 : groups.channelOf(i)]! : 1);
  const magnitude = (i: number) => Math.abs(data[i]! - zeroOf(n, groups.channelOf(i))) * scale(i);
  const order = Array.from(data.keys()).sort((a, b) => magnitude(a) - magnitude(b) || a - b);
  for (const i of order.slice(0, count)) data[i] = zeroOf(n, groups.channelOf(i));
  return { data, prunedWeights: count };
}

/** The sharing of a float Conv/Gemm after quantization to the QConv/QGemm attributes `q` (codes of `scheme`): each
 *  codebook entry becomes the code its float value quantizes to, exactly as quantizeWeights codes the weights (Gemm
 *  weights are alpha * B rounded to float32 first), so every code stays in its codebook. Codes of a channel depend on
 *  that channel's scale and zero point: a network or layer codebook becomes one per channel unless all channels share
 *  them, and a network codebook at least one per layer. Entries that quantize to one code are merged. */
export function quantizeSharing(n: ConvNode | GemmNode, wShape: readonly number[], q: QLinearAttrs, scheme: QuantScheme): WeightSharing | undefined {
  const s = n.attrs.sharing;
  if (!s) return undefined;
  const { qmin, qmax } = codeRange(q.wBits, scheme);
  const channels = n.op === 'Conv' || n.attrs.transB ? wShape[0]! : wShape[1]!;
  const paramsOf = (m: number): AffineQuant => ({ scale: q.wScale[q.wScale.length === 1 ? 0 : m]!, zeroPoint: q.wZeroPoint[q.wZeroPoint.length === 1 ? 0 : m]!, bits: q.wBits, scheme, qmin, qmax });
  const uniform = new Set(q.wScale).size === 1 && new Set(q.wZeroPoint).size === 1;
  const granularity: SharingGranularity = s.granularity === 'kernel' || s.granularity === 'channel' ? s.granularity : uniform ? 'layer' : 'channel';
  const perChannel = granularity === 'kernel' && n.op === 'Conv' ? wShape[1]! : 1;
  const count = granularity === 'layer' ? 1 : channels * perChannel;
  const alpha = n.op === 'Gemm' ? n.attrs.alpha : 1;
  const codebooks = Array.from({ length: count }, (_, g) => {
    const source = s.codebooks[s.codebooks.length === 1 ? 0 : g]!;
    const p = paramsOf(Math.floor(g / perChannel));
    return [...new Set(source.map((c) => quantize(n.op === 'Gemm' ? Math.fround(alpha * c) : c, p)))];
  });
  return { granularity, indexBits: indexBitsFor(Math.max(...codebooks.map((c) => c.length))), codebooks, ...(s.pruned !== undefined ? { pruned: s.pruned } : {}) };
}
