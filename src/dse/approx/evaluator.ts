/** Top-1 of approximate designs on an evaluation set, fast (it is called for every design the search proposes):
 *  - the quantized graph runs in chunks of CHUNK samples at once (rebatched), so small layers get long loops;
 *  - checkpoints: the tensors in front of each conv/dense layer are kept for recently seen binding prefixes (the
 *    exact run's always), keyed by the multipliers of the layers before it. A design restarts the graph at the last
 *    layer whose prefix was seen: designs of a converging population share their first layers, so usually only the
 *    last layers are recomputed. Tensors are never mutated, so a checkpoint is a shallow copy of the environment;
 *  - `evaluate(..., chunks)` measures on the first chunks only, for the racing rule of the exploration. */
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
  readonly env: ReadonlyMap<string, Tensor>;
  readonly labels: Int32Array;
  /** Real samples in the chunk (the last one is padded). */
  readonly count: number;
}

export class DesignEvaluator {
  private readonly base: Graph;
  private readonly chunks: Chunk[] = [];
  /** Node index of each conv/dense layer, in graph order. */
  private readonly layerNodes: { readonly name: string; readonly index: number }[];
  /** Binding-prefix key -> per-chunk environment just before that layer (LRU order). */
  private readonly checkpoints = new Map<string, Map<string, Tensor>[]>();
  readonly count: number;

  constructor(graph: Graph, inputs: Tensor, labels: Int32Array, private readonly ctx: EvalContext) {
    const input = graph.inputs[0]!;
    const per = sizeOf(input.shape.slice(1));
    this.count = labels.length;
    const chunkSize = Math.min(CHUNK, this.count);
    // Rebatch to the chunk size when the graph allows it; else one sample per run (slow but general).
    const batched = rebatch(graph, chunkSize);
    this.base = batched ?? graph;
    const B = this.base.inputs[0]!.shape[0]!;
    for (let start = 0; start < this.count; start += B) {
      const n = Math.min(B, this.count - start);
      const x = makeTensor('float32', this.base.inputs[0]!.shape);
      x.data.set(inputs.data.subarray(start * per, (start + n) * per));
      const env = runGraph(this.base, new Map([[input.name, x]]), ctx);
      this.chunks.push({ env, labels: labels.subarray(start, start + n), count: n });
    }
    this.layerNodes = this.base.nodes.flatMap((n, index) => (n.op === 'QConv' || n.op === 'QGemm' ? [{ name: n.name, index }] : []));
  }

  /** Key of the bindings of the first `j` layers. */
  private prefixKey(layers: ReadonlyMap<string, LayerBinding>, j: number): string {
    return this.layerNodes.slice(0, j).map((l) => layers.get(l.name)?.multiplier ?? '').join('|');
  }

  /** Number of chunks (evaluate(.., k) uses the first k). */
  get chunkCount(): number {
    return this.chunks.length;
  }

  get chunkSize(): number {
    return this.base.inputs[0]!.shape[0]!;
  }

  /** The graph with the bindings applied, at the evaluator's batch size. */
  bound(layers: ReadonlyMap<string, LayerBinding>): Graph {
    return bindMultipliers.run(this.base, { layers }).graph;
  }

  /** Correct predictions and samples over chunks [first, chunks). */
  evaluate(layers: ReadonlyMap<string, LayerBinding>, chunks = this.chunks.length, first = 0): { correct: number; count: number } {
    const g = this.bound(layers);
    const L = this.layerNodes.length;
    const keys = Array.from({ length: L }, (_, j) => this.prefixKey(layers, j));
    // Start at the latest layer j whose prefix is exact (the cached exact run holds its inputs) or checkpointed.
    const firstChanged = this.layerNodes.findIndex((l) => layers.get(l.name)?.multiplier !== undefined || layers.get(l.name)?.weightMap !== undefined);
    let start = Math.max(0, Math.min(firstChanged < 0 ? L : firstChanged, L - 1));
    let saved: Map<string, Tensor>[] | undefined;
    for (let j = L - 1; j > start; j--) {
      const s = this.checkpoints.get(keys[j]!);
      if (s && s.length >= chunks) {
        [start, saved] = [j, s];
        this.checkpoints.delete(keys[j]!); // most recently used goes last
        this.checkpoints.set(keys[j]!, s);
        break;
      }
    }
    const out = g.outputs[0]!;
    let correct = 0, count = 0;
    this.chunks.slice(0, chunks).forEach((c, ci) => {
      if (ci < first) return;
      const env = new Map(saved?.[ci] ?? c.env);
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
    });
    return { correct, count };
  }

  private remember(key: string, chunk: number, env: Map<string, Tensor>): void {
    let saved = this.checkpoints.get(key);
    if (!saved) {
      if (this.checkpoints.size >= CHECKPOINTS) this.checkpoints.delete(this.checkpoints.keys().next().value!);
      this.checkpoints.set(key, (saved = []));
    }
    if (saved.length === chunk) saved.push(new Map(env));
  }
}
