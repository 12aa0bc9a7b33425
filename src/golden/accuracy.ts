/** Top-1 accuracy of any model runner over a labelled dataset. The runner maps one batch (the graph input's shape)
 *  to the first output; the float golden model, the integer golden model and the simulators all plug in here. */
import { userError } from '../errors.js';
import type { Dataset } from '../io/dataset.js';
import type { Graph, Tensor } from '../ir/types.js';
import { makeTensor, sizeOf } from '../ir/types.js';
import { runOutputs, type EvalContext } from './evaluate.js';

export type BatchRunner = (batch: Tensor) => Tensor;

export interface Top1Result {
  readonly top1: number;
  readonly correct: number;
  readonly count: number;
  /** Predicted class of every sample. */
  readonly predictions: Int32Array;
}

/** The golden model (float, or integer for a quantized graph) as a runner for a one-input graph. */
export function graphRunner(graph: Graph, ctx?: EvalContext): BatchRunner {
  if (graph.inputs.length !== 1) throw userError('E_USAGE', `accuracy needs a one-input model; this one has ${graph.inputs.length} inputs`);
  const name = graph.inputs[0]!.name;
  return (batch) => runOutputs(graph, new Map([[name, batch]]), ctx)[0]!;
}

export function argmaxRows(t: Tensor, rows: number): Int32Array {
  const k = t.data.length / rows;
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (t.data[r * k + j]! > t.data[r * k + best]!) best = j;
    out[r] = best;
  }
  return out;
}

/** Runs the dataset through `run` in batches of the graph input's batch size B (the last partial batch is padded
 *  with zeros and its extra rows ignored). */
export function top1(run: BatchRunner, inputShape: readonly number[], data: Dataset, onBatch?: (done: number, total: number) => void): Top1Result {
  if (!data.labels) throw userError('E_DATASET', 'accuracy needs labels: give --labels');
  const B = inputShape[0] ?? 1;
  const per = sizeOf(inputShape) / B;
  const predictions = new Int32Array(data.count);
  let correct = 0;
  for (let s = 0; s < data.count; s += B) {
    const n = Math.min(B, data.count - s);
    const batch = makeTensor('float32', inputShape);
    batch.data.set(data.inputs.data.subarray(s * per, (s + n) * per));
    const pred = argmaxRows(run(batch), B);
    for (let i = 0; i < n; i++) {
      predictions[s + i] = pred[i]!;
      if (pred[i] === data.labels[s + i]) correct++;
    }
    onBatch?.(s + n, data.count);
  }
  return { top1: correct / data.count, correct, count: data.count, predictions };
}
