/** The topology patterns of real CNN and MLP exports (torchvision ResNet, MobileNetV2/V3, SqueezeNet, ShuffleNet;
 *  Keras MatMul+Add; PyTorch BatchNorm1d MLPs; AlexNet's LRN; global pooling as ReduceMean), each as a tiny ONNX
 *  model: the imported float graph equals ONNX Runtime, and the quantized graph (calibrated on seeded samples) runs
 *  in the integer golden model with every op between its QuantizeLinear and DequantizeLinear an integer op, and
 *  agrees with the float result. `scripts/export-zoo.py` exports the full-size models these patterns come from. */
import { describe, expect, test } from 'vitest';
import { runOutputs } from '../../src/golden/evaluate.js';
import type { Graph, Tensor } from '../../src/ir/types.js';
import { makeTensor, sizeOf } from '../../src/ir/types.js';
import { importOnnx } from '../../src/onnx/import.js';
import { calibrate } from '../../src/passes/calibrate.js';
import { importPipeline, runPipeline } from '../../src/passes/pipeline.js';
import { DEFAULT_CONFIG } from '../../src/passes/quantize-config.js';
import { quantizePass } from '../../src/passes/quantize.js';
import { buildModel, DT, seeded, type ModelSpec, type NodeSpec } from '../helpers/onnx-builder.js';
import { closeTo, runOrt } from '../helpers/ort.js';
import { expectUserError } from '../helpers/user-error.js';
import { planAccelerator } from '../../src/hw/plan.js';

type Init = NonNullable<ModelSpec['initializers']>[number];
const w = (name: string, shape: number[], seed: number, scale = 0.5): Init => ({ name, shape, data: seeded(seed, sizeOf(shape)).map((v) => v * scale) });
const ints = (name: string, data: number[]): Init => ({ name, shape: [data.length], data, elemType: DT.INT64 });
const conv = (x: string, wName: string, y: string, attrs: NodeSpec['attrs'] = {}, b?: string): NodeSpec => ({ op: 'Conv', inputs: b ? [x, wName, b] : [x, wName], outputs: [y], attrs });
const node = (op: string, inputs: string[], y: string, attrs?: NodeSpec['attrs']): NodeSpec => ({ op, inputs, outputs: [y], ...(attrs ? { attrs } : {}) });
const bnInits = (p: string, c: number, seed: number): Init[] => [
  w(`${p}s`, [c], seed), w(`${p}t`, [c], seed + 1), w(`${p}m`, [c], seed + 2),
  { name: `${p}v`, shape: [c], data: seeded(seed + 3, c).map((v) => v * v + 0.2) },
];
const bn = (x: string, p: string, y: string): NodeSpec => node('BatchNormalization', [x, `${p}s`, `${p}t`, `${p}m`, `${p}v`], y);
const PAD1 = { pads: [1, 1, 1, 1] };

interface Pattern {
  readonly spec: ModelSpec;
  /** Ops the imported float graph must hold (fusions done at import). */
  readonly floatOps?: readonly string[];
  /** Integer ops the quantized graph must hold. */
  readonly intOps: readonly string[];
  /** Exact counts of some of them. */
  readonly counts?: Readonly<Record<string, number>>;
}

