/** Accuracy evaluations of word-length configurations on every core: the tuning images are split into contiguous
 *  slices, one worker thread per slice, each with its own Evaluator (its own float reference and prefix cache) over
 *  the same search space, rebuilt from the same range-analysis statistics. One evaluation asks every worker and adds
 *  their per-image sums in image order, so the result is the same number for any worker count (combine()).
 *  Falls back to the calling thread when the built worker script is missing (tests from src/), when there is one
 *  core, or when the images are few. With a job queue (`queueOracle`), each slice of each evaluation is one job that
 *  any `adequate worker` may take (src/queue/); the slices add up the same way, so the numbers are the same. */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { encodeIr } from '../../ir/serialize.js';
import type { Graph, Tensor } from '../../ir/types.js';
import { packagePath } from '../../paths.js';
import type { JobQueue } from '../../queue/submit.js';
import { orderedWorker } from '../worker-channel.js';
import type { CalibrationStats } from '../../passes/calibrate.js';
import { combine, Evaluator, type Evaluation, type SliceEvaluation } from './evaluator.js';
import { buildSpace, type Config, type NumberSystem, type Space, type SpaceOptions } from './space.js';

/** Top-1 and output noise of configurations on the tuning images, counting the evaluations. */
export interface AccuracyOracle {
  readonly space: Space;
  readonly floatTop1: number;
  readonly evaluations: number;
  /** Threads evaluating (1: the calling thread). */
  readonly workers: number;
  evaluate(config: Config): Promise<Evaluation>;
  close(): Promise<void>;
}

export interface OracleInput {
  readonly graph: Graph;
  readonly kind: NumberSystem;
  readonly stats: CalibrationStats;
  readonly options: SpaceOptions;
  /** Tuning images [N, ...input shape without batch] and their labels. */
  readonly samples: Tensor;
  readonly labels: Int32Array;
}

export interface PoolInit {
  readonly json: string;
  readonly weights: Uint8Array;
  readonly kind: NumberSystem;
  readonly stats: CalibrationStats;
  readonly options: SpaceOptions;
  readonly inputs: Float32Array;
  readonly inputShape: readonly number[];
  readonly labels: Int32Array;
  readonly cacheBytes: number;
  /** What the main thread's space looks like, to check the worker rebuilt the same one. */
  readonly signature: string;
}

const WORKER = packagePath('dist', 'src', 'dse', 'wordlength', 'pool-worker.js');
/** Fewer images than this per worker are not worth a thread. */
const MIN_PER_WORKER = 50;
const CACHE_BYTES = 256 << 20;

export function spaceSignature(space: Space): string {
  return space.variables.map((v) => `${v.layer}/${v.role}/${v.range}/${v.lo}..${v.hi}`).join(';') + `;S=${space.reductionLanes ?? 1}`;
}

/** An oracle on the calling thread. */
export function localOracle(input: OracleInput): AccuracyOracle {
  const space = buildSpace(input.graph, input.kind, input.stats, input.options);
  const ev = new Evaluator(input.graph, space, input.samples, input.labels, CACHE_BYTES);
  return {
    space,
    floatTop1: ev.floatTop1,
    get evaluations() {
      return ev.evaluations;
    },
    workers: 1,
    evaluate: async (config) => ev.evaluate(config),
    close: async () => undefined,
  };
}

export async function createOracle(input: OracleInput, workers = availableParallelism()): Promise<AccuracyOracle> {
  const count = input.labels.length;
  const n = Math.max(1, Math.min(workers, Math.floor(count / MIN_PER_WORKER)));
  if (n <= 1 || !existsSync(WORKER)) return localOracle(input);
  const space = buildSpace(input.graph, input.kind, input.stats, input.options);
  const { json, weights } = encodeIr(input.graph);
  const per = input.samples.data.length / count;
  const bounds = Array.from({ length: n + 1 }, (_, i) => Math.round((i * count) / n));
  const outSize = input.graph.values.get(input.graph.outputs[0]!)!.shape.reduce((a, b) => a * b, 1);
  const threads = bounds.slice(0, -1).map((start, w) => {
    const init: PoolInit = {
      json, weights, kind: input.kind, stats: input.stats, options: input.options,
      inputs: (input.samples.data as Float32Array).slice(start * per, bounds[w + 1]! * per),
      inputShape: [bounds[w + 1]! - start, ...input.samples.shape.slice(1)],
      labels: input.labels.slice(start, bounds[w + 1]!),
      cacheBytes: Math.floor(CACHE_BYTES / n),
      signature: spaceSignature(space),
    };
    return orderedWorker<WorkerReply>(WORKER, init);
  });
  const close = async () => {
    await Promise.all(threads.map((t) => t.terminate()));
  };
  let floatCorrect = 0;
  try {
    for (const r of await Promise.all(threads.map((t) => t.ask()))) floatCorrect += r.correct; // the ready messages
  } catch (e) {
    await close();
    throw e;
  }
  return slicedOracle(space, floatCorrect / count, n, async (config) => combine((await Promise.all(threads.map((t) => t.ask([...config])))) as SliceEvaluation[], outSize), close);
}

