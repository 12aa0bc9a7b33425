/** Small models for the hardware tests: a "zoo" network with one layer of every kind the Verilog units implement
 *  (strided and dilated padded convolutions, a 1x1 convolution shorter than the lane count, a padded max pool, an
 *  activation table, a residual add, an average pool that excludes its padding, a dense layer), quantized by the
 *  CLI, and an approximate binding of an example model. */
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadIr, saveIr } from '../../src/ir/serialize.js';
import { bindMultipliers, type LayerBinding } from '../../src/passes/bind-multipliers.js';
import { builtinLibrary } from '../../src/multipliers/index.js';
import { writeNpy } from '../../src/io/npy.js';
import { makeTensor } from '../../src/ir/types.js';
import { buildModel } from './onnx-builder.js';
import { runCliAsync } from './cli.js';

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

const weights = (r: () => number, n: number, scale = 0.5) => Array.from({ length: n }, () => (r() * 2 - 1) * scale);

/** The zoo model as ONNX bytes: input [1, 2, 9, 9], output [1, 4]. */
export function zooOnnx(): Uint8Array {
  const r = seeded(7);
  return buildModel({
    inputs: [{ name: 'x', shape: [1, 2, 9, 9] }],
    outputs: ['y'],
    initializers: [
      { name: 'w1', shape: [5, 2, 3, 3], data: weights(r, 90) }, { name: 'b1', shape: [5], data: weights(r, 5, 0.1) },
      { name: 'w2', shape: [3, 5, 1, 1], data: weights(r, 15) }, { name: 'b2', shape: [3], data: weights(r, 3, 0.1) },
      { name: 'w3', shape: [3, 3, 3, 3], data: weights(r, 81) }, { name: 'b3', shape: [3], data: weights(r, 3, 0.1) },
      { name: 'w4', shape: [4, 27], data: weights(r, 108) }, { name: 'b4', shape: [4], data: weights(r, 4, 0.1) },
      { name: 'flat', shape: [2], data: [1, 27], elemType: 7 },
    ],
    nodes: [
      { op: 'Conv', inputs: ['x', 'w1', 'b1'], outputs: ['c1'], attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] } },
      { op: 'Relu', inputs: ['c1'], outputs: ['r1'] },
      { op: 'MaxPool', inputs: ['r1'], outputs: ['p1'], attrs: { kernel_shape: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1] } },
      { op: 'Conv', inputs: ['p1', 'w2', 'b2'], outputs: ['c2'], attrs: { kernel_shape: [1, 1] } },
      { op: 'Sigmoid', inputs: ['c2'], outputs: ['s2'] },
      { op: 'Conv', inputs: ['s2', 'w3', 'b3'], outputs: ['c3'], attrs: { kernel_shape: [3, 3], dilations: [2, 2], pads: [2, 2, 2, 2] } },
      { op: 'Add', inputs: ['c3', 's2'], outputs: ['a3'] },
      { op: 'AveragePool', inputs: ['a3'], outputs: ['p3'], attrs: { kernel_shape: [2, 2], strides: [2, 2], pads: [0, 0, 1, 1], count_include_pad: 0 } },
      { op: 'Reshape', inputs: ['p3', 'flat'], outputs: ['f'] },
      { op: 'Gemm', inputs: ['f', 'w4', 'b4'], outputs: ['y'], attrs: { transB: 1 } },
    ],
  });
}

/** Writes the zoo model and `count` seeded inputs (x.npy) into `dir`; quantizes it into dir/q with extra CLI flags. */
export async function quantizedZoo(dir: string, count: number, flags: readonly string[] = []): Promise<{ ir: string; inputs: string }> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'zoo.onnx'), zooOnnx());
  const r = seeded(11);
  const x = makeTensor('float32', [count, 2, 9, 9]);
  x.data.forEach((_, i) => (x.data[i] = r() * 2 - 1));
  writeNpy(join(dir, 'x.npy'), x);
  const ir = join(dir, 'q');
  const q = await runCliAsync(['quantize', join(dir, 'zoo.onnx'), '-o', ir, '--inputs', join(dir, 'x.npy'), '--calib', String(count), ...flags]);
  if (q.code !== 0) throw new Error(`quantize failed: ${q.stderr}`);
  return { ir, inputs: join(dir, 'x.npy') };
}

