/** A worker thread that answers each message with exactly one reply, in order: the design pools of the searches
 *  (approx, wordlength) keep one per core. `ask(message)` posts the message and resolves with its reply; `ask()`
 *  waits for the next reply the worker sends on its own (a ready message after its set-up). A reply carrying `error`
 *  rejects (as a user error when it also carries its `code`); a worker that crashes rejects everything pending. */
import { Worker } from 'node:worker_threads';
import { userError, type ErrorCode } from '../errors.js';

export interface OrderedWorker<Reply> {
  ask(message?: unknown): Promise<Reply>;
  terminate(): Promise<void>;
}

export function orderedWorker<Reply>(script: string, workerData: unknown): OrderedWorker<Reply> {
  const worker = new Worker(script, { workerData });
  const waiting: { resolve: (r: Reply) => void; reject: (e: Error) => void }[] = [];
  worker.on('message', (m: Reply & { error?: string; code?: string }) => {
    const job = waiting.shift();
    if (!job) return;
    if (m.error !== undefined) job.reject(m.code ? userError(m.code as ErrorCode, m.error) : new Error(m.error));
    else job.resolve(m);
  });
  worker.on('error', (e) => waiting.splice(0).forEach((j) => j.reject(e)));
  return {
    ask: (message) =>
      new Promise<Reply>((resolve, reject) => {
        waiting.push({ resolve, reject });
        if (message !== undefined) worker.postMessage(message);
      }),
    terminate: async () => {
      await worker.terminate();
    },
  };
}
