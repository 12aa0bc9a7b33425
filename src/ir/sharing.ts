/** Weight sharing as the later stages see it (ir/README.md, docs/sharing.md): which weights form a group at each
 *  granularity, the index of every weight in its group's codebook (what the HLS and Verilog emitters store), and the
 *  memory that costs. The IR keeps decoded weights in the weight tensor; `sharedWeightIndices` re-derives the indices
 *  and rejects, with E_IR_INVALID, an IR whose weights no longer lie in their codebooks (edited after sharing). */
import { isUserError, userError } from '../errors.js';
import type { ConvNode, GemmNode, Graph, Node, QConvNode, QGemmNode, SharingGranularity, Tensor, WeightSharing } from './types.js';
import { sizeOf } from './types.js';

export type ShareableNode = ConvNode | GemmNode | QConvNode | QGemmNode;

export function isShareable(n: Node): n is ShareableNode {
  return n.op === 'Conv' || n.op === 'Gemm' || n.op === 'QConv' || n.op === 'QGemm';
}

export function sharingOf(n: Node): WeightSharing | undefined {
  return isShareable(n) ? n.attrs.sharing : undefined;
}

export interface WeightGroups {
  readonly count: number;
  /** Group of the weight at flat (C-order) index i of the weight tensor. */
  readonly groupOf: (i: number) => number;
  /** Output channel of the weight at flat index i. */
  readonly channelOf: (i: number) => number;
}

/** Weight groups of a layer whose weight tensor has `shape`. Channels are output channels: dimension 0 of Conv
 *  weights [M, C/group, k...] and of QGemm weights [N, K], of Gemm B when transB, else dimension 1 of B [K, N].
 *  A kernel is one (output, input) channel pair of a Conv; on Gemm layers it is the output row, as for `channel`. */
export function weightGroups(node: ShareableNode, shape: readonly number[], granularity: SharingGranularity): WeightGroups {
  const size = sizeOf(shape);
  let channelOf: (i: number) => number, channels: number;
  if (node.op === 'Gemm' && !node.attrs.transB) {
    channels = shape[1]!;
    channelOf = (i) => i % channels;
  } else {
    channels = shape[0]!;
    const per = size / channels;
    channelOf = (i) => Math.floor(i / per);
  }
  if (granularity === 'network' || granularity === 'layer') return { count: 1, groupOf: () => 0, channelOf };
  if (granularity === 'kernel' && (node.op === 'Conv' || node.op === 'QConv')) {
    const kernel = sizeOf(shape.slice(2));
    return { count: size / kernel, groupOf: (i) => Math.floor(i / kernel), channelOf };
  }
  return { count: channels, groupOf: channelOf, channelOf };
}

/** Bits of one codebook entry: the weight code width on quantized layers, float32 otherwise. */
export function entryBits(node: ShareableNode): number {
  return node.op === 'QConv' || node.op === 'QGemm' ? node.attrs.wBits : 32;
}

/** Index bits that address k codebook entries (at least 1, so every weight has a stored index). */
export function indexBitsFor(k: number): number {
  return Math.max(1, Math.ceil(Math.log2(k)));
}

/** The code of a real zero in output channel m of a quantized layer (0 on float layers). */
export function zeroOf(node: ShareableNode, channel: number): number {
  if (node.op !== 'QConv' && node.op !== 'QGemm') return 0;
  const zp = node.attrs.wZeroPoint;
  return zp.length === 1 ? zp[0]! : zp[channel]!;
}

export interface SharedIndices {
  /** Index of each weight (C order of the weight tensor) in its group's codebook. */
  readonly indices: Uint8Array | Uint16Array;
  readonly codebooks: readonly (readonly number[])[];
  readonly indexBits: number;
  readonly granularity: SharingGranularity;
  readonly groupOf: (i: number) => number;
}

/** Indices and codebooks of a shared layer (`weights`: its weight tensor). Throws E_IR_INVALID when the sharing
 *  attribute does not fit the tensor: wrong number of codebooks, a codebook longer than 2^indexBits, a weight that is
 *  not in its group's codebook, or (when pruned) a codebook whose entry 0 is not the zero. */
