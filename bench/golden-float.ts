/** Float golden model throughput on a Conv-heavy network (a small VGG block stack on 32x32 images, plus LeNet-5 from
 *  examples/), in GFLOP/s (2 FLOP per multiply-accumulate) on one core. */
import { join } from 'node:path';
import { runOutputs } from '../src/golden/evaluate.js';
import { inferOutputs } from '../src/ir/shapes.js';
import { layerStats, totalsOf } from '../src/ir/stats.js';
import type { Graph, Node, Tensor, ValueInfo } from '../src/ir/types.js';
import { makeTensor } from '../src/ir/types.js';
import { importOnnxFile } from '../src/onnx/import.js';
import { PACKAGE_ROOT } from '../src/paths.js';
import type { Benchmark } from './types.js';

function random(shape: number[], seed: number): Tensor {
  const t = makeTensor('float32', shape);
  let s = seed;
  for (let i = 0; i < t.data.length; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    t.data[i] = s / 2147483648 - 0.5;
  }
  return t;
}

/** conv3x3(16->32) relu conv3x3(32->32) relu maxpool conv3x3(32->64) relu conv3x3(64->64) relu, on 1x16x32x32. */
export function vggBlocks(): Graph {
  const values = new Map<string, ValueInfo>();
  const constants = new Map<string, Tensor>();
  const nodes: Node[] = [];
  const input: ValueInfo = { name: 'x', dtype: 'float32', shape: [1, 16, 32, 32] };
  values.set('x', input);
  let cur = 'x', channels = 16, k = 0;
  const add = (node: Node) => {
    const outs = inferOutputs(node, node.inputs.map((i) => values.get(i)!));
    node.outputs.forEach((o, j) => values.set(o, { name: o, ...outs[j]! }));
    nodes.push(node);
    cur = node.outputs[0]!;
  };
  const window = { kernelShape: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1], dilations: [1, 1] };
  const conv = (out: number) => {
    const [w, b] = [`w${k}`, `b${k}`];
    for (const [n, t] of [[w, random([out, channels, 3, 3], k + 1)], [b, random([out], k + 100)]] as const) {
      constants.set(n, t);
      values.set(n, { name: n, dtype: 'float32', shape: t.shape });
    }
    add({ name: `conv${k}`, op: 'Conv', attrs: { ...window, group: 1 }, inputs: [cur, w, b], outputs: [`c${k}`] });
    add({ name: `relu${k}`, op: 'Relu', attrs: {}, inputs: [cur], outputs: [`r${k}`] });
    channels = out;
    k++;
  };
  conv(32);
  conv(32);
  add({ name: 'pool', op: 'MaxPool', attrs: { kernelShape: [2, 2], strides: [2, 2], pads: [0, 0, 0, 0], dilations: [1, 1], ceilMode: false }, inputs: [cur], outputs: ['p'] });
  conv(64);
  conv(64);
  return { name: 'vgg-blocks', source: { file: '', irVersion: 0, opset: 0, producer: 'bench' }, inputs: [input], outputs: [cur], values, constants, nodes };
}

function measure(graph: Graph, minSeconds: number): { gflops: number; msPerInference: number; macs: number } {
  const macs = totalsOf(layerStats(graph)).macs;
  const input = graph.inputs[0]!;
  const feeds = new Map([[input.name, random([...input.shape], 7)]]);
  runOutputs(graph, feeds); // warm-up (JIT)
  let runs = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < minSeconds * 1000) {
    runOutputs(graph, feeds);
    runs++;
  }
  const seconds = (performance.now() - t0) / 1000;
  return { gflops: (2 * macs * runs) / seconds / 1e9, msPerInference: (1000 * seconds) / runs, macs };
}

export const goldenFloat: Benchmark = {
  name: 'golden-float',
  summary: 'float golden model throughput (GFLOP/s, one core) on a Conv-heavy network and on LeNet-5',
  async run() {
    const vgg = measure(vggBlocks(), 3);
    const lenet = measure(importOnnxFile(join(PACKAGE_ROOT, 'examples/lenet5-mnist/model.onnx')), 2);
    return {
      vgg_blocks_gflops: +vgg.gflops.toFixed(3),
      vgg_blocks_ms_per_inference: +vgg.msPerInference.toFixed(2),
      vgg_blocks_macs: vgg.macs,
      lenet5_gflops: +lenet.gflops.toFixed(3),
      lenet5_ms_per_inference: +lenet.msPerInference.toFixed(3),
      lenet5_samples_per_second: +(1000 / lenet.msPerInference).toFixed(0),
    };
  },
};
