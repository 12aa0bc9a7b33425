/** Top-1 of approximate designs on an evaluation set, fast (it is called for every design the search proposes):
 *  - the quantized graph runs in chunks of CHUNK samples at once (rebatched), so small layers get long loops;
 *  - the exact run of every chunk is computed once and cached: a design restarts the graph at its first changed
 *    layer and reuses every tensor before it;
 *  - `evaluate(..., chunks)` measures on the first chunks only, for the racing rule of the exploration. */
import { argmaxRows } from '../../golden/accuracy.js';
import { runGraph, runNodes, type EvalContext } from '../../golden/evaluate.js';
import { rebatch } from '../../ir/rebatch.js';
import type { Graph, Tensor } from '../../ir/types.js';
import { makeTensor, sizeOf } from '../../ir/types.js';
import { bindMultipliers, type LayerBinding } from '../../passes/bind-multipliers.js';

export const CHUNK = 250;

interface Chunk {
  readonly env: ReadonlyMap<string, Tensor>;
  readonly labels: Int32Array;
  /** Real samples in the chunk (the last one is padded). */
  readonly count: number;
}

export class DesignEvaluator {
  private readonly base: Graph;
  private readonly chunks: Chunk[] = [];
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

  /** Correct predictions and samples over the first `chunks` chunks. */
  evaluate(layers: ReadonlyMap<string, LayerBinding>, chunks = this.chunks.length): { correct: number; count: number } {
    const g = this.bound(layers);
    const changed = new Set([...layers].filter(([, b]) => b.multiplier !== undefined || b.weightMap !== undefined).map(([n]) => n));
    let from = g.nodes.findIndex((n) => changed.has(n.name));
    if (from < 0) from = g.nodes.length;
    const out = g.outputs[0]!;
    let correct = 0, count = 0;
    for (const c of this.chunks.slice(0, chunks)) {
      const env = runNodes(g, new Map(c.env), from, this.ctx);
      const logits = env.get(out)!;
      const pred = argmaxRows(logits, logits.shape[0]!);
      for (let i = 0; i < c.count; i++) if (pred[i] === c.labels[i]) correct++;
      count += c.count;
    }
    return { correct, count };
  }
}