/** A built-in unsigned EvoApprox multiplier the library knows only by its product table (no netlist). */
export const TABLE_ONLY = builtinLibrary().find((m) => !m.signed && !m.netlist && m.id.startsWith('mul8u_') && m.metrics.maePct < 1)!.id;

/** Binds the QConv/QGemm layers of an IR round-robin to tiles 0, 1, 2: a generated multiplier with a gate-level
 *  netlist, an EvoApprox multiplier known only by its table (TABLE_ONLY), and exact multiplication. */
export function bindThreeTiles(irDir: string, out: string): void {
  const g = loadIr(irDir);
  const kinds: (string | undefined)[] = ['trunc-u8-k8', TABLE_ONLY, undefined];
  const layers = new Map<string, LayerBinding>();
  let i = 0;
  for (const n of g.nodes) if (n.op === 'QConv' || n.op === 'QGemm') {
    const t = i++ % 3;
    layers.set(n.name, { multiplier: kinds[t], tile: t });
  }
  mkdirSync(out, { recursive: true });
  saveIr(out, bindMultipliers.run(g, { layers }).graph);
  if (existsSync(join(irDir, 'dataset.json'))) copyFileSync(join(irDir, 'dataset.json'), join(out, 'dataset.json'));
}

/** A model with every layout step and elementwise form the hardware runs beside conv/pool/dense layers: a channel
 *  shuffle (Reshape, 5-D Transpose, Reshape), Split, Concat, a QSum that broadcasts a global average, a ReLU the
 *  quantizer cannot fold (Clip on codes), strided Slice, a channels-last Transpose, GlobalMaxPool and a Concat of two
 *  flattened tensors. Input [1, 4, 6, 6], output [1, 5]. */
export function layoutOnnx(): Uint8Array {
  const r = seeded(21);
  const i64 = (name: string, data: number[]) => ({ name, shape: [data.length], data, elemType: 7 });
  return buildModel({
    inputs: [{ name: 'x', shape: [1, 4, 6, 6] }],
    outputs: ['y'],
    initializers: [
      { name: 'w1', shape: [8, 4, 3, 3], data: weights(r, 288) }, { name: 'b1', shape: [8], data: weights(r, 8, 0.1) },
      { name: 'w2', shape: [4, 4, 1, 1], data: weights(r, 16) }, { name: 'b2', shape: [4], data: weights(r, 4, 0.1) },
      { name: 'w3', shape: [5, 40], data: weights(r, 200) }, { name: 'b3', shape: [5], data: weights(r, 5, 0.1) },
      i64('s5', [1, 2, 4, 6, 6]), i64('s4', [1, 8, 6, 6]), i64('halves', [4, 4]),
      i64('st', [1, 1]), i64('en', [5, 5]), i64('ax', [2, 3]), i64('sp', [2, 2]), i64('flat', [1, -1]),
    ],
    nodes: [
      { op: 'Conv', inputs: ['x', 'w1', 'b1'], outputs: ['c1'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] } },
      { op: 'Relu', inputs: ['c1'], outputs: ['a'] },
      { op: 'Reshape', inputs: ['a', 's5'], outputs: ['a5'] },
      { op: 'Transpose', inputs: ['a5'], outputs: ['t5'], attrs: { perm: [0, 2, 1, 3, 4] } },
      { op: 'Reshape', inputs: ['t5', 's4'], outputs: ['sh'] },
      { op: 'Split', inputs: ['sh', 'halves'], outputs: ['h0', 'h1'], attrs: { axis: 1 } },
      { op: 'Conv', inputs: ['h1', 'w2', 'b2'], outputs: ['c2'], attrs: { kernel_shape: [1, 1] } },
      { op: 'Relu', inputs: ['c2'], outputs: ['b'] },
      { op: 'Concat', inputs: ['h0', 'b'], outputs: ['cat'], attrs: { axis: 1 } },
      { op: 'GlobalAveragePool', inputs: ['cat'], outputs: ['g'] },
      { op: 'Add', inputs: ['cat', 'g'], outputs: ['s'] },
      { op: 'Relu', inputs: ['s'], outputs: ['sr'] },
      { op: 'Slice', inputs: ['sr', 'st', 'en', 'ax', 'sp'], outputs: ['sl'] },
      { op: 'Transpose', inputs: ['sl'], outputs: ['nhwc'], attrs: { perm: [0, 2, 3, 1] } },
      { op: 'Reshape', inputs: ['nhwc', 'flat'], outputs: ['f1'] },
      { op: 'GlobalMaxPool', inputs: ['sr'], outputs: ['gm'] },
      { op: 'Reshape', inputs: ['gm', 'flat'], outputs: ['f2'] },
      { op: 'Concat', inputs: ['f1', 'f2'], outputs: ['fc'], attrs: { axis: 1 } },
      { op: 'Gemm', inputs: ['fc', 'w3', 'b3'], outputs: ['y'], attrs: { transB: 1 } },
    ],
  });
}

