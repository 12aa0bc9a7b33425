import { expect, test } from 'vitest';
import { runOutputs } from '../../src/golden/evaluate.js';
import type { Graph, Tensor } from '../../src/ir/types.js';
import { importOnnx } from '../../src/onnx/import.js';
import { foldBatchNorm } from '../../src/passes/fold-batchnorm.js';
import { buildModel, seeded, type ModelSpec } from '../helpers/onnx-builder.js';
import { closeTo } from '../helpers/ort.js';

const bnInits = (c: number) => [
  { name: 's', shape: [c], data: seeded(3, c) },
  { name: 'sh', shape: [c], data: seeded(4, c) },
  { name: 'mu', shape: [c], data: seeded(5, c) },
  { name: 'v', shape: [c], data: seeded(6, c).map((v) => v * v + 0.1) },
];
const bn = (x: string, y: string) => ({ op: 'BatchNormalization', inputs: [x, 's', 'sh', 'mu', 'v'], outputs: [y] });

function check(spec: ModelSpec, opsAfter: string[]) {
  const before: Graph = importOnnx(buildModel(spec), 'bn.onnx');
  const { graph: after, stats } = foldBatchNorm.run(before);
  expect(after.nodes.map((n) => n.op)).toEqual(opsAfter);
  const x: Tensor = { dtype: 'float32', shape: before.inputs[0]!.shape, data: seeded(9, before.inputs[0]!.shape.reduce((a, b) => a * b, 1)) };
  const feeds = new Map([[before.inputs[0]!.name, x]]);
  expect(closeTo(runOutputs(after, feeds)[0]!.data, runOutputs(before, feeds)[0]!.data)).toBeUndefined();
  return stats;
}

test('conv + bn becomes one conv with the same outputs', () => {
  const stats = check(
    {
      inputs: [{ name: 'x', shape: [1, 3, 6, 6] }], outputs: ['y'],
      initializers: [{ name: 'w', shape: [4, 3, 3, 3], data: seeded(1, 108) }, ...bnInits(4)],
      nodes: [{ op: 'Conv', inputs: ['x', 'w'], outputs: ['c'] }, bn('c', 'y')],
    },
    ['Conv'],
  );
  expect(stats.folded).toBe(1);
});

test('gemm (transB, beta, bias) + bn folds', () => {
  check(
    {
      inputs: [{ name: 'x', shape: [2, 5] }], outputs: ['y'],
      initializers: [{ name: 'w', shape: [4, 5], data: seeded(1, 20) }, { name: 'c0', shape: [4], data: seeded(2, 4) }, ...bnInits(4)],
      nodes: [{ op: 'Gemm', inputs: ['x', 'w', 'c0'], outputs: ['g'], attrs: { transB: 1, beta: { f: 0.5 }, alpha: { f: 1.5 } } }, bn('g', 'y')],
    },
    ['Gemm'],
  );
});

test('bn after a conv whose output is also used elsewhere stays a channel affine op', () => {
  check(
    {
      inputs: [{ name: 'x', shape: [1, 4, 5, 5] }], outputs: ['y'],
      initializers: [{ name: 'w', shape: [4, 4, 1, 1], data: seeded(1, 16) }, ...bnInits(4)],
      nodes: [{ op: 'Conv', inputs: ['x', 'w'], outputs: ['c'] }, bn('c', 'b'), { op: 'Add', inputs: ['b', 'c'], outputs: ['y'] }],
    },
    ['Conv', 'ChannelAffine', 'Add'],
  );
});

test('bn after a non-linear op is kept', () => {
  const stats = check(
    {
      inputs: [{ name: 'x', shape: [1, 4, 3, 3] }], outputs: ['y'],
      initializers: bnInits(4),
      nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['r'] }, bn('r', 'y')],
    },
    ['Relu', 'ChannelAffine'],
  );
  expect(stats.folded).toBe(0);
});