export function sharedWeightIndices(node: ShareableNode, weights: Tensor): SharedIndices {
  const s = node.attrs.sharing;
  const bad = (what: string) => userError('E_IR_INVALID', `layer '${node.name}' (${node.op}): its weight sharing ${what}; the weights were edited after sharing, re-run adequate share`);
  if (!s) throw new Error(`internal error: layer '${node.name}' is not shared`);
  const groups = weightGroups(node, weights.shape, s.granularity);
  if (s.codebooks.length !== groups.count) throw bad(`at ${s.granularity} granularity needs ${groups.count} codebook(s), it has ${s.codebooks.length}`);
  const lookup = s.codebooks.map((cb, g) => {
    if (cb.length > 2 ** s.indexBits) throw bad(`codebook ${g} has ${cb.length} entries, more than ${s.indexBits}-bit indices address`);
    const m = new Map<number, number>();
    cb.forEach((v, k) => {
      if (!m.has(v)) m.set(v, k);
    });
    return m;
  });
  const indices = s.indexBits <= 8 ? new Uint8Array(weights.data.length) : new Uint16Array(weights.data.length);
  for (let i = 0; i < weights.data.length; i++) {
    const g = groups.groupOf(i), w = weights.data[i]!;
    const k = lookup[g]!.get(w);
    if (k === undefined) throw bad(`does not hold weight ${i} (value ${w}) in codebook ${g}`);
    if (s.pruned !== undefined && s.codebooks[g]![0] !== zeroOf(node, groups.channelOf(i))) throw bad(`marks pruning but entry 0 of codebook ${g} is not the zero of channel ${groups.channelOf(i)}`);
    indices[i] = k;
  }
  return { indices, codebooks: s.codebooks, indexBits: s.indexBits, granularity: s.granularity, groupOf: groups.groupOf };
}

/** Codebook storage of a shared layer in bits (entries times entry width). */
export function codebookBits(node: ShareableNode): number {
  const s = node.attrs.sharing;
  return s ? s.codebooks.reduce((n, cb) => n + cb.length, 0) * entryBits(node) : 0;
}

/** Checks every shared layer of a graph (weights in their codebooks, network codebooks identical across layers). */
export function checkSharing(graph: Graph, where: string): void {
  let network: string | undefined;
  for (const n of graph.nodes) {
    if (!isShareable(n) || !n.attrs.sharing) continue;
    const w = graph.constants.get(n.inputs[1]!);
    if (!w) throw userError('E_IR_INVALID', `${where}: layer '${n.name}' is shared but its weights '${n.inputs[1]}' are not a constant`);
    try {
      sharedWeightIndices(n, w);
    } catch (e) {
      throw isUserError(e) ? userError(e.code, `${where}: ${e.message}`) : e;
    }
    if (n.attrs.sharing.granularity === 'network') {
      const key = JSON.stringify(n.attrs.sharing.codebooks);
      if (network !== undefined && key !== network) throw userError('E_IR_INVALID', `${where}: layer '${n.name}' has network-granularity sharing with a codebook other layers do not share; re-run adequate share`);
      network = key;
    }
  }
}

export interface LayerWeightMemory {
  readonly name: string;
  /** Weights of the layer's weight tensor (biases excluded). */
  readonly weights: number;
  /** Bits that hold them: indices plus codebooks when shared (a network codebook counted on its first layer), else
   *  weights times the code width (quantized) or 32 (float). */
  readonly bits: number;
}

/** Weight memory of every Conv/Gemm/QConv/QGemm with constant weights, biases excluded (what sharing changes). */
export function weightMemory(graph: Graph): LayerWeightMemory[] {
  let networkCounted = false;
  return graph.nodes.filter(isShareable).flatMap((n) => {
    const w = graph.constants.get(n.inputs[1]!);
    if (!w) return [];
    const s = n.attrs.sharing;
    if (!s) return [{ name: n.name, weights: w.data.length, bits: w.data.length * entryBits(n) }];
    const table = s.granularity === 'network' && networkCounted ? 0 : codebookBits(n);
    networkCounted ||= s.granularity === 'network';
    return [{ name: n.name, weights: w.data.length, bits: w.data.length * s.indexBits + table }];
  });
}
