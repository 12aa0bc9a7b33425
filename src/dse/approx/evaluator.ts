/** Top-1 of approximate designs on an evaluation set, fast (it is called for every design the search proposes):
 *  - the quantized graph runs in chunks of CHUNK samples at once (rebatched), so small layers get long loops;
 *  - checkpoints: per chunk, the tensors in front of each conv/dense layer are kept for recently seen binding
 *    prefixes (the exact run's always), keyed by the multipliers of the layers before it. Each chunk of a design
 *    restarts the graph at the last layer whose prefix was seen on that chunk: designs of a converging population
 *    share their first layers, so usually only the last layers are recomputed. Tensors are never mutated, so a
 *    checkpoint is a shallow copy of the environment;
 *  - `evaluate(..., chunks)` measures on the given chunks only (the racing rule of the exploration measures the
 *    first ones first; a worker of the pool owns a fixed share of the chunks, so its checkpoints cover every design
 *    it is given). */
import { argmaxRows } from '../../golden/accuracy.js';
import { runGraph, runNodes, type EvalContext } from '../../golden/evaluate.js';
import { rebatch } from '../../ir/rebatch.js';
import type { Graph, Tensor } from '../../ir/types.js';
import { makeTensor, sizeOf } from '../../ir/types.js';
import { bindMultipliers, type LayerBinding } from '../../passes/bind-multipliers.js';

export const CHUNK = 250;
/** Checkpointed binding prefixes kept (least recently used dropped). */
const CHECKPOINTS = 96;

interface Chunk {
  /** The exact run's environment; undefined for a chunk this evaluator does not own. */
  readonly env: ReadonlyMap<string, Tensor> | undefined;
  readonly labels: Int32Array;
  /** Real samples in the chunk (the last one is padded). */
  readonly count: number;
}

/** The graph the evaluator runs: rebatched to a chunk of CHUNK samples when the graph allows it, else the graph
 *  itself (one sample per chunk: slow but general). Its batch size is the chunk size. */
export function chunkGraph(graph: Graph, count: number): Graph {
  return rebatch(graph, Math.min(CHUNK, count)) ?? graph;
}

/** Number of chunks of `count` samples. */
export function chunkCountOf(graph: Graph, count: number): number {
  return Math.ceil(count / chunkGraph(graph, count).inputs[0]!.shape[0]!);
}

export class DesignEvaluator {
  private readonly base: Graph;
  private readonly chunks: Chunk[] = [];
  /** Node index of each conv/dense layer, in graph order. */
  private readonly layerNodes: { readonly name: string; readonly index: number }[];
  /** Binding-prefix key -> per-chunk environment just before that layer (sparse by chunk index; LRU order). */
  private readonly checkpoints = new Map<string, (Map<string, Tensor> | undefined)[]>();
  readonly count: number;

  /** `owns(chunk)`: the chunks this evaluator measures (default all); the exact run is computed for those only. */
  constructor(graph: Graph, inputs: Tensor, labels: Int32Array, private readonly ctx: EvalContext, owns: (chunk: number) => boolean = () => true) {
    const input = graph.inputs[0]!;
    const per = sizeOf(input.shape.slice(1));
    this.count = labels.length;
    this.base = chunkGraph(graph, this.count);
    const B = this.base.inputs[0]!.shape[0]!;
    for (let start = 0; start < this.count; start += B) {
      const n = Math.min(B, this.count - start);
      let env: ReadonlyMap<string, Tensor> | undefined;
      if (owns(this.chunks.length)) {
        const x = makeTensor('float32', this.base.inputs[0]!.shape);
        x.data.set(inputs.data.subarray(start * per, (start + n) * per));
        env = runGraph(this.base, new Map([[input.name, x]]), ctx);
      }
      this.chunks.push({ env, labels: labels.subarray(start, start + n), count: n });
    }
    this.layerNodes = this.base.nodes.flatMap((n, index) => (n.op === 'QConv' || n.op === 'QGemm' ? [{ name: n.name, index }] : []));
  }

  /** Key of the bindings of the first `j` layers. */
  private prefixKey(layers: ReadonlyMap<string, LayerBinding>, j: number): string {
    return this.layerNodes.slice(0, j).map((l) => layers.get(l.name)?.multiplier ?? '').join('|');
  }

  /** Number of chunks of the evaluation set. */
  get chunkCount(): number {
    return this.chunks.length;
  }

  /** The graph with the bindings applied, at the evaluator's batch size. */
  bound(layers: ReadonlyMap<string, LayerBinding>): Graph {
    return bindMultipliers.run(this.base, { layers }).graph;
  }

  /** Correct predictions, samples and the output error (the sum over samples of the squared difference between the
   *  design's output and the exact design's: a continuous measure of how far the design strays, which every sample
   *  adds to, where top-1 only counts the few samples that flip) over the given chunks (default: all), which this
   *  evaluator must own. */
  evaluate(layers: ReadonlyMap<string, LayerBinding>, chunks: readonly number[] = this.chunks.map((_, i) => i)): { correct: number; count: number; outputError: number } {
    const g = this.bound(layers);
    const L = this.layerNodes.length;
    const keys = Array.from({ length: L }, (_, j) => this.prefixKey(layers, j));
    // Layers before the first changed one run exactly: the cached exact run holds their outputs.
    const firstChanged = this.layerNodes.findIndex((l) => layers.get(l.name)?.multiplier !== undefined || layers.get(l.name)?.weightMap !== undefined);
    const exactUntil = Math.max(0, Math.min(firstChanged < 0 ? L : firstChanged, L - 1));
    const out = g.outputs[0]!;
    let correct = 0, count = 0, outputError = 0;
    for (const ci of chunks) {
      const c = this.chunks[ci]!;
      if (!c.env) throw new Error(`internal error: chunk ${ci} is not evaluated here`);
      // Restart at the latest layer whose prefix is checkpointed for this chunk.
      let start = exactUntil;
      let saved: Map<string, Tensor> | undefined;
      for (let j = L - 1; j > exactUntil; j--) {
        const s = this.checkpoints.get(keys[j]!);
        if (s?.[ci]) {
          [start, saved] = [j, s[ci]];
          this.checkpoints.delete(keys[j]!); // most recently used goes last
          this.checkpoints.set(keys[j]!, s);
          break;
        }
      }
      const env = new Map(saved ?? c.env);
      // Layer by layer, checkpointing the environment in front of each later layer.
      for (let j = start; j < L; j++) {
        const to = j + 1 < L ? this.layerNodes[j + 1]!.index : g.nodes.length;
        runNodes(g, env, this.layerNodes[j]!.index, this.ctx, to);
        if (j + 1 < L) this.remember(keys[j + 1]!, ci, env);
      }
      const logits = env.get(out)!;
      const pred = argmaxRows(logits, logits.shape[0]!);
      for (let i = 0; i < c.count; i++) if (pred[i] === c.labels[i]) correct++;
      count += c.count;
      const exact = c.env.get(out)!.data, row = sizeOf(logits.shape.slice(1));
      for (let i = 0; i < c.count * row; i++) outputError += (logits.data[i]! - exact[i]!) ** 2;
    }
    return { correct, count, outputError };
  }

  private remember(key: string, chunk: number, env: Map<string, Tensor>): void {
    let saved = this.checkpoints.get(key);
    if (!saved) {
      if (this.checkpoints.size >= CHECKPOINTS) this.checkpoints.delete(this.checkpoints.keys().next().value!);
      this.checkpoints.set(key, (saved = []));
    }
    saved[chunk] ??= new Map(env);
  }
}
