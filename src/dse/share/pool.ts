/** Where the sharing exploration measures its designs: a SharingEvaluator in this thread (the search waits for each
 *  design), or jobs on a queue that any `adequate worker` takes (src/queue/), a design's chunks per job, the designs
 *  of a generation in flight together. Both give the same counts for the same design and chunks, so the same search. */
import { encodeIr } from '../../ir/serialize.js';
import type { Graph, Tensor } from '../../ir/types.js';
import type { JobQueue } from '../../queue/submit.js';
import { SharingEvaluator, type LayerChoice } from './evaluator.js';
import type { AccuracyRunner } from './explore.js';
import type { ExploredGranularity } from './space.js';

export function localShareRunner(evaluator: SharingEvaluator): AccuracyRunner {
  return { chunkCount: evaluator.chunkCount, evaluate: (_genome, choices, first, last) => evaluator.evaluate(choices, first, last) };
}

/** What a queue worker rebuilds the space and the evaluator from (src/queue/jobs.ts). */
export interface ShareQueueSetup {
  readonly json: string;
  readonly weights: Uint8Array;
  readonly granularities: readonly ExploredGranularity[];
  readonly maxBits: number;
  readonly layerNames: readonly string[];
  readonly inputs: Float32Array;
  readonly inputShape: readonly number[];
  readonly labels: Int32Array;
}
export interface ShareQueuePayload {
  readonly genome: readonly number[];
  readonly first: number;
  readonly last: number;
}
/** Designs of a generation in flight on the queue. */
const IN_FLIGHT = 64;

/** A runner whose measurements are jobs on the queue; it owns the queue (close() closes it). */
export async function queueShareRunner(queue: JobQueue, graph: Graph, setup: Omit<ShareQueueSetup, 'json' | 'weights' | 'inputs' | 'inputShape'>, inputs: Tensor, chunkCount: number): Promise<AccuracyRunner & { close(): Promise<void> }> {
  const { json, weights } = encodeIr(graph);
  const full: ShareQueueSetup = { ...setup, json, weights, inputs: inputs.data as Float32Array, inputShape: inputs.shape };
  const hash = await queue.putSetup({ ...full }).catch(async (e: unknown) => {
    await queue.close();
    throw e;
  });
  return {
    chunkCount,
    concurrency: IN_FLIGHT,
    evaluate: (genome: readonly number[], _choices: readonly LayerChoice[], first = 0, last = chunkCount) => queue.submit<{ correct: number; count: number }>('share', hash, { genome: [...genome], first, last } satisfies ShareQueuePayload),
    close: () => queue.close(),
  };
}