/** An oracle over n slices of the tuning images (worker threads or queue jobs): counts its evaluations. */
function slicedOracle(space: Space, floatTop1: number, workers: number, evaluateSlices: AccuracyOracle['evaluate'], close: () => Promise<void>): AccuracyOracle {
  let evaluations = 0;
  return {
    space,
    floatTop1,
    get evaluations() {
      return evaluations;
    },
    workers,
    evaluate(config) {
      evaluations++;
      return evaluateSlices(config);
    },
    close,
  };
}

/** What a queue worker needs for the slices of a word-length search (src/queue/jobs.ts). */
export interface QueueSetup {
  readonly json: string;
  readonly weights: Uint8Array;
  readonly kind: NumberSystem;
  readonly stats: CalibrationStats;
  readonly options: SpaceOptions;
  /** Every tuning image, and where slice i starts (bounds[i]) and ends (bounds[i + 1]). */
  readonly inputs: Float32Array;
  readonly inputShape: readonly number[];
  readonly labels: Int32Array;
  readonly bounds: readonly number[];
  readonly cacheBytes: number;
  readonly signature: string;
}
/** A slice's evaluation of a configuration, or without one its float model's correct count. */
export interface QueuePayload {
  readonly slice: number;
  readonly config?: readonly number[];
}
export interface QueueResult {
  readonly correct: number;
  readonly flips: number;
  readonly noise: readonly number[];
}
/** Slices of the tuning images on the queue: enough for as many workers, not so many that jobs get tiny. */
const QUEUE_SLICES = 8;

/** The slice of a queue setup as a PoolInit (what one thread of the local pool gets). */
export function queueSlice(s: QueueSetup, slice: number): PoolInit {
  const [start, end] = [s.bounds[slice]!, s.bounds[slice + 1]!];
  const per = s.inputs.length / s.labels.length;
  return { ...s, inputs: s.inputs.subarray(start * per, end * per), inputShape: [end - start, ...s.inputShape.slice(1)], labels: s.labels.subarray(start, end) };
}

/** An oracle whose evaluations are jobs on the queue, one per slice of the tuning images. Owns the queue. */
export async function queueOracle(queue: JobQueue, input: OracleInput): Promise<AccuracyOracle> {
  const count = input.labels.length;
  const n = Math.max(1, Math.min(QUEUE_SLICES, Math.floor(count / MIN_PER_WORKER)));
  const space = buildSpace(input.graph, input.kind, input.stats, input.options);
  const { json, weights } = encodeIr(input.graph);
  const setup: QueueSetup = {
    json, weights, kind: input.kind, stats: input.stats, options: input.options,
    inputs: input.samples.data as Float32Array, inputShape: input.samples.shape, labels: input.labels,
    bounds: Array.from({ length: n + 1 }, (_, i) => Math.round((i * count) / n)), cacheBytes: Math.floor(CACHE_BYTES / n), signature: spaceSignature(space),
  };
  const close = () => queue.close();
  const ask = (config?: Config) => Promise.all(Array.from({ length: n }, (_, slice) => queue.submit<QueueResult>('wordlength', hash, { slice, ...(config ? { config: [...config] } : {}) } satisfies QueuePayload)));
  let hash = '', floatCorrect = 0;
  try {
    hash = await queue.putSetup({ ...setup });
    for (const r of await ask()) floatCorrect += r.correct;
  } catch (e) {
    await close();
    throw e;
  }
  const outSize = input.graph.values.get(input.graph.outputs[0]!)!.shape.reduce((a, b) => a * b, 1);
  return slicedOracle(space, floatCorrect / count, n, async (config) => combine((await ask(config)).map((r) => ({ correct: r.correct, flips: r.flips, noise: Float64Array.from(r.noise) })), outSize), close);
}

/** A worker's message: ready (correct = the float model's), an evaluation, or an error. */
export interface WorkerReply {
  readonly correct: number;
  readonly flips: number;
  readonly noise: Float64Array;
  readonly error?: string;
  readonly code?: string | undefined;
}
