/** `adequate worker --queue redis://HOST:PORT [--concurrency N]`: take jobs of queued explorations and verifications
 *  from a BullMQ queue on Redis until stopped (src/queue/worker.ts, docs/scale-out.md). */
import { availableParallelism } from 'node:os';
import type { CommandModule } from 'yargs';
import { userError } from '../../errors.js';
import { intOption } from '../options.js';

interface Args {
  queue: string;
  concurrency: number;
}

export const workerCommand: CommandModule<object, Args> = {
  command: 'worker',
  describe: 'take jobs of queued explorations and verifications (--queue on approx, share-explore, wordlength, verify) until stopped',
  builder: (y) =>
    y
      .option('queue', { type: 'string', demandOption: true, describe: 'the job queue: redis://HOST:PORT' })
      .option('concurrency', { ...intOption('concurrency', { min: 1, default: availableParallelism(), describe: 'jobs run at once (one thread each)' }), defaultDescription: 'the number of cores' }) as never,
  handler: async (args) => {
    if (!(Number.isInteger(args.concurrency) && args.concurrency >= 1)) throw userError('E_USAGE', `--concurrency ${args.concurrency} must be a positive integer`);
    const { runWorker } = await import('../../queue/worker.js');
    await runWorker({ url: args.queue, concurrency: args.concurrency, log: (line) => process.stderr.write(`${line}\n`) });
    // Stopped: BullMQ's connections may still be trying to reach a Redis that went away; do not wait for them.
    process.exit(0);
  },
};