/** Writes an ONNX model and `count` seeded inputs (x.npy, uniform in [-1, 1)) into `dir`, and quantizes it into
 *  dir/q. */
export async function quantizedModel(dir: string, onnx: Uint8Array, inputShape: readonly number[], count: number, flags: readonly string[] = []): Promise<{ ir: string; inputs: string }> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'model.onnx'), onnx);
  const r = seeded(13);
  const x = makeTensor('float32', [count, ...inputShape.slice(1)]);
  x.data.forEach((_, i) => (x.data[i] = r() * 2 - 1));
  writeNpy(join(dir, 'x.npy'), x);
  const ir = join(dir, 'q');
  const q = await runCliAsync(['quantize', join(dir, 'model.onnx'), '-o', ir, '--inputs', join(dir, 'x.npy'), '--calib', String(count)]);
  if (q.code !== 0) throw new Error(`quantize failed: ${q.stderr}`);
  return { ir, inputs: join(dir, 'x.npy') };
}

/** A MobileNet-style model with grouped and depthwise convolutions: a 3x3 stem with ReLU6, a depthwise 3x3 whose
 *  input comes from that group-1 conv (lanes over groups, banked input written by the tile), a pointwise 1x1, a
 *  strided grouped 3x3 (group 3, two channels per group: lanes over the channels of a group), a sigmoid (a QTable on
 *  the elementwise unit, which writes the next layer's banked input), a strided depthwise 3x3, another strided
 *  depthwise 3x3 whose input comes from a depthwise conv (one lane per group), global average pooling and a dense
 *  layer. Input [1, 3, 8, 8], output [1, 4]. */
/** Keras/TensorFlow 'same' padding as exported: a Pad of one row and column after, before a stride-2 Conv with its
 *  own pads, and a padded counting AveragePool (fuse-pad makes both the layers' own pads). */
export function kerasPadOnnx(): Uint8Array {
  const r = seeded(37);
  const int64 = (name: string, data: number[]) => ({ name, shape: [data.length], data, elemType: 7 });
  return buildModel({
    inputs: [{ name: 'x', shape: [1, 3, 9, 9] }],
    outputs: ['y'],
    initializers: [{ name: 'w', shape: [4, 3, 3, 3], data: weights(r, 108) }, { name: 'b', shape: [4], data: weights(r, 4, 0.1) }, int64('p1', [0, 0, 0, 0, 0, 0, 1, 1]), int64('p2', [0, 0, 1, 0, 0, 0, 1, 2])],
    nodes: [
      { op: 'Pad', inputs: ['x', 'p1'], outputs: ['xp'] },
      { op: 'Conv', inputs: ['xp', 'w', 'b'], outputs: ['c'], attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 0, 0, 1] } },
      { op: 'Relu', inputs: ['c'], outputs: ['a'] },
      { op: 'Pad', inputs: ['a', 'p2'], outputs: ['ap'] },
      { op: 'AveragePool', inputs: ['ap'], outputs: ['y'], attrs: { kernel_shape: [3, 3], count_include_pad: 1 } },
    ],
  });
}

