/** A thread of `adequate worker` (worker.ts): runs one job at a time off the process's main thread, so that the
 *  main thread keeps renewing BullMQ's job locks however long a job computes (a job whose lock lapses is taken
 *  for dead and given to another worker). Keeps the state of the last few setups (decoded graph, evaluator caches);
 *  asks for a setup it does not hold by replying `missing`. */
import { parentPort } from 'node:worker_threads';
import { isUserError } from '../errors.js';
import { JOB_KINDS } from './jobs.js';

export interface ThreadJob {
  readonly kind: string;
  readonly setupHash: string;
  readonly payload: unknown;
  /** The setup itself, when the thread said it misses it. */
  readonly setup?: Record<string, unknown>;
}
export interface ThreadReply {
  readonly missing?: boolean;
  readonly result?: unknown;
  readonly error?: string;
  readonly code?: string | undefined;
}

/** Setups kept (least recently used dropped): a worker serves one run at a time, usually. */
const KEPT = 2;
const states = new Map<string, unknown>();

parentPort!.on('message', async (job: ThreadJob) => {
  try {
    const kind = JOB_KINDS[job.kind];
    if (!kind) throw new Error(`this worker does not know jobs of kind '${job.kind}'; update adequate on every worker`);
    const key = `${job.kind}:${job.setupHash}`;
    let state = states.get(key);
    if (state === undefined) {
      if (!job.setup) return parentPort!.postMessage({ missing: true } satisfies ThreadReply);
      state = kind.setup(job.setup, job.setupHash);
      if (states.size >= KEPT) states.delete(states.keys().next().value!);
    } else states.delete(key);
    states.set(key, state);
    parentPort!.postMessage({ result: await kind.run(state, job.payload) } satisfies ThreadReply);
  } catch (e) {
    parentPort!.postMessage({ error: e instanceof Error ? e.message : String(e), code: isUserError(e) ? e.code : undefined } satisfies ThreadReply);
  }
});