const PATTERNS: Record<string, Pattern> = {
  'residual add + relu (ResNet)': {
    spec: {
      inputs: [{ name: 'x', shape: [1, 4, 6, 6] }], outputs: ['y'], initializers: [w('w1', [4, 4, 3, 3], 1, 0.3), w('w2', [4, 4, 3, 3], 2, 0.3)],
      nodes: [conv('x', 'w1', 'c1', PAD1), node('Relu', ['c1'], 'r1'), conv('r1', 'w2', 'c2', PAD1), node('Add', ['c2', 'x'], 's'), node('Relu', ['s'], 'y')],
    },
    intOps: ['QConv', 'QSum'],
  },
  'depthwise convolution + ReLU6 (MobileNetV2)': {
    spec: {
      inputs: [{ name: 'x', shape: [1, 4, 6, 6] }], outputs: ['y'],
      initializers: [w('w1', [8, 4, 1, 1], 3), w('wd', [8, 1, 3, 3], 4), { name: 'lo', shape: [], data: [0] }, { name: 'hi', shape: [], data: [6] }],
      nodes: [conv('x', 'w1', 'c1'), node('Clip', ['c1', 'lo', 'hi'], 'r1'), conv('r1', 'wd', 'c2', { ...PAD1, group: 8 }), node('Clip', ['c2', 'lo', 'hi'], 'y')],
    },
    intOps: ['QConv'],
  },
  'squeeze-excitation: Mul of two tensors, HardSigmoid (MobileNetV3)': {
    spec: {
      inputs: [{ name: 'x', shape: [1, 4, 5, 5] }], outputs: ['y'],
      initializers: [w('w1', [8, 4, 3, 3], 5, 0.3), w('wr', [2, 8, 1, 1], 6), w('br', [2], 7), w('we', [8, 2, 1, 1], 8), w('be', [8], 9)],
      nodes: [
        conv('x', 'w1', 'c1', PAD1), node('Relu', ['c1'], 'r1'), node('GlobalAveragePool', ['r1'], 'p'),
        conv('p', 'wr', 'q1', {}, 'br'), node('Relu', ['q1'], 'q2'), conv('q2', 'we', 'q3', {}, 'be'),
        node('HardSigmoid', ['q3'], 'g', { alpha: { f: 1 / 6 }, beta: { f: 0.5 } }), node('Mul', ['r1', 'g'], 'y'),
      ],
    },
    intOps: ['QConv', 'QAveragePool', 'QTable', 'QMul'],
  },
  'HardSwish exported as x * HardSigmoid(x) (MobileNetV3 at opset 13)': {
    spec: {
      inputs: [{ name: 'x', shape: [1, 3, 5, 5] }], outputs: ['y'], initializers: [w('w1', [4, 3, 3, 3], 40, 0.8)],
      nodes: [conv('x', 'w1', 'c1', PAD1), node('HardSigmoid', ['c1'], 'h', { alpha: { f: 1 / 6 }, beta: { f: 0.5 } }), node('Mul', ['c1', 'h'], 'y')],
    },
    floatOps: ['Conv', 'HardSwish'],
    intOps: ['QConv', 'QTable'],
  },
  'SiLU as x * Sigmoid(x) (EfficientNet): one table': {
    spec: {
      inputs: [{ name: 'x', shape: [1, 3, 5, 5] }], outputs: ['y'], initializers: [w('w1', [4, 3, 3, 3], 41, 0.8), w('w2', [4, 4, 1, 1], 42)],
      nodes: [conv('x', 'w1', 'c1', PAD1), node('Sigmoid', ['c1'], 's'), node('Mul', ['s', 'c1'], 'm'), conv('m', 'w2', 'y')],
    },
    intOps: ['QConv', 'QTable'],
    counts: { QTable: 1, QMul: 0 },
  },
  'concat of differently scaled branches (SqueezeNet fire, Inception)': {
    // The two conv branches write codes in the Concat's own scale; the pooled input keeps the input's scale, so one
    // rescaling QSum brings it to the Concat's.
    spec: {
      inputs: [{ name: 'x', shape: [1, 4, 5, 5] }], outputs: ['y'], initializers: [w('wa', [3, 4, 1, 1], 10, 0.2), w('wb', [5, 4, 3, 3], 11, 1.5)],
      nodes: [
        conv('x', 'wa', 'a'), node('Relu', ['a'], 'ra'), conv('x', 'wb', 'b', PAD1), node('Relu', ['b'], 'rb'),
        node('MaxPool', ['x'], 'p', { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }), node('Concat', ['ra', 'rb', 'p'], 'y', { axis: 1 }),
      ],
    },
    intOps: ['QConv', 'QSum', 'Concat'],
    counts: { QSum: 1 },
  },
  'channel shuffle: Reshape, Transpose, Reshape (ShuffleNet)': {
    spec: {
      inputs: [{ name: 'x', shape: [1, 4, 3, 3] }], outputs: ['y'],
      initializers: [w('w1', [4, 4, 1, 1], 12), w('w2', [4, 4, 1, 1], 13), ints('s5', [1, 2, 2, 3, 3]), ints('s4', [1, 4, 3, 3])],
      nodes: [
        conv('x', 'w1', 'c1'), node('Relu', ['c1'], 'r1'), node('Reshape', ['r1', 's5'], 'g'),
        node('Transpose', ['g'], 't', { perm: [0, 2, 1, 3, 4] }), node('Reshape', ['t', 's4'], 'sh'), conv('sh', 'w2', 'y'),
      ],
    },
    intOps: ['QConv', 'Reshape', 'Transpose'],
  },
  'MatMul + Add + Relu (Keras dense layers)': {
    spec: {
      inputs: [{ name: 'x', shape: [1, 12] }], outputs: ['y'], initializers: [w('w1', [12, 8], 14), w('b1', [8], 15), w('w2', [8, 3], 16), w('b2', [3], 17)],
      nodes: [node('MatMul', ['x', 'w1'], 'm1'), node('Add', ['m1', 'b1'], 'a1'), node('Relu', ['a1'], 'r1'), node('MatMul', ['r1', 'w2'], 'm2'), node('Add', ['b2', 'm2'], 'y')],
    },
    floatOps: ['Gemm', 'Relu', 'Gemm'],
    intOps: ['QGemm'],
  },
  'BatchNorm1d MLP: a foldable and an unfoldable BatchNormalization on [N, C]': {
    spec: {
      inputs: [{ name: 'x', shape: [1, 12] }], outputs: ['y'],
      initializers: [w('w1', [8, 12], 18), w('b1', [8], 19), w('w2', [3, 8], 20), ...bnInits('a', 8, 21), ...bnInits('b', 8, 25)],
      nodes: [node('Gemm', ['x', 'w1', 'b1'], 'g1', { transB: 1 }), bn('g1', 'a', 'n1'), node('Relu', ['n1'], 'r1'), bn('r1', 'b', 'n2'), node('Gemm', ['n2', 'w2'], 'y', { transB: 1 })],
    },
    floatOps: ['Gemm', 'Relu', 'ChannelAffine', 'Gemm'],
    intOps: ['QGemm', 'Reshape', 'QConv'],
  },
  'BatchNormalization exported as per-channel Mul + Add after a Relu (DenseNet), and a per-channel Mul folded into a Conv': {
    spec: {
      inputs: [{ name: 'x', shape: [1, 4, 5, 5] }], outputs: ['y'],
      initializers: [w('k', [1, 4, 1, 1], 29), w('t', [1, 4, 1, 1], 30), w('w1', [4, 4, 3, 3], 31), w('k2', [4, 1, 1], 32)],
      nodes: [node('Relu', ['x'], 'r'), node('Mul', ['r', 'k'], 'm'), node('Add', ['m', 't'], 'a'), conv('a', 'w1', 'c', PAD1), node('Mul', ['c', 'k2'], 'y')],
    },
    floatOps: ['Relu', 'ChannelAffine', 'Conv'],
    intOps: ['QTable', 'QConv'],
  },
  'DenseNet transition: BatchNorm + Relu before a Conv (unfoldable), a Pad of zeros, an AveragePool': {
    spec: {
      inputs: [{ name: 'x', shape: [1, 4, 6, 6] }], outputs: ['y'], initializers: [...bnInits('a', 4, 45), w('w1', [3, 4, 1, 1], 49), ints('pads', [0, 0, 0, 0, 0, 0, 0, 0])],
      nodes: [bn('x', 'a', 'n'), node('Relu', ['n'], 'r'), conv('r', 'w1', 'c'), node('Pad', ['c', 'pads'], 'p'), node('AveragePool', ['p'], 'y', { kernel_shape: [2, 2], strides: [2, 2] })],
    },
    floatOps: ['ChannelAffine', 'Relu', 'Conv', 'AveragePool'],
    intOps: ['QConv', 'QAveragePool'],
    counts: { QConv: 2, QTable: 0 },
  },
  'LRN (AlexNet)': {
    spec: {
      inputs: [{ name: 'x', shape: [1, 6, 4, 4] }], outputs: ['y'], initializers: [w('w1', [6, 6, 3, 3], 33, 0.6)],
      nodes: [conv('x', 'w1', 'c1', PAD1), node('Relu', ['c1'], 'r1'), node('LRN', ['r1'], 'y', { size: 3, alpha: { f: 0.05 }, beta: { f: 0.75 }, bias: { f: 1 } })],
    },
    intOps: ['QConv', 'QLrn'],
  },
  'ReduceMean over the spatial axes (global pooling of ShuffleNet, Keras)': {
    spec: {
      inputs: [{ name: 'x', shape: [1, 4, 5, 5] }], outputs: ['y'], initializers: [w('w1', [6, 4, 3, 3], 34), w('w2', [6, 3], 35)],
      nodes: [conv('x', 'w1', 'c1', PAD1), node('Relu', ['c1'], 'r1'), node('ReduceMean', ['r1'], 'p', { axes: [2, 3], keepdims: 0 }), node('MatMul', ['p', 'w2'], 'y')],
    },
    floatOps: ['Conv', 'Relu', 'GlobalAveragePool', 'Reshape', 'Gemm'],
    intOps: ['QConv', 'QAveragePool', 'QGemm'],
  },
  'Conv, MaxPool, Relu: the clamp folds into the Conv through the pool and a Flatten': {
    spec: {
      inputs: [{ name: 'x', shape: [1, 3, 6, 6] }], outputs: ['y'], initializers: [w('w1', [4, 3, 3, 3], 43), w('w2', [5, 16], 44)],
      nodes: [
        conv('x', 'w1', 'c1', PAD1), node('MaxPool', ['c1'], 'p', { kernel_shape: [3, 3], strides: [3, 3] }), node('Flatten', ['p'], 'f'),
        node('Relu', ['f'], 'r'), node('Gemm', ['r', 'w2'], 'y', { transB: 1 }),
      ],
    },
    intOps: ['QConv', 'MaxPool', 'QGemm'],
    counts: { QTable: 0 },
  },
  'activations after any layer: Selu, Elu, LeakyRelu, Tanh, Sigmoid, and a Relu after a pool of a table': {
    spec: {
      inputs: [{ name: 'x', shape: [1, 3, 6, 6] }], outputs: ['y'], initializers: [w('w1', [4, 3, 3, 3], 36), w('w2', [4, 4, 1, 1], 37), w('w3', [4, 4, 1, 1], 38)],
      nodes: [
        conv('x', 'w1', 'c1', PAD1), node('Selu', ['c1'], 'a1'), conv('a1', 'w2', 'c2'), node('Elu', ['c2'], 'a2', { alpha: { f: 0.7 } }),
        node('MaxPool', ['a2'], 'p', { kernel_shape: [2, 2], strides: [2, 2] }), node('Relu', ['p'], 'a3'), conv('a3', 'w3', 'c3'),
        node('LeakyRelu', ['c3'], 'a4', { alpha: { f: 0.1 } }), node('Tanh', ['a4'], 'a5'), node('Sigmoid', ['a5'], 'y'),
      ],
    },
    intOps: ['QConv', 'QTable', 'MaxPool'],
  },
};