export function depthwiseOnnx(): Uint8Array {
  const r = seeded(31);
  return buildModel({
    inputs: [{ name: 'x', shape: [1, 3, 8, 8] }],
    outputs: ['y'],
    initializers: [
      { name: 'w1', shape: [8, 3, 3, 3], data: weights(r, 216) }, { name: 'b1', shape: [8], data: weights(r, 8, 0.1) },
      { name: 'wd', shape: [8, 1, 3, 3], data: weights(r, 72, 1) }, { name: 'bd', shape: [8], data: weights(r, 8, 0.1) },
      { name: 'wp', shape: [6, 8, 1, 1], data: weights(r, 48) }, { name: 'bp', shape: [6], data: weights(r, 6, 0.1) },
      { name: 'wg', shape: [6, 2, 3, 3], data: weights(r, 108) }, { name: 'bg', shape: [6], data: weights(r, 6, 0.1) },
      { name: 'we', shape: [6, 1, 3, 3], data: weights(r, 54, 1) }, { name: 'be', shape: [6], data: weights(r, 6, 0.1) },
      { name: 'wf', shape: [4, 6], data: weights(r, 24) }, { name: 'bf', shape: [4], data: weights(r, 4, 0.1) },
      { name: 'w9', shape: [6, 1, 3, 3], data: weights(r, 54, 1) }, { name: 'b9', shape: [6], data: weights(r, 6, 0.1) },
      { name: 'lo', shape: [], data: [0] }, { name: 'hi', shape: [], data: [6] },
    ],
    nodes: [
      { op: 'Conv', inputs: ['x', 'w1', 'b1'], outputs: ['c1'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] } },
      { op: 'Clip', inputs: ['c1', 'lo', 'hi'], outputs: ['a'] },
      { op: 'Conv', inputs: ['a', 'wd', 'bd'], outputs: ['d1'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1], group: 8 } },
      { op: 'Relu', inputs: ['d1'], outputs: ['b'] },
      { op: 'Conv', inputs: ['b', 'wp', 'bp'], outputs: ['c'], attrs: { kernel_shape: [1, 1] } },
      { op: 'Conv', inputs: ['c', 'wg', 'bg'], outputs: ['d'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [2, 2], group: 3 } },
      { op: 'Sigmoid', inputs: ['d'], outputs: ['ds'] },
      { op: 'Conv', inputs: ['ds', 'we', 'be'], outputs: ['e'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [2, 2], group: 6 } },
      { op: 'Conv', inputs: ['e', 'w9', 'b9'], outputs: ['e9'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1], group: 6 } },
      { op: 'GlobalAveragePool', inputs: ['e9'], outputs: ['g'] },
      { op: 'Flatten', inputs: ['g'], outputs: ['f'] },
      { op: 'Gemm', inputs: ['f', 'wf', 'bf'], outputs: ['y'], attrs: { transB: 1 } },
    ],
  });
}

/** Squeeze-excitation and a residual block: a conv with ReLU, a global average pool, two 1x1 convs (ReLU, then
 *  HardSigmoid: a QTable), the gate multiplied into the features (a QMul that broadcasts [1, 6, 1, 1] over
 *  [1, 6, 6, 6]), a residual Add with ReLU (folded into the QSum), global max pooling and a dense layer.
 *  Input [1, 3, 6, 6], output [1, 4] (`c` channels instead of 6 and a `size` x `size` image: other element counts). */
