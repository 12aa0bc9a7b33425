/** `adequate worker --queue redis://HOST:PORT`: a long-running process that takes jobs from the BullMQ queue and
 *  runs each on one of its threads (worker-thread.ts), `concurrency` at a time. Setups are fetched from Redis or the
 *  shared folder once per run and kept (blobs.ts). BullMQ's stalled-job check hands the jobs of a worker that died
 *  (SIGKILL, a lost machine) to the others after LOCK_MS; a worker that loses Redis waits for it and carries on.
 *  SIGINT/SIGTERM finish the jobs in hand (waiting at most STOP_MS), then exit 0. */
import { hostname } from 'node:os';
import { Worker, type Job } from 'bullmq';
import { isUserError } from '../errors.js';
import { packagePath } from '../paths.js';
import { orderedWorker, type OrderedWorker } from '../dse/worker-channel.js';
import { folderBlobs, getSetup, redisBlobs } from './blobs.js';
import { connectChecked, parseQueueUrl, QUEUE_NAME, redisOptions } from './connection.js';
import type { JobEnvelope, JobReturn } from './submit.js';
import type { ThreadJob, ThreadReply } from './worker-thread.js';

const THREAD = packagePath('dist', 'src', 'queue', 'worker-thread.js');
/** A job whose worker stops renewing its lock for this long is handed to another worker. */
const LOCK_MS = 10_000;
const STALLED_CHECK_MS = 5_000;
/** Deaths a job survives before it fails (a job that kills every worker it touches must end the run). */
const MAX_STALLED = 3;
/** Setups kept in memory, ready for threads that miss them. */
const KEPT_SETUPS = 2;
/** How long a stopping worker waits for its jobs in hand. */
const STOP_MS = 10_000;

export interface WorkerOptions {
  readonly url: string;
  readonly concurrency: number;
  readonly log: (line: string) => void;
}

export async function runWorker(o: WorkerOptions): Promise<void> {
  const address = parseQueueUrl(o.url);
  const client = await connectChecked(address, true);
  client.on('error', () => undefined);
  const name = `${hostname()}:${process.pid}`;
  const threads: OrderedWorker<ThreadReply>[] = Array.from({ length: o.concurrency }, () => orderedWorker<ThreadReply>(THREAD, undefined));
  const free = [...threads];
  const setups = new Map<string, Promise<Record<string, unknown>>>();
  const setupOf = (env: JobEnvelope) => {
    const key = `${env.sharedDir ?? ''}:${env.setup}`;
    let s = setups.get(key);
    if (!s) {
      s = getSetup<Record<string, unknown>>(env.sharedDir ? folderBlobs(env.sharedDir) : redisBlobs(client), env.setup);
      s.catch(() => setups.delete(key));
      if (setups.size >= KEPT_SETUPS) setups.delete(setups.keys().next().value!);
      setups.set(key, s);
    }
    return s;
  };
  let jobs = 0;
  const processJob = async (job: Job<JobEnvelope>): Promise<JobReturn> => {
    const env = job.data;
    const thread = free.pop()!;
    try {
      const ask = (setup?: Record<string, unknown>) => thread.ask({ kind: env.kind, setupHash: env.setup, payload: env.payload, ...(setup ? { setup } : {}) } satisfies ThreadJob);
      let reply = await ask();
      if (reply.missing) reply = await ask(await setupOf(env));
      if (++jobs % 100 === 0) o.log(`worker ${name}: ${jobs} jobs done`);
      return { worker: name, result: reply.result };
    } catch (e) {
      // A user error travels as "E_CODE: message" (the submitting command turns it back into one).
      throw new Error(isUserError(e) ? `${e.code}: ${e.message}` : e instanceof Error ? e.message : String(e));
    } finally {
      free.push(thread);
    }
  };
  const worker = new Worker<JobEnvelope, JobReturn>(QUEUE_NAME, processJob, {
    connection: redisOptions(address, true), concurrency: o.concurrency,
    lockDuration: LOCK_MS, stalledInterval: STALLED_CHECK_MS, maxStalledCount: MAX_STALLED,
  });
  worker.on('error', (e) => o.log(`worker ${name}: ${e.message}`));
  await worker.waitUntilReady();
  o.log(`worker ${name}: taking jobs from ${o.url} (queue '${QUEUE_NAME}'), ${o.concurrency} at a time`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      o.log(`worker ${name}: stopping after the jobs in hand (${jobs} done)`);
      // Jobs in hand cannot finish without Redis: give up waiting for them after STOP_MS (they will be retried).
      const timer = setTimeout(resolve, STOP_MS);
      void worker.close().then(resolve, resolve).finally(() => clearTimeout(timer));
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await Promise.all(threads.map((t) => t.terminate()));
  client.disconnect();
}
