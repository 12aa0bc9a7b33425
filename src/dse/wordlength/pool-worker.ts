/** Worker thread of the word-length oracle (pool.ts): rebuilds the graph and the search space, evaluates its slice
 *  of the tuning images for every configuration it is sent. */
import { parentPort, workerData } from 'node:worker_threads';
import { isUserError } from '../../errors.js';
import { decodeIr } from '../../ir/serialize.js';
import { Evaluator } from './evaluator.js';
import { spaceSignature, type PoolInit, type WorkerReply } from './pool.js';
import { buildSpace, type Config } from './space.js';

const init = workerData as PoolInit;
const fail = (e: unknown) => parentPort!.postMessage({ correct: 0, flips: 0, noise: new Float64Array(0), error: e instanceof Error ? e.message : String(e), code: isUserError(e) ? e.code : undefined } satisfies WorkerReply);
try {
  const graph = decodeIr(JSON.parse(init.json), init.weights, 'worker');
  const space = buildSpace(graph, init.kind, init.stats, init.options);
  if (spaceSignature(space) !== init.signature) throw new Error('internal error: a word-length worker rebuilt a different search space');
  const ev = new Evaluator(graph, space, { dtype: 'float32', shape: init.inputShape, data: init.inputs }, init.labels, init.cacheBytes);
  parentPort!.postMessage({ correct: ev.floatCorrect, flips: 0, noise: new Float64Array(0) } satisfies WorkerReply);
  parentPort!.on('message', (config: Config) => {
    try {
      const r = ev.evaluateSlice(config);
      parentPort!.postMessage({ correct: r.correct, flips: r.flips, noise: r.noise } satisfies WorkerReply, [r.noise.buffer as ArrayBuffer]);
    } catch (e) {
      fail(e);
    }
  });
} catch (e) {
  fail(e);
}
