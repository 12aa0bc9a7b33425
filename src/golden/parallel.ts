/** Top-1 accuracy over a dataset on every core: the samples are split into contiguous slices, one worker thread per
 *  slice, each running the golden model (float or integer, with library multipliers) on its own copy of the graph.
 *  The threads are kept for the next call (the selection of an exploration measures every candidate of its front:
 *  a new thread per candidate spent more time starting than classifying), idle ones unref'ed so they never keep
 *  the process alive.
 *  Falls back to one thread for small datasets or when the built worker script is missing (tests run from src/). */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { userError, type ErrorCode } from '../errors.js';
import { encodeIr } from '../ir/serialize.js';
import { rebatch } from '../ir/rebatch.js';
import { arithmeticOf } from '../ir/stats.js';
import type { Graph } from '../ir/types.js';
import type { Dataset } from '../io/dataset.js';
import { packagePath } from '../paths.js';
import { getMultiplier } from '../multipliers/index.js';
import { graphRunner, top1, type Top1Result } from './accuracy.js';
import type { EvalContext } from './evaluate.js';

export interface ParallelOptions {
  readonly multiplierLibrary: string | undefined;
  /** Worker count; default: all cores, at most one per 64 samples. */
  readonly workers?: number;
  readonly onProgress?: (done: number, total: number) => void;
}

export interface WorkerJob {
  readonly json: string;
  readonly weights: Uint8Array;
  readonly inputs: Float32Array;
  readonly labels: Int32Array;
  readonly sampleShape: readonly number[];
  /** The product tables the graph's layers use, resolved once here (workers do not load the library). */
  readonly tables: Readonly<Record<string, Int32Array>>;
}

export const WORKER_SCRIPT = packagePath('dist', 'src', 'golden', 'parallel-worker.js');

export function libraryContext(libraryDir: string | undefined): EvalContext {
  const cache = new Map<string, Int32Array>();
  return {
    productTable: (id) => {
      let t = cache.get(id);
      if (!t) cache.set(id, (t = getMultiplier(id, libraryDir).table));
      return t;
    },
  };
}

/** Samples per run of an integer graph: small layers waste the table kernel on one image (its loops are short), so
 *  ACCURACY_BATCH images go through each layer at once (docs/golden.md). Integer results do not depend on the batch. */
const ACCURACY_BATCH = 64;

/** The graph an accuracy run uses: an integer graph of batch 1 rebatched (when its shapes allow), else itself. */
export function accuracyGraph(graph: Graph, count: number): Graph {
  if (arithmeticOf(graph) !== 'integer' || graph.inputs.length !== 1 || graph.inputs[0]!.shape[0] !== 1 || count < 2) return graph;
  return rebatch(graph, Math.min(ACCURACY_BATCH, count)) ?? graph;
}

export async function evaluateParallel(original: Graph, data: Dataset, options: ParallelOptions): Promise<Top1Result & { workers: number }> {
  const graph = accuracyGraph(original, Math.ceil(data.count / Math.max(1, options.workers ?? availableParallelism())));
  const wanted = options.workers ?? Math.min(availableParallelism(), Math.ceil(data.count / 64));
  const workers = Math.max(1, Math.min(wanted, data.count));
  const shape = graph.inputs[0]!.shape;
  if (workers === 1 || !existsSync(WORKER_SCRIPT)) {
    const r = top1(graphRunner(graph, libraryContext(options.multiplierLibrary)), shape, data, options.onProgress);
    return { ...r, workers: 1 };
  }
  const { json, weights } = encodeIr(graph);
  const ctx = libraryContext(options.multiplierLibrary);
  const tables: Record<string, Int32Array> = {};
  for (const n of graph.nodes) if ((n.op === 'QConv' || n.op === 'QGemm') && n.attrs.multiplier !== undefined) tables[n.attrs.multiplier] = ctx.productTable(n.attrs.multiplier);
  const per = data.inputs.data.length / data.count;
  const labels = data.labels!;
  const bounds = Array.from({ length: workers + 1 }, (_, i) => Math.round((i * data.count) / workers));
  const done = new Array<number>(workers).fill(0);
  const parts = await Promise.all(
    bounds.slice(0, -1).map((start, w) => {
      const end = bounds[w + 1]!;
      const job: WorkerJob = {
        json, weights,
        inputs: (data.inputs.data as Float32Array).slice(start * per, end * per),
        labels: labels.slice(start, end),
        sampleShape: data.inputs.shape.slice(1),
        tables,
      };
      return runOnPooledWorker(job, (m) => {
        done[w] = m;
        options.onProgress?.(done.reduce((a, b) => a + b, 0), data.count);
      });
    }),
  );
  const predictions = new Int32Array(data.count);
  parts.forEach((p, w) => predictions.set(p, bounds[w]!));
  let correct = 0;
  for (let i = 0; i < data.count; i++) if (predictions[i] === labels[i]) correct++;
  return { top1: correct / data.count, correct, count: data.count, predictions, workers };
}

/** Worker threads between jobs, for the next evaluateParallel. */
const idleWorkers: Worker[] = [];

/** Idle pooled threads (for tests of the pool). */
export function pooledWorkerCount(): number {
  return idleWorkers.length;
}

/** A new pool thread: one that fails or ends while idle leaves the pool (its error is not the process's). */
function pooledWorker(): Worker {
  const worker = new Worker(WORKER_SCRIPT);
  const leave = () => {
    const i = idleWorkers.indexOf(worker);
    if (i >= 0) idleWorkers.splice(i, 1);
  };
  worker.on('error', leave);
  worker.on('exit', leave);
  return worker;
}

/** Runs one slice on an idle pooled thread (or a new one); the thread goes back to the pool when it answered. */
export function runOnPooledWorker(job: WorkerJob, onDone: (done: number) => void): Promise<Int32Array> {
  const worker = idleWorkers.pop() ?? pooledWorker();
  worker.ref();
  return new Promise<Int32Array>((resolve, reject) => {
    const finish = (settle: () => void, reuse: boolean) => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
      if (reuse) {
        worker.unref();
        idleWorkers.push(worker);
      } else void worker.terminate();
      settle();
    };
    const onMessage = (m: { done?: number; predictions?: Int32Array; error?: string; code?: string }) => {
      if (m.error !== undefined) finish(() => reject(m.code ? userError(m.code as ErrorCode, m.error!) : new Error(m.error)), true);
      else if (m.predictions) finish(() => resolve(m.predictions!), true);
      else if (m.done !== undefined) onDone(m.done);
    };
    // A thread that crashed is not reused.
    const onError = (e: Error) => finish(() => reject(e), false);
    // A thread that ended without answering (killed, out of memory) rejects instead of leaving the call waiting.
    const onExit = (code: number) => finish(() => reject(new Error(`an evaluation thread exited with code ${code} before it answered`)), false);
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
    worker.postMessage(job);
  });
}
