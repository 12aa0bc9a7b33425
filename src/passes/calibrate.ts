/** Calibration: runs the float golden model over sample inputs and records, for every float tensor, its range and a
 *  histogram of its values. All activation range methods (min/max, percentile, MSE, KL) are computed from this one
 *  histogram pass (see range-methods.ts). Two sweeps over the samples: the first finds each tensor's range, the
 *  second fills histograms over that fixed range. The second sweep reads the first one's tensors where they were kept
 *  (up to KEPT_BYTES: a few large images of a VGG-19, or thousands of small ones) instead of running the float model
 *  again, which is most of calibration's time on a large network. */
import { runGraph } from '../golden/evaluate.js';
import type { Graph, Tensor } from '../ir/types.js';
import { makeTensor, sizeOf } from '../ir/types.js';

export const HISTOGRAM_BINS = 2048;
/** Bytes of float tensors the first sweep keeps for the second. */
const KEPT_BYTES = 512 * 2 ** 20;

export interface TensorStats {
  readonly min: number;
  readonly max: number;
  /** Counts over [min, max] in HISTOGRAM_BINS equal bins. */
  readonly histogram: Float64Array;
  readonly count: number;
}

export type CalibrationStats = ReadonlyMap<string, TensorStats>;

/** `samples` is [N, ...input shape without batch] for the graph's one input (batch B runs take B samples). */
export function calibrate(graph: Graph, samples: Tensor, onProgress?: (done: number, total: number) => void): CalibrationStats {
  const input = graph.inputs[0]!;
  const B = input.shape[0] ?? 1;
  const per = sizeOf(input.shape) / B;
  const N = samples.shape[0]!;
  const runs = Math.ceil(N / B);
  const floatValues = [...graph.values.values()].filter((v) => v.dtype === 'float32' && !graph.constants.has(v.name)).map((v) => v.name);
  const kept: (Map<string, Tensor> | undefined)[] = [];
  let keptBytes = 0;
  const sweep = (visit: (name: string, data: Tensor['data'], n: number) => void, offset: number) => {
    for (let r = 0; r < runs; r++) {
      const n = Math.min(B, N - r * B);
      let env = kept[r];
      if (!env) {
        const batch = makeTensor('float32', input.shape);
        batch.data.set(samples.data.subarray(r * B * per, (r * B + n) * per));
        env = runGraph(graph, new Map([[input.name, batch]]));
        const bytes = floatValues.reduce((sum, name) => sum + env!.get(name)!.data.byteLength, 0);
        if (offset === 0 && keptBytes + bytes <= KEPT_BYTES) {
          kept[r] = env;
          keptBytes += bytes;
        }
      }
      for (const name of floatValues) {
        const t = env.get(name)!;
        // Only the rows of real samples (the last batch may be padded).
        visit(name, t.data, t.shape[0] === B ? (t.data.length / B) * n : t.data.length);
      }
      onProgress?.(offset + r + 1, 2 * runs);
    }
  };
  const lo = new Map<string, number>(), hi = new Map<string, number>();
  sweep((name, d, n) => {
    let a = lo.get(name) ?? Infinity, b = hi.get(name) ?? -Infinity;
    for (let i = 0; i < n; i++) {
      const v = d[i]!;
      if (v < a) a = v;
      if (v > b) b = v;
    }
    lo.set(name, a);
    hi.set(name, b);
  }, 0);
  const hists = new Map(floatValues.map((n) => [n, new Float64Array(HISTOGRAM_BINS)]));
  const counts = new Map<string, number>();
  sweep((name, d, n) => {
    const h = hists.get(name)!, a = lo.get(name)!, b = hi.get(name)!;
    const k = b > a ? HISTOGRAM_BINS / (b - a) : 0;
    for (let i = 0; i < n; i++) {
      const bin = Math.min(HISTOGRAM_BINS - 1, Math.floor((d[i]! - a) * k));
      h[bin] = h[bin]! + 1;
    }
    counts.set(name, (counts.get(name) ?? 0) + n);
  }, runs);
  kept.length = 0;
  return new Map(floatValues.map((n) => [n, { min: lo.get(n)!, max: hi.get(n)!, histogram: hists.get(n)!, count: counts.get(n)! }]));
}
