/** Worker thread of the design pool: builds its own DesignEvaluator over the chunks it owns and answers design
 *  evaluations on them, in the order they arrive. */
import { parentPort, workerData } from 'node:worker_threads';
import { decodeIr } from '../../ir/serialize.js';
import { localEvaluator, type PoolInit } from './pool.js';

const init = workerData as PoolInit;
const graph = decodeIr(JSON.parse(init.json), init.weights, 'worker');
const local = localEvaluator(graph, { dtype: 'float32', shape: init.inputShape, data: init.inputs }, init.labels, init.library, init.layers, init.compensation, (c) => c % init.workers === init.worker);
parentPort!.on('message', (m: { perLayer: number[]; chunks: number[] }) => {
  try {
    parentPort!.postMessage(local.evaluate(m.perLayer, m.chunks));
  } catch (e) {
    parentPort!.postMessage({ correct: 0, count: 0, outputError: 0, error: e instanceof Error ? e.message : String(e) });
  }
});
