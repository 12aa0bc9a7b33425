/** Top-1 of shared designs on an evaluation set, by the golden model (float or integer, as the graph is):
 *  - the graph is rebatched to CHUNK samples and the unshared run of every chunk is kept;
 *  - a design reruns the graph from its first shared layer only, and the tensors in front of each later layer are
 *    kept, per chunk, for recent prefixes of layer options (LRU), so designs that agree on their first layers share
 *    that work;
 *  - `evaluate(.., first, last)` measures some chunks only, for the racing rule of the exploration.
 *  Kept environments hold computed tensors only, never constants: a shared layer's weights may keep their name. */
import { argmaxRows } from '../../golden/accuracy.js';
import { runGraph, runNodes } from '../../golden/evaluate.js';
import { rebatch } from '../../ir/rebatch.js';
import type { Graph, Tensor, WeightSharing } from '../../ir/types.js';
import { makeTensor, sizeOf } from '../../ir/types.js';
import { withSharedLayers } from '../../passes/share-weights.js';

const CHUNK = 250;
const KEPT_PREFIXES = 64;

export interface LayerChoice {
  /** Canonical option key; '' = the layer is not shared. */
  readonly key: string;
  readonly shared: { readonly weights: Tensor; readonly sharing: WeightSharing } | undefined;
}

/** The graph the evaluator runs, rebatched to a chunk when it allows (else one sample per chunk). */
const chunkGraph = (graph: Graph, count: number) => rebatch(graph, Math.min(CHUNK, count)) ?? graph;

/** Number of chunks of `count` samples (what a SharingEvaluator over them would have). */
export function shareChunkCount(graph: Graph, count: number): number {
  return Math.ceil(count / chunkGraph(graph, count).inputs[0]!.shape[0]!);
}

export class SharingEvaluator {
  private readonly base: Graph;
  private readonly chunks: { readonly env: ReadonlyMap<string, Tensor>; readonly labels: Int32Array }[] = [];
  /** Node index of each shareable layer, in the order the exploration lists them. */
  private readonly at: number[];
  /** Prefix key -> per-chunk environment in front of the layer after the prefix. */
  private readonly kept = new Map<string, Map<string, Tensor>[]>();
  /** Per layer: the tensors a restart there needs (kept environments hold only these). */
  private readonly live: string[][];

  constructor(graph: Graph, layerNames: readonly string[], inputs: Tensor, labels: Int32Array) {
    this.base = chunkGraph(graph, labels.length);
    const input = this.base.inputs[0]!, B = input.shape[0]!, per = sizeOf(input.shape.slice(1));
    for (let start = 0; start < labels.length; start += B) {
      const x = makeTensor('float32', input.shape);
      const n = Math.min(B, labels.length - start);
      x.data.set(inputs.data.subarray(start * per, (start + n) * per));
      const env = runGraph(this.base, new Map([[input.name, x]]));
      for (const c of this.base.constants.keys()) env.delete(c);
      this.chunks.push({ env, labels: labels.subarray(start, start + n) });
    }
    this.at = layerNames.map((name) => this.base.nodes.findIndex((n) => n.name === name));
    // What a restart at layer j reads from before it: inputs of nodes from j on that no node from j on produces.
    this.live = this.at.map((a) => {
      const later = this.base.nodes.slice(a);
      const produced = new Set(later.flatMap((n) => n.outputs));
      return [...new Set(later.flatMap((n) => n.inputs))].filter((v) => !produced.has(v) && !this.base.constants.has(v));
    });
  }

  get count(): number {
    return this.chunks.reduce((s, c) => s + c.labels.length, 0);
  }

  get chunkCount(): number {
    return this.chunks.length;
  }

  /** Correct predictions over chunks [first, last) with the given option per layer. */
  evaluate(choices: readonly LayerChoice[], first = 0, last = this.chunks.length): { correct: number; count: number } {
    const L = choices.length;
    const graph = withSharedLayers(this.base, new Map(choices.flatMap((c, i) => (c.shared ? [[this.base.nodes[this.at[i]!]!.name, c.shared] as const] : []))));
    const prefixes = Array.from({ length: L + 1 }, (_, j) => choices.slice(0, j).map((c) => c.key).join('|'));
    const firstShared = choices.findIndex((c) => c.key !== '');
    let correct = 0, count = 0;
    for (let ci = first; ci < last; ci++) {
      const chunk = this.chunks[ci]!;
      // Start at the first shared layer (the unshared run holds its inputs), or later where this prefix was kept.
      let start = firstShared < 0 ? L : firstShared, from = chunk.env;
      for (let j = L - 1; j > start; j--) {
        const kept = this.kept.get(prefixes[j]!)?.[ci];
        if (kept) {
          [start, from] = [j, kept];
          break;
        }
      }
      const env = new Map(from);
      for (let j = start; j < L; j++) {
        runNodes(graph, env, this.at[j]!, undefined, j + 1 < L ? this.at[j + 1]! : graph.nodes.length);
        if (j + 1 < L) this.keep(prefixes[j + 1]!, ci, new Map(this.live[j + 1]!.map((v) => [v, env.get(v)!])));
      }
      const logits = env.get(graph.outputs[0]!)!;
      const pred = argmaxRows(logits, logits.shape[0]!);
      chunk.labels.forEach((label, i) => (correct += pred[i] === label ? 1 : 0));
      count += chunk.labels.length;
    }
    return { correct, count };
  }

  /** Keeps a copy of env as chunk ci's state after `prefix` (least recently stored prefixes dropped first). */
  private keep(prefix: string, ci: number, env: Map<string, Tensor>): void {
    let kept = this.kept.get(prefix);
    if (kept) {
      this.kept.delete(prefix);
    } else {
      if (this.kept.size >= KEPT_PREFIXES) this.kept.delete(this.kept.keys().next().value!);
      kept = [];
    }
    this.kept.set(prefix, kept);
    kept[ci] ??= env;
  }
}