export function squeezeExciteOnnx(c = 6, size = 6): Uint8Array {
  const r = seeded(41);
  return buildModel({
    inputs: [{ name: 'x', shape: [1, 3, size, size] }],
    outputs: ['y'],
    initializers: [
      { name: 'w1', shape: [c, 3, 3, 3], data: weights(r, c * 27) }, { name: 'b1', shape: [c], data: weights(r, c, 0.1) },
      { name: 'ws', shape: [3, c, 1, 1], data: weights(r, 3 * c, 1) }, { name: 'bs', shape: [3], data: weights(r, 3, 0.1) },
      { name: 'we', shape: [c, 3, 1, 1], data: weights(r, 3 * c, 1) }, { name: 'be', shape: [c], data: weights(r, c, 0.1) },
      { name: 'wf', shape: [4, c], data: weights(r, 4 * c) }, { name: 'bf', shape: [4], data: weights(r, 4, 0.1) },
    ],
    nodes: [
      { op: 'Conv', inputs: ['x', 'w1', 'b1'], outputs: ['c1'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] } },
      { op: 'Relu', inputs: ['c1'], outputs: ['a'] },
      { op: 'GlobalAveragePool', inputs: ['a'], outputs: ['g'] },
      { op: 'Conv', inputs: ['g', 'ws', 'bs'], outputs: ['sq'], attrs: { kernel_shape: [1, 1] } },
      { op: 'Relu', inputs: ['sq'], outputs: ['sr'] },
      { op: 'Conv', inputs: ['sr', 'we', 'be'], outputs: ['ex'], attrs: { kernel_shape: [1, 1] } },
      { op: 'HardSigmoid', inputs: ['ex'], outputs: ['gate'], attrs: { alpha: 1 / 6, beta: 0.5 } },
      { op: 'Mul', inputs: ['a', 'gate'], outputs: ['se'] },
      { op: 'Add', inputs: ['se', 'a'], outputs: ['res'] },
      { op: 'Relu', inputs: ['res'], outputs: ['rr'] },
      { op: 'GlobalMaxPool', inputs: ['rr'], outputs: ['gm'] },
      { op: 'Flatten', inputs: ['gm'], outputs: ['f'] },
      { op: 'Gemm', inputs: ['f', 'wf', 'bf'], outputs: ['y'], attrs: { transB: 1 } },
    ],
  });
}

/** A SqueezeNet fire module: a squeeze 1x1 conv, two expand convs (1x1 and 3x3) concatenated along channels (both
 *  placed inside the Concat's output in HLS, so the build has no copy step at all), global average pooling and a
 *  dense layer. Input [1, 3, 6, 6], output [1, 3]. */
export function fireOnnx(): Uint8Array {
  const r = seeded(51);
  return buildModel({
    inputs: [{ name: 'x', shape: [1, 3, 6, 6] }],
    outputs: ['y'],
    initializers: [
      { name: 'ws', shape: [4, 3, 1, 1], data: weights(r, 12, 1) }, { name: 'bs', shape: [4], data: weights(r, 4, 0.1) },
      { name: 'w1', shape: [4, 4, 1, 1], data: weights(r, 16, 1) }, { name: 'b1', shape: [4], data: weights(r, 4, 0.1) },
      { name: 'w3', shape: [4, 4, 3, 3], data: weights(r, 144) }, { name: 'b3', shape: [4], data: weights(r, 4, 0.1) },
      { name: 'wf', shape: [3, 8], data: weights(r, 24) }, { name: 'bf', shape: [3], data: weights(r, 3, 0.1) },
    ],
    nodes: [
      { op: 'Conv', inputs: ['x', 'ws', 'bs'], outputs: ['s'], attrs: { kernel_shape: [1, 1] } },
      { op: 'Relu', inputs: ['s'], outputs: ['sr'] },
      { op: 'Conv', inputs: ['sr', 'w1', 'b1'], outputs: ['e1'], attrs: { kernel_shape: [1, 1] } },
      { op: 'Conv', inputs: ['sr', 'w3', 'b3'], outputs: ['e3'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] } },
      { op: 'Concat', inputs: ['e1', 'e3'], outputs: ['cat'], attrs: { axis: 1 } },
      { op: 'GlobalAveragePool', inputs: ['cat'], outputs: ['g'] },
      { op: 'Flatten', inputs: ['g'], outputs: ['f'] },
      { op: 'Gemm', inputs: ['f', 'wf', 'bf'], outputs: ['y'], attrs: { transB: 1 } },
    ],
  });
}

