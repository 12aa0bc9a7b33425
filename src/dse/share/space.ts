/** The design space of the sharing exploration: per layer, an index width (0 = not shared, else 1..maxBits, i.e.
 *  K = 2^bits clusters, capped at the group size) and a granularity. Each layer option is clustered once (exact
 *  k-means, src/passes/share-weights.ts) and cached with its weight memory and its normalised clustering error
 *  (SSE over the spread of the layer's weights), the proxy's input. */
import { userError } from '../../errors.js';
import { entryBits, isShareable, weightGroups, indexBitsFor, type ShareableNode } from '../../ir/sharing.js';
import type { Graph, SharingGranularity } from '../../ir/types.js';
import { shareLayer, type SharedLayer } from '../../passes/share-weights.js';

export type ExploredGranularity = Exclude<SharingGranularity, 'network'>;

export interface LayerOption {
  /** undefined: the layer is not shared. */
  readonly shared: SharedLayer | undefined;
  /** Weight memory of the layer in bits (indices plus codebooks, or plain weights). */
  readonly bits: number;
  /** Clustering SSE over the spread of the layer's weights (0 when not shared). */
  readonly error: number;
  /** Canonical key of the option ('' = not shared). */
  readonly key: string;
}

export interface SpaceLayer {
  readonly node: ShareableNode;
  readonly weights: number;
  readonly plainBits: number;
  /** Index bits beyond which the layer's clustering is lossless, per granularity (same order as the space's). */
  readonly losslessBits: readonly number[];
  /** Weights in each group, per granularity. */
  readonly groupSize: readonly number[];
}

export class ShareSpace {
  readonly layers: readonly SpaceLayer[];
  private readonly cache = new Map<string, LayerOption>();

  constructor(private readonly graph: Graph, readonly granularities: readonly ExploredGranularity[], readonly maxBits: number) {
    if (!(Number.isInteger(maxBits) && maxBits >= 1 && maxBits <= 16)) throw userError('E_USAGE', `--max-bits ${maxBits} must be an integer from 1 to 16`);
    if (granularities.length === 0) throw userError('E_USAGE', 'give at least one granularity to explore');
    this.layers = graph.nodes.filter((n): n is ShareableNode => isShareable(n) && graph.constants.has(n.inputs[1]!)).map((node) => {
      const w = graph.constants.get(node.inputs[1]!)!;
      const perGranularity = granularities.map((g) => {
        const groups = weightGroups(node, w.shape, g);
        const distinct = Array.from({ length: groups.count }, () => new Set<number>());
        for (let i = 0; i < w.data.length; i++) distinct[groups.groupOf(i)]!.add(w.data[i]!);
        return { lossless: indexBitsFor(Math.max(...distinct.map((s) => s.size))), size: w.data.length / groups.count };
      });
      return { node, weights: w.data.length, plainBits: w.data.length * entryBits(node), losslessBits: perGranularity.map((p) => p.lossless), groupSize: perGranularity.map((p) => p.size) };
    });
    if (this.layers.length === 0) throw userError('E_DSE', `${graph.name}: no Conv/Gemm layer with constant weights to share`);
  }

  /** Gene cardinalities: per layer, index bits (0..maxBits) then granularity. */
  get genes(): number[] {
    return this.layers.flatMap(() => [this.maxBits + 1, this.granularities.length]);
  }

  /** One representative per distinct design: unshared layers take granularity 0; bits beyond lossless (or beyond the
   *  group size) are lowered to the lossless width; a Gemm's kernel granularity is its channel granularity. */
  canonicalize(genome: readonly number[]): number[] {
    const out = [...genome];
    this.layers.forEach((l, i) => {
      let [b, g] = [out[2 * i]!, out[2 * i + 1]!];
      const channel = this.granularities.indexOf('channel');
      if (this.granularities[g] === 'kernel' && l.node.op !== 'Conv' && l.node.op !== 'QConv' && channel >= 0) g = channel;
      if (b === 0) g = 0;
      else b = Math.min(b, l.losslessBits[g]!);
      [out[2 * i], out[2 * i + 1]] = [b, g];
    });
    return out;
  }

  /** The option of layer i with `bits` index bits (0 = not shared) at granularity index g. */
  option(i: number, bits: number, g: number): LayerOption {
    const l = this.layers[i]!;
    if (bits === 0) return { shared: undefined, bits: l.plainBits, error: 0, key: '' };
    const key = `${bits}${this.granularities[g]![0]}`;
    const cacheKey = `${i}:${key}`;
    let o = this.cache.get(cacheKey);
    if (!o) {
      const clusters = Math.min(2 ** bits, l.groupSize[g]!);
      const shared = shareLayer(l.node, this.graph.constants.get(l.node.inputs[1]!)!, { clusters, granularity: this.granularities[g]! });
      const tableBits = shared.sharing.codebooks.reduce((s, c) => s + c.length, 0) * entryBits(l.node);
      o = { shared, bits: l.weights * shared.sharing.indexBits + tableBits, error: shared.spread > 0 ? shared.sse / shared.spread : 0, key };
      this.cache.set(cacheKey, o);
    }
    return o;
  }

  /** The options of every layer for a genome. */
  options(genome: readonly number[]): LayerOption[] {
    return this.layers.map((_, i) => this.option(i, genome[2 * i]!, genome[2 * i + 1]!));
  }

  get plainBits(): number {
    return this.layers.reduce((s, l) => s + l.plainBits, 0);
  }
}
