/** Worker thread of evaluateParallel: for each job it is sent, decodes the graph, classifies the job's slice of
 *  samples and reports progress; it stays for the next job (parallel.ts keeps a pool). */
import { parentPort } from 'node:worker_threads';
import { isUserError } from '../errors.js';
import { decodeIr } from '../ir/serialize.js';
import { graphRunner, top1 } from './accuracy.js';
import type { WorkerJob } from './parallel.js';

parentPort!.on('message', (job: WorkerJob) => {
  try {
    const graph = decodeIr(JSON.parse(job.json), job.weights, 'worker');
    const count = job.labels.length;
    const data = { inputs: { dtype: 'float32' as const, shape: [count, ...job.sampleShape], data: job.inputs }, labels: job.labels, count, inputsFile: '' };
    let last = 0;
    const ctx = { productTable: (id: string) => job.tables[id]! };
    const r = top1(graphRunner(graph, ctx), graph.inputs[0]!.shape, data, (done) => {
      if (done - last >= 64 || done === count) {
        last = done;
        parentPort!.postMessage({ done });
      }
    });
    parentPort!.postMessage({ predictions: r.predictions });
  } catch (e) {
    parentPort!.postMessage({ error: e instanceof Error ? e.message : String(e), code: isUserError(e) ? e.code : undefined });
  }
});
