/** evaluateParallel's pooled worker threads (src/golden/parallel.ts): each call's predictions equal the calling
 *  thread's golden model on the same images, whatever graph the pooled threads ran before, and a slice that fails
 *  rejects without spoiling the pool for the next call. Needs the built worker script (npm test builds dist/). */
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { datasetOptionsFromConfig, findDatasetConfig, loadDataset, sliceDataset } from '../../src/io/dataset.js';
import { importOnnxFile } from '../../src/onnx/import.js';
import { evaluateParallel, libraryContext, pooledWorkerCount, runOnPooledWorker, WORKER_SCRIPT } from '../../src/golden/parallel.js';
import { graphRunner, top1 } from '../../src/golden/accuracy.js';
import { REPO } from '../helpers/cli.js';
import type { Graph } from '../../src/ir/types.js';

function example(name: string): { graph: Graph; data: ReturnType<typeof loadDataset> } {
  const model = join(REPO, 'examples', name, 'model.onnx');
  const graph = importOnnxFile(model);
  const config = findDatasetConfig(model)!;
  const data = loadDataset(datasetOptionsFromConfig(config, 'test', { limit: 300 })!, graph.inputs[0]!);
  return { graph, data };
}

describe('evaluateParallel on pooled worker threads', () => {
  test('two models in turn on the same threads: each equals the calling thread, and the threads are reused', async () => {
    expect(existsSync(WORKER_SCRIPT), `${WORKER_SCRIPT} (run npm run build)`).toBe(true);
    const mlp = example('mlp-mnist'), lenet = example('lenet5-mnist');
    for (const { graph, data } of [mlp, lenet, mlp]) {
      const here = top1(graphRunner(graph, libraryContext(undefined)), graph.inputs[0]!.shape, data);
      const there = await evaluateParallel(graph, data, { multiplierLibrary: undefined, workers: 2 });
      expect(there.workers).toBe(2);
      expect(Array.from(there.predictions)).toEqual(Array.from(here.predictions));
      expect(there.correct).toBe(here.correct);
      // The two threads of the first call answer every later one.
      expect(pooledWorkerCount()).toBe(2);
    }
  }, 120_000);

  test('a slice that fails rejects; the thread stays in the pool and the next call answers right', async () => {
    const { graph, data } = example('mlp-mnist');
    // A job whose graph is not JSON: the pooled thread's decode throws, and it answers with the error.
    const job = { json: '{not json', weights: new Uint8Array(0), inputs: new Float32Array(784), labels: new Int32Array(1), sampleShape: [784], tables: {} };
    await expect(runOnPooledWorker(job, () => undefined)).rejects.toThrow(/JSON/);
    expect(pooledWorkerCount()).toBeGreaterThan(0);
    const small = sliceDataset(data, 0, 200);
    const here = top1(graphRunner(graph, libraryContext(undefined)), graph.inputs[0]!.shape, small);
    const there = await evaluateParallel(graph, small, { multiplierLibrary: undefined, workers: 2 });
    expect(Array.from(there.predictions)).toEqual(Array.from(here.predictions));
  }, 120_000);
});
