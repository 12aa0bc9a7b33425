/** The submitting side of the job queue: a command that runs with `--queue redis://HOST:PORT` opens a JobQueue,
 *  stores its setup once (blobs.ts), and asks `run(kind, setup, payload)` for each unit of work; each call resolves
 *  with that job's own result, whichever worker computed it and whenever it finished, so the command's search sees
 *  exactly what the local pool gives it (the ordered worker channel's contract, src/dse/worker-channel.ts).
 *  BullMQ does the rest: retries of jobs whose worker died (stalled-job recovery), one completion per job.
 *  Redis lost for longer than a few seconds rejects every pending job with E_QUEUE, so the command exits 2 before
 *  writing anything. */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import { userError, type ErrorCode } from '../errors.js';
import { folderBlobs, putSetup, redisBlobs, type BlobStore } from './blobs.js';
import { connectChecked, parseQueueUrl, QUEUE_NAME, redisOptions, unreachable, type QueueAddress } from './connection.js';

/** What every job carries besides its payload: which setup, and where blobs are. */
export interface JobEnvelope {
  readonly kind: string;
  readonly setup: string;
  /** The shared folder of the blobs, when not Redis. */
  readonly sharedDir?: string;
  readonly payload: unknown;
}

/** What a worker returns: the handler's result and who computed it. */
export interface JobReturn {
  readonly worker: string;
  readonly result: unknown;
}

export interface QueueOptions {
  readonly url: string;
  readonly sharedDir?: string | undefined;
  /** Seconds without Redis before the run fails. */
  readonly downSeconds?: number;
}

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
}

export class JobQueue {
  private readonly pending = new Map<string, Pending>();
  private readonly workers = new Set<string>();
  private readonly run = `${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;
  private next = 0;
  private lost: Error | undefined;
  /** Results received (each job once). */
  done = 0;
  /** Jobs handed to another worker after theirs stopped (killed, machine lost). */
  retried = 0;
  onResult: ((done: number, workers: number) => void) | undefined;

  private constructor(
    private readonly address: QueueAddress,
    private readonly queue: Queue,
    private readonly events: QueueEvents,
    private readonly client: Redis,
    readonly blobs: BlobStore,
    private readonly sharedDir: string | undefined,
  ) {
    events.on('completed', ({ jobId, returnvalue }) => this.settle(jobId, undefined, returnvalue as unknown as JobReturn));
    events.on('failed', ({ jobId, failedReason }) => this.settle(jobId, failedReason));
    events.on('stalled', ({ jobId }) => {
      if (this.pending.has(jobId)) this.retried++;
    });
    // This client gives up (ends) after the same seconds without Redis as BullMQ's own connections.
    client.on('end', () => this.fail(unreachable(address, 'the connection was lost during the run')));
    queue.on('error', () => undefined);
    events.on('error', () => undefined);
    client.on('error', () => undefined);
  }

  static async open(o: QueueOptions): Promise<JobQueue> {
    const a = parseQueueUrl(o.url);
    const client = await connectChecked(a, false);
    const connection = redisOptions(a, false, o.downSeconds);
    const queue = new Queue(QUEUE_NAME, { connection });
    const events = new QueueEvents(QUEUE_NAME, { connection });
    const q = new JobQueue(a, queue, events, client, o.sharedDir ? folderBlobs(o.sharedDir) : redisBlobs(client), o.sharedDir);
    try {
      await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
    } catch (e) {
      await q.close();
      throw unreachable(a, e instanceof Error ? e.message : String(e));
    }
    return q;
  }

  /** Stores a setup (blobs.ts); its hash names it in every job. */
  async putSetup(setup: Readonly<Record<string, unknown>>): Promise<string> {
    return this.guard(putSetup(this.blobs, setup));
  }

  /** Workers that returned at least one result. */
  get workersSeen(): number {
    return this.workers.size;
  }

  /** Submits one job and resolves with its result. */
  async submit<R>(kind: string, setup: string, payload: unknown): Promise<R> {
    if (this.lost) throw this.lost;
    const jobId = `${this.run}-${this.next++}`;
    const result = new Promise<unknown>((resolve, reject) => this.pending.set(jobId, { resolve, reject }));
    const data: JobEnvelope = { kind, setup, payload, ...(this.sharedDir ? { sharedDir: this.sharedDir } : {}) };
    await this.guard(this.queue.add(kind, data, { jobId, attempts: 1, removeOnComplete: true, removeOnFail: { age: 3600 } }));
    return (await result) as R;
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.events.close(), this.queue.close()]);
    this.client.disconnect();
  }

  private settle(jobId: string, failed: string | undefined, ret?: JobReturn): void {
    const p = this.pending.get(jobId);
    if (!p) return; // another run's job, or a second completion of this one
    this.pending.delete(jobId);
    if (failed !== undefined) {
      const m = /^(E_[A-Z_]+): (.*)$/s.exec(failed);
      p.reject(m ? userError(m[1] as ErrorCode, m[2]!) : new Error(`a queue worker failed a job: ${failed}`));
      return;
    }
    this.workers.add(ret!.worker);
    this.done++;
    this.onResult?.(this.done, this.workers.size);
    p.resolve(ret!.result);
  }

  private fail(e: Error): void {
    if (this.lost) return;
    this.lost = e;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  private async guard<T>(p: Promise<T>): Promise<T> {
    try {
      return await p;
    } catch (e) {
      if (this.lost) throw this.lost;
      throw unreachable(this.address, `the connection was lost during the run: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}
