/** The job queue's overhead: the same ALWANN search (bench/approx.ts's: LeNet-5, 3 tiles, pop 16, 3 generations,
 *  2,000 images) with the local pool of two worker threads, and with two `adequate worker --concurrency 1` processes
 *  on a private Redis of this machine (src/queue/). Alternated twice, best run of each kept (this machine's speed
 *  drifts from minute to minute); the overhead is the queued rate's shortfall against the local one. */
import { explore } from '../src/dse/approx/explore.js';
import { createRunner, queueRunner, type DesignRunner } from '../src/dse/approx/pool.js';
import { layerInfo, libraryCandidates } from '../src/dse/approx/setup.js';
import { makeTensor } from '../src/ir/types.js';
import { JobQueue } from '../src/queue/submit.js';
import { quantizedLenet } from './fixtures.js';
import { startRedis, startWorker } from './local-queue.js';
import type { Benchmark } from './types.js';

const WORKERS = 2;

export const queueBench: Benchmark = {
  name: 'queue',
  summary: `ALWANN search on LeNet-5: designs/s with the local pool (${WORKERS} threads) and with ${WORKERS} adequate worker processes on a local Redis`,
  async run() {
    const { graph, samples } = quantizedLenet(2000);
    const names = graph.nodes.filter((n) => n.op === 'QConv' || n.op === 'QGemm').map((n) => n.name);
    const layers = layerInfo(graph, names, makeTensor('float32', [200, ...samples.inputs.shape.slice(1)], samples.inputs.data.slice(0, 200 * 784)));
    const library = await libraryCandidates('builtin', false);
    const search = async (runner: DesignRunner) => {
      const r = await explore(runner, layers, library, { tiles: 3, mode: 'free', pop: 16, gen: 3, seed: 1, weightUpdate: 'histogram', maxDrop: 0.5 }).finally(() => runner.close());
      return { designs: r.evaluations, seconds: r.seconds, front: JSON.stringify(r.front.map((d) => [d.genome, d.top1])) };
    };
    const redis = await startRedis();
    const workers = await Promise.all(Array.from({ length: WORKERS }, () => startWorker(redis.url, 1)));
    try {
      const local = [], queued = [];
      let uploaded = 0;
      for (let round = 0; round < 2; round++) {
        local.push(await search(createRunner(graph, samples.inputs, samples.labels!, library, layers, { weights: 'histogram', bias: true }, WORKERS)));
        const queue = await JobQueue.open({ url: redis.url });
        queued.push(await search(await queueRunner(queue, graph, samples.inputs, samples.labels!, library, layers, { weights: 'histogram', bias: true })));
        uploaded += queue.blobs.uploaded;
      }
      if (new Set([...local, ...queued].map((r) => r.front)).size !== 1) throw new Error('internal error: the queued search found another front than the local pool');
      const best = (runs: { seconds: number }[]) => Math.min(...runs.map((r) => r.seconds));
      const designs = local[0]!.designs;
      const [l, q] = [designs / best(local), designs / best(queued)];
      return {
        designs,
        local_designs_per_second: +l.toFixed(2),
        queue_designs_per_second: +q.toFixed(2),
        overhead_percent: +(100 * (1 - q / l)).toFixed(1),
        local_seconds: local.map((r) => +r.seconds.toFixed(1)).join(' '),
        queue_seconds: queued.map((r) => +r.seconds.toFixed(1)).join(' '),
        shared_data_uploaded_mb: +(uploaded / 1e6).toFixed(2),
        workers: WORKERS,
      };
    } finally {
      await Promise.all(workers.map((w) => w.stop()));
      await redis.stop();
    }
  },
};