/** Concats partly placed (src/hw/concat-placement.ts). The max pools keep their input's scale and each Concat's
 *  range is its first input's, so no input is rescaled: e is read by two Concats (placed in neither: both copy it);
 *  m1 is placed in cat1 and also read there by a 3x3 max pool (m2, window taps) and a padded 3x3 conv (d, SIMD lanes
 *  reading the memory's replicas); m2 is placed in cat2, whose copy step then reads only its second input (its port
 *  renumbered 0). The last Concat's inputs are one-input QSums rescaling the
 *  flattened pools (placed, written by the elementwise unit). Input [1, 3, 6, 6], output [1, 3]. */
export function concatSharedOnnx(): Uint8Array {
  const r = seeded(61);
  const i64 = (name: string, data: number[]) => ({ name, shape: [data.length], data, elemType: 7 });
  const pool = { kernel_shape: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1] };
  return buildModel({
    inputs: [{ name: 'x', shape: [1, 3, 6, 6] }],
    outputs: ['y'],
    initializers: [
      { name: 'ws', shape: [4, 3, 1, 1], data: weights(r, 12, 1) }, { name: 'bs', shape: [4], data: weights(r, 4, 0.1) },
      { name: 'we', shape: [4, 4, 3, 3], data: weights(r, 144) }, { name: 'be', shape: [4], data: weights(r, 4, 0.1) },
      { name: 'wd', shape: [4, 4, 3, 3], data: weights(r, 144) }, { name: 'bd', shape: [4], data: weights(r, 4, 0.1) },
      { name: 'wf', shape: [3, 20], data: weights(r, 60) }, { name: 'bf', shape: [3], data: weights(r, 3, 0.1) },
      i64('flat', [1, -1]),
    ],
    nodes: [
      { op: 'Conv', inputs: ['x', 'ws', 'bs'], outputs: ['s'], attrs: { kernel_shape: [1, 1] } },
      { op: 'Relu', inputs: ['s'], outputs: ['sr'] },
      { op: 'Conv', inputs: ['sr', 'we', 'be'], outputs: ['e'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] } },
      { op: 'MaxPool', inputs: ['e'], outputs: ['m1'], attrs: pool },
      { op: 'Concat', inputs: ['e', 'm1'], outputs: ['cat1'], attrs: { axis: 1 } },
      { op: 'MaxPool', inputs: ['m1'], outputs: ['m2'], attrs: pool },
      { op: 'Concat', inputs: ['m2', 'e'], outputs: ['cat2'], attrs: { axis: 1 } },
      { op: 'Conv', inputs: ['m1', 'wd', 'bd'], outputs: ['d'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] } },
      { op: 'GlobalAveragePool', inputs: ['cat1'], outputs: ['g1'] },
      { op: 'GlobalAveragePool', inputs: ['cat2'], outputs: ['g2'] },
      { op: 'GlobalAveragePool', inputs: ['d'], outputs: ['gd'] },
      { op: 'Reshape', inputs: ['g1', 'flat'], outputs: ['f1'] },
      { op: 'Reshape', inputs: ['g2', 'flat'], outputs: ['f2'] },
      { op: 'Reshape', inputs: ['gd', 'flat'], outputs: ['fd'] },
      { op: 'Concat', inputs: ['f1', 'f2', 'fd'], outputs: ['f'], attrs: { axis: 1 } },
      { op: 'Gemm', inputs: ['f', 'wf', 'bf'], outputs: ['y'], attrs: { transB: 1 } },
    ],
  });
}

/** Concats that stay copy steps: along the height axis (h: its inputs are not contiguous blocks of the output), and
 *  a channel Concat of c and its max pool p (one scale, no rescale) that an Add also reads: placed, both would lie in
 *  one memory that the Add reads at two offsets over one address bus, so the Verilog schedule refuses the placement.
 *  Input [1, 3, 6, 6], output [1, 3]. */
