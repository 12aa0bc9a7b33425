/** Design evaluation on every core: one worker thread per core, each owning a fixed share of the evaluation chunks
 *  (chunk i belongs to worker i mod W) with its own DesignEvaluator: the exact run and the checkpoints of its chunks.
 *  Every design is measured by the workers owning the chunks it asks for, so a worker's checkpoints cover every
 *  design of the search (with a shared queue, consecutive stages of one design landed on different workers and
 *  each recomputed what the other had cached). A generation keeps many designs in flight, so both workers stay
 *  busy. The search stays deterministic: results are added up per design, and the racing rule only looks at
 *  designs of earlier generations. Falls back to the calling thread when the built worker script is missing (tests
 *  from src/) or one core is all there is. With a job queue (`queueRunner`), every evaluation is one job that any
 *  `adequate worker` may take (src/queue/); the results are the same numbers, added up per design the same way. */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { encodeIr } from '../../ir/serialize.js';
import type { Graph, Tensor } from '../../ir/types.js';
import { packagePath } from '../../paths.js';
import type { ApproxPayload, ApproxSetup } from '../../queue/jobs.js';
import type { JobQueue } from '../../queue/submit.js';
import { orderedWorker } from '../worker-channel.js';
import { chunkCountOf, DesignEvaluator } from './evaluator.js';
import { designBindings, type BindingCache, type Candidate, type LayerInfo } from './explore.js';
import type { Compensation } from './weight-update.js';

export interface DesignScore {
  readonly correct: number;
  readonly count: number;
  /** Sum over the samples of the squared difference between the design's output and the exact design's. */
  readonly outputError: number;
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
  readonly compensation: Compensation;
  /** This worker's chunks are those with index % workers === worker. */
  readonly worker: number;
  readonly workers: number;
}

const WORKER = packagePath('dist', 'src', 'dse', 'approx', 'pool-worker.js');

/** The chunks [first, chunks) as indices. */
const range = (first: number, chunks: number) => Array.from({ length: Math.max(0, chunks - first) }, (_, i) => first + i);

/** A runner in this thread; with `owns`, it measures only the chunks it owns (the pool's workers). */
export function localEvaluator(graph: Graph, inputs: Tensor, labels: Int32Array, library: readonly Candidate[], layers: readonly LayerInfo[], compensation: Compensation, owns?: (chunk: number) => boolean) {
  const tables = new Map(library.map((c) => [c.id, c.table]));
  const evaluator = new DesignEvaluator(graph, inputs, labels, { productTable: (id) => tables.get(id)! }, owns);
  const cache: BindingCache = new Map();
  return { evaluator, evaluate: (perLayer: readonly number[], chunks: readonly number[]) => evaluator.evaluate(designBindings(perLayer, layers, library, compensation, cache), chunks) };
}

export function localRunner(graph: Graph, inputs: Tensor, labels: Int32Array, library: readonly Candidate[], layers: readonly LayerInfo[], compensation: Compensation): DesignRunner {
  const local = localEvaluator(graph, inputs, labels, library, layers, compensation);
  return {
    chunkCount: local.evaluator.chunkCount,
    evaluate: async (perLayer, chunks = local.evaluator.chunkCount, first = 0) => local.evaluate(perLayer, range(first, chunks)),
    close: async () => undefined,
  };
}

export function createRunner(graph: Graph, inputs: Tensor, labels: Int32Array, library: readonly Candidate[], layers: readonly LayerInfo[], compensation: Compensation, workers = availableParallelism()): DesignRunner {
  const chunkCount = chunkCountOf(graph, labels.length);
  const W = Math.min(workers, chunkCount);
  if (W <= 1 || !existsSync(WORKER)) return localRunner(graph, inputs, labels, library, layers, compensation);
  const { json, weights } = encodeIr(graph);
  const pool = Array.from({ length: W }, (_, worker) => {
    const init: PoolInit = { json, weights, inputs: inputs.data as Float32Array, inputShape: inputs.shape, labels, library, layers, compensation, worker, workers: W };
    return orderedWorker<DesignScore>(WORKER, init);
  });
  return {
    chunkCount,
    async evaluate(perLayer, chunks = chunkCount, first = 0) {
      const asked = range(first, chunks);
      const parts = await Promise.all(pool.map((w, i) => {
        const mine = asked.filter((c) => c % W === i);
        return mine.length > 0 ? w.ask({ perLayer, chunks: mine }) : Promise.resolve({ correct: 0, count: 0, outputError: 0 });
      }));
      return parts.reduce((a, b) => ({ correct: a.correct + b.correct, count: a.count + b.count, outputError: a.outputError + b.outputError }));
    },
    close: async () => {
      await Promise.all(pool.map((w) => w.terminate()));
    },
  };
}

/** A runner whose evaluations are jobs on the queue: the graph, images, labels and multiplier tables are stored
 *  once (content-addressed), each job carries a design and its chunks. The runner owns the queue: close() closes it. */
export async function queueRunner(queue: JobQueue, graph: Graph, inputs: Tensor, labels: Int32Array, library: readonly Candidate[], layers: readonly LayerInfo[], compensation: Compensation): Promise<DesignRunner> {
  const chunkCount = chunkCountOf(graph, labels.length);
  const { json, weights } = encodeIr(graph);
  const setup: ApproxSetup = { json, weights, inputs: inputs.data as Float32Array, inputShape: inputs.shape, labels, library, layers, compensation };
  const hash = await queue.putSetup({ ...setup }).catch(async (e: unknown) => {
    await queue.close();
    throw e;
  });
  return {
    chunkCount,
    evaluate: (perLayer, chunks = chunkCount, first = 0) => queue.submit<DesignScore>('approx', hash, { perLayer, chunks: range(first, chunks) } satisfies ApproxPayload),
    close: () => queue.close(),
  };
}
