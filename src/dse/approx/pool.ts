/** Design evaluation on every core: one worker thread per core, each with its own DesignEvaluator (its own cache of
 *  the exact run), taking designs from a queue. The search stays deterministic: results are returned to the design
 *  that asked, and the racing rule only looks at designs of earlier generations. Falls back to the calling thread
 *  when the built worker script is missing (tests from src/) or one core is all there is. */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { encodeIr } from '../../ir/serialize.js';
import type { Graph, Tensor } from '../../ir/types.js';
import { packagePath } from '../../paths.js';
import { DesignEvaluator } from './evaluator.js';
import { designBindings, type Candidate, type LayerInfo } from './explore.js';
import type { WeightUpdateMode } from './weight-update.js';

export interface DesignScore {
  readonly correct: number;
  readonly count: number;
}

/** Evaluates designs given as a library index per layer, on the first `chunks` chunks (all when absent). */
export interface DesignRunner {
  readonly chunkCount: number;
  evaluate(perLayer: readonly number[], chunks?: number, first?: number): Promise<DesignScore>;
  close(): Promise<void>;
}

export interface PoolInit {
  readonly json: string;
  readonly weights: Uint8Array;
  readonly inputs: Float32Array;
  readonly inputShape: readonly number[];
  readonly labels: Int32Array;
  readonly library: readonly Candidate[];
  readonly layers: readonly LayerInfo[];
  readonly weightUpdate: WeightUpdateMode;
}

const WORKER = packagePath('dist', 'src', 'dse', 'approx', 'pool-worker.js');

/** A runner in this thread. */
export function localRunner(graph: Graph, inputs: Tensor, labels: Int32Array, library: readonly Candidate[], layers: readonly LayerInfo[], mode: WeightUpdateMode): DesignRunner {
  const tables = new Map(library.map((c) => [c.id, c.table]));
  const evaluator = new DesignEvaluator(graph, inputs, labels, { productTable: (id) => tables.get(id)! });
  const maps = new Map<string, Int32Array>();
  return {
    chunkCount: evaluator.chunkCount,
    evaluate: async (perLayer, chunks, first) => evaluator.evaluate(designBindings(perLayer, layers, library, mode, maps), chunks, first),
    close: async () => undefined,
  };
}

export function createRunner(graph: Graph, inputs: Tensor, labels: Int32Array, library: readonly Candidate[], layers: readonly LayerInfo[], mode: WeightUpdateMode, workers = availableParallelism()): DesignRunner {
  if (workers <= 1 || !existsSync(WORKER)) return localRunner(graph, inputs, labels, library, layers, mode);
  const { json, weights } = encodeIr(graph);
  const init: PoolInit = { json, weights, inputs: inputs.data as Float32Array, inputShape: inputs.shape, labels, library, layers, weightUpdate: mode };
  const pool = Array.from({ length: workers }, () => new Worker(WORKER, { workerData: init }));
  const idle: Worker[] = [...pool];
  const queue: { msg: { perLayer: readonly number[]; chunks: number | undefined; first: number | undefined }; resolve: (s: DesignScore) => void; reject: (e: Error) => void }[] = [];
  const pending = new Map<Worker, (typeof queue)[number]>();
  const pump = () => {
    while (idle.length > 0 && queue.length > 0) {
      const w = idle.pop()!, job = queue.shift()!;
      pending.set(w, job);
      w.postMessage(job.msg);
    }
  };
  for (const w of pool) {
    w.on('message', (m: DesignScore & { error?: string }) => {
      const job = pending.get(w)!;
      pending.delete(w);
      idle.push(w);
      if (m.error) job.reject(new Error(m.error));
      else job.resolve(m);
      pump();
    });
    w.on('error', (e) => pending.get(w)?.reject(e));
  }
  const chunk = Math.min(250, labels.length);
  return {
    chunkCount: Math.ceil(labels.length / chunk),
    evaluate: (perLayer, chunks, first) =>
      new Promise<DesignScore>((resolve, reject) => {
        queue.push({ msg: { perLayer, chunks, first }, resolve, reject });
        pump();
      }),
    close: async () => {
      await Promise.all(pool.map((w) => w.terminate()));
    },
  };
}