export function concatCopiedOnnx(): Uint8Array {
  const r = seeded(71);
  const i64 = (name: string, data: number[]) => ({ name, shape: [data.length], data, elemType: 7 });
  return buildModel({
    inputs: [{ name: 'x', shape: [1, 3, 6, 6] }],
    outputs: ['y'],
    initializers: [
      { name: 'wa', shape: [4, 3, 3, 3], data: weights(r, 108) }, { name: 'ba', shape: [4], data: weights(r, 4, 0.1) },
      { name: 'wb', shape: [4, 3, 1, 1], data: weights(r, 12, 1) }, { name: 'bb', shape: [4], data: weights(r, 4, 0.1) },
      { name: 'wc', shape: [4, 4, 1, 1], data: weights(r, 16, 1) }, { name: 'bc', shape: [4], data: weights(r, 4, 0.1) },
      { name: 'wf', shape: [3, 12], data: weights(r, 36) }, { name: 'bf', shape: [3], data: weights(r, 3, 0.1) },
      i64('flat', [1, -1]),
    ],
    nodes: [
      { op: 'Conv', inputs: ['x', 'wa', 'ba'], outputs: ['a'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] } },
      { op: 'Conv', inputs: ['x', 'wb', 'bb'], outputs: ['b'], attrs: { kernel_shape: [1, 1] } },
      { op: 'Concat', inputs: ['a', 'b'], outputs: ['h'], attrs: { axis: 2 } },
      { op: 'Conv', inputs: ['h', 'wc', 'bc'], outputs: ['c'], attrs: { kernel_shape: [1, 1] } },
      { op: 'MaxPool', inputs: ['c'], outputs: ['p'], attrs: { kernel_shape: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1] } },
      { op: 'Concat', inputs: ['c', 'p'], outputs: ['z'], attrs: { axis: 1 } },
      { op: 'Add', inputs: ['c', 'p'], outputs: ['t'] },
      { op: 'GlobalAveragePool', inputs: ['z'], outputs: ['gz'] },
      { op: 'GlobalAveragePool', inputs: ['t'], outputs: ['gt'] },
      { op: 'Reshape', inputs: ['gz', 'flat'], outputs: ['fz'] },
      { op: 'Reshape', inputs: ['gt', 'flat'], outputs: ['ft'] },
      { op: 'Concat', inputs: ['fz', 'ft'], outputs: ['f'], attrs: { axis: 1 } },
      { op: 'Gemm', inputs: ['f', 'wf', 'bf'], outputs: ['y'], attrs: { transB: 1 } },
    ],
  });
}

/** A DenseNet-style block at the end of the network: c1 = pool(x0), cat1 = Concat(x0, c1), c2 = pool(c1),
 *  y = Concat(cat1, c2), the output. Max pools keep their input's scale and each Concat's range is its first
 *  input's, so no input is rescaled: cat1 is placed inside y, a chain (x0 and c1 lie in y's memory at composed
 *  offsets), and the last step, c2's pool, reads c1 at offset 64 of the memory it writes into and that is then
 *  streamed out from 0. Input [1, 2, 4, 4], output [1, 12, 4, 4]. */
export function denseChainOnnx(): Uint8Array {
  const r = seeded(81);
  const pool = { kernel_shape: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1] };
  return buildModel({
    inputs: [{ name: 'x', shape: [1, 2, 4, 4] }],
    outputs: ['y'],
    initializers: [
      { name: 'w0', shape: [4, 2, 3, 3], data: weights(r, 72) }, { name: 'b0', shape: [4], data: weights(r, 4, 0.1) },
    ],
    nodes: [
      { op: 'Conv', inputs: ['x', 'w0', 'b0'], outputs: ['x0'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] } },
      { op: 'MaxPool', inputs: ['x0'], outputs: ['c1'], attrs: pool },
      { op: 'Concat', inputs: ['x0', 'c1'], outputs: ['cat1'], attrs: { axis: 1 } },
      { op: 'MaxPool', inputs: ['c1'], outputs: ['c2'], attrs: { kernel_shape: [2, 2], strides: [1, 1], pads: [0, 0, 1, 1] } },
      { op: 'Concat', inputs: ['cat1', 'c2'], outputs: ['y'], attrs: { axis: 1 } },
    ],
  });
}
