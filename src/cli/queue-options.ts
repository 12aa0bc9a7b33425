/** `--queue redis://HOST:PORT` and `--shared-dir DIR` of the commands that can hand their work to `adequate worker`
 *  processes (approx, share-explore, wordlength, verify), and the one way they open, report on and close the queue. */
import type { Argv } from 'yargs';
import type { JobQueue } from '../queue/submit.js';

export interface QueueArgs {
  readonly queue?: string | undefined;
  readonly 'shared-dir'?: string | undefined;
}

export function withQueueOptions<T>(y: Argv<T>) {
  return y
    .option('queue', { type: 'string', describe: 'hand the work to `adequate worker` processes on this job queue (redis://HOST:PORT) instead of local threads' })
    .option('shared-dir', { type: 'string', describe: 'with --queue: store the model, tables and images in this folder, which every worker sees under the same path, instead of in Redis' });
}

/** Opens the queue the flags name (undefined without --queue). */
export async function openQueue(args: QueueArgs): Promise<JobQueue | undefined> {
  if (args.queue === undefined) return undefined;
  // BullMQ and its Redis client load only for a queued run (they cost every command's start-up otherwise).
  const { JobQueue } = await import('../queue/submit.js');
  return JobQueue.open({ url: args.queue, sharedDir: args['shared-dir'] });
}

/** ", N workers" for progress notes: how many workers have returned results so far (and how many jobs were
 *  handed to another worker after theirs died). */
export const workersNote = (queue: JobQueue | undefined) =>
  queue ? `, ${queue.workersSeen} worker${queue.workersSeen === 1 ? '' : 's'}${queue.retried ? `, ${queue.retried} job${queue.retried === 1 ? '' : 's'} retried after a worker was lost` : ''}` : '';

/** The closing line of a queued run, on stderr. */
export function queueSummary(queue: JobQueue | undefined, command: string): void {
  if (!queue) return;
  process.stderr.write(`${command}: ${queue.done} jobs on the queue, ${queue.workersSeen} workers, ${queue.retried} retried after a worker was lost, ${(queue.blobs.uploaded / 1e6).toFixed(2)} MB of shared data uploaded\n`);
}