/** Integer ops and the layout ops that run on codes: what may lie between the QuantizeLinear and DequantizeLinear. */
const ON_CODES = new Set(['QConv', 'QGemm', 'QSum', 'QMul', 'QTable', 'QAveragePool', 'QLrn', 'MaxPool', 'Reshape', 'Transpose', 'Concat', 'Split', 'Slice', 'Pad', 'Gather']);

function sample(g: Graph, seed: number, n: number): Tensor {
  const shape = [n, ...g.inputs[0]!.shape.slice(1)];
  return makeTensor('float32', shape, seeded(seed, sizeOf(shape)).map((v) => v * 2));
}

describe.each(Object.entries(PATTERNS))('%s', (_, p) => {
  const bytes = buildModel(p.spec);
  const float = runPipeline(importOnnx(bytes, 'pattern.onnx'), importPipeline);

  test('imports, and the float golden model equals ONNX Runtime', async () => {
    if (p.floatOps) expect(float.nodes.map((n) => n.op)).toEqual(p.floatOps);
    const x = sample(float, 99, 1);
    const feeds = new Map([[float.inputs[0]!.name, x]]);
    const want = (await runOrt(bytes, feeds)).get('y')!;
    expect(closeTo(runOutputs(float, feeds)[0]!.data, want)).toBeUndefined();
  });

  test('quantizes to integer ops only, and the integer golden model agrees with the float one', () => {
    const stats = calibrate(float, sample(float, 7, 64));
    const q = quantizePass.run(float, { config: DEFAULT_CONFIG, stats }).graph;
    const body = q.nodes.slice(1, -1).map((n) => n.op);
    expect([q.nodes[0]!.op, q.nodes.at(-1)!.op]).toEqual(['QuantizeLinear', 'DequantizeLinear']);
    for (const op of body) expect(ON_CODES.has(op), `${op} on codes`).toBe(true);
    for (const op of p.intOps) expect(body).toContain(op);
    for (const [op, k] of Object.entries(p.counts ?? {})) expect(body.filter((o) => o === op).length, op).toBe(k);
    // Agreement on unseen samples: the RMS error is a small fraction of the output's RMS (8-bit codes, a few layers).
    let err = 0, ref = 0;
    for (let s = 0; s < 4; s++) {
      const feeds = new Map([[float.inputs[0]!.name, sample(float, 500 + s, 1)]]);
      const [yq, yf] = [runOutputs(q, feeds)[0]!.data, runOutputs(float, feeds)[0]!.data];
      for (let i = 0; i < yf.length; i++) [err, ref] = [err + (yq[i]! - yf[i]!) ** 2, ref + yf[i]! ** 2];
    }
    expect(Math.sqrt(err / ref)).toBeLessThan(0.05);
  });
});

test('QLrn has no hardware step yet: the planner rejects it with E_HW naming the layer', () => {
  const float = runPipeline(importOnnx(buildModel(PATTERNS['LRN (AlexNet)']!.spec), 'lrn.onnx'), importPipeline);
  const q = quantizePass.run(float, { config: DEFAULT_CONFIG, stats: calibrate(float, sample(float, 7, 8)) }).graph;
  expectUserError(() => planAccelerator(q), 'E_HW', /\(QLrn\) has no hardware implementation/);
});
