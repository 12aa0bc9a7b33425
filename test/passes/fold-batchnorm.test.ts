import { describe, expect, test } from 'vitest';
import { decodeIr, encodeIr } from '../../src/ir/serialize.js';
import { macsOf } from '../../src/ir/stats.js';
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

describe('a folded graph is complete (bugs: inspect counted one MAC per output, the saved IR could not be read back)', () => {
  // Conv 3 -> 8 channels, 3x3, pad 1, on 16x16: 8*16*16 = 2,048 outputs of 27 products each = 55,296 MACs; then a
  // BatchNormalization that folds into it, a Relu, and one that cannot fold (it follows the Relu).
  const spec: ModelSpec = {
    inputs: [{ name: 'x', shape: [1, 3, 16, 16] }], outputs: ['y'],
    initializers: [{ name: 'w', shape: [8, 3, 3, 3], data: seeded(1, 216) }, ...bnInits(8)],
    nodes: [{ op: 'Conv', inputs: ['x', 'w'], outputs: ['c'], attrs: { pads: [1, 1, 1, 1] } }, bn('c', 'b'), { op: 'Relu', inputs: ['b'], outputs: ['r'] }, bn('r', 'y')],
  };
  const folded = foldBatchNorm.run(importOnnx(buildModel(spec), 'bn.onnx')).graph;

  test('the folded Conv counts 55,296 MACs', () => {
    expect(folded.nodes.map((n) => n.op)).toEqual(['Conv', 'Relu', 'ChannelAffine']);
    expect(macsOf(folded.nodes[0]!, folded)).toBe(55296);
  });

  test('every constant has a value entry, so the IR reads back and runs the same', () => {
    for (const [name, t] of folded.constants) expect(folded.values.get(name)?.shape, name).toEqual(t.shape);
    const { json, weights } = encodeIr(folded);
    const back = decodeIr(JSON.parse(json), weights, 'folded');
    const x: Tensor = { dtype: 'float32', shape: [1, 3, 16, 16], data: seeded(9, 768) };
    const feeds = new Map([['x', x]]);
    expect(Array.from(runOutputs(back, feeds)[0]!.data)).toEqual(Array.from(runOutputs(folded, feeds)[0]!.data));
  });
});
