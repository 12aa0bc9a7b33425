/** Worker thread of the design pool: builds its own DesignEvaluator and answers design evaluations. */
import { parentPort, workerData } from 'node:worker_threads';
import { decodeIr } from '../../ir/serialize.js';
import { localRunner, type PoolInit } from './pool.js';

const init = workerData as PoolInit;
const graph = decodeIr(JSON.parse(init.json), init.weights, 'worker');
const runner = localRunner(graph, { dtype: 'float32', shape: init.inputShape, data: init.inputs }, init.labels, init.library, init.layers, init.weightUpdate);
parentPort!.on('message', (m: { perLayer: number[]; chunks: number | undefined; first: number | undefined }) => {
  runner
    .evaluate(m.perLayer, m.chunks, m.first)
    .then((s) => parentPort!.postMessage(s))
    .catch((e: unknown) => parentPort!.postMessage({ correct: 0, count: 0, error: e instanceof Error ? e.message : String(e) }));
});
