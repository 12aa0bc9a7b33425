/** The import passes that merge exporters' spellings into layers: fuse-matmul-add, channel-constants,
 *  fuse-hardswish. Each case checks the ops left and that the golden model computes the same numbers before and
 *  after (the unfused graph is the reference: ONNX Runtime checks it in test/golden/topologies.test.ts). */
import { expect, test } from 'vitest';
import { runOutputs } from '../../src/golden/evaluate.js';
import type { Graph, Tensor } from '../../src/ir/types.js';
import { sizeOf } from '../../src/ir/types.js';
import { importOnnx } from '../../src/onnx/import.js';
import { channelConstants } from '../../src/passes/channel-constants.js';
import { foldBatchNorm } from '../../src/passes/fold-batchnorm.js';
import { fuseHardSwish } from '../../src/passes/fuse-hardswish.js';
import { fuseMatMulAdd } from '../../src/passes/fuse-matmul-add.js';
import type { Pass } from '../../src/passes/pass.js';
import { buildModel, seeded, type ModelSpec } from '../helpers/onnx-builder.js';
import { closeTo } from '../helpers/ort.js';

function check(spec: ModelSpec, passes: readonly Pass[], opsAfter: string[]): Graph {
  const before = importOnnx(buildModel(spec), 'fusions.onnx');
  let after = before;
  for (const p of passes) after = p.run(after).graph;
  expect(after.nodes.map((n) => n.op)).toEqual(opsAfter);
  const x: Tensor = { dtype: 'float32', shape: before.inputs[0]!.shape, data: seeded(9, sizeOf(before.inputs[0]!.shape)) };
  const feeds = new Map([[before.inputs[0]!.name, x]]);
  expect(closeTo(runOutputs(after, feeds)[0]!.data, runOutputs(before, feeds)[0]!.data)).toBeUndefined();
  for (const [name, t] of after.constants) expect(after.values.get(name)?.shape, name).toEqual(t.shape);
  return after;
}
const mat = (name: string, shape: number[], seed: number) => ({ name, shape, data: seeded(seed, sizeOf(shape)) });

test('MatMul + bias Add -> one Gemm; the bias may come first and be [1, N]; a graph output keeps its name', () => {
  const g = check({
    inputs: [{ name: 'x', shape: [2, 5] }], outputs: ['y'], initializers: [mat('w', [5, 3], 1), mat('b', [1, 3], 2)],
    nodes: [{ op: 'MatMul', inputs: ['x', 'w'], outputs: ['m'] }, { op: 'Add', inputs: ['b', 'm'], outputs: ['y'] }],
  }, [fuseMatMulAdd], ['Gemm']);
  expect(g.nodes[0]!.outputs).toEqual(['y']);
});

test('a MatMul whose output is read twice becomes a Gemm without the Add; an Add of a [2, 3] constant is no bias', () => {
  check({
    inputs: [{ name: 'x', shape: [2, 5] }], outputs: ['y'], initializers: [mat('w', [5, 3], 1), mat('b', [3], 2)],
    nodes: [{ op: 'MatMul', inputs: ['x', 'w'], outputs: ['m'] }, { op: 'Add', inputs: ['m', 'b'], outputs: ['a'] }, { op: 'Mul', inputs: ['a', 'm'], outputs: ['y'] }],
  }, [fuseMatMulAdd], ['Gemm', 'Add', 'Mul']);
  check({
    inputs: [{ name: 'x', shape: [2, 5] }], outputs: ['y'], initializers: [mat('w', [5, 3], 1), mat('b', [2, 3], 2)],
    nodes: [{ op: 'MatMul', inputs: ['x', 'w'], outputs: ['m'] }, { op: 'Add', inputs: ['m', 'b'], outputs: ['y'] }],
  }, [fuseMatMulAdd], ['Gemm', 'Add']);
});

test('per-channel Mul, Add, Sub, Div by constants merge into one ChannelAffine, which folds into the Conv before it', () => {
  const spec: ModelSpec = {
    inputs: [{ name: 'x', shape: [1, 3, 4, 4] }], outputs: ['y'],
    initializers: [mat('w', [3, 3, 3, 3], 1), mat('k', [3, 1, 1], 2), mat('t', [1, 3, 1, 1], 3), mat('u', [3, 1, 1], 4), { name: 'd', shape: [], data: [4] }],
    nodes: [
      { op: 'Conv', inputs: ['x', 'w'], outputs: ['c'] }, { op: 'Mul', inputs: ['k', 'c'], outputs: ['m'] }, { op: 'Add', inputs: ['m', 't'], outputs: ['a'] },
      { op: 'Sub', inputs: ['a', 'u'], outputs: ['s'] }, { op: 'Div', inputs: ['s', 'd'], outputs: ['y'] },
    ],
  };
  check(spec, [channelConstants], ['Conv', 'ChannelAffine']);
  check(spec, [channelConstants, foldBatchNorm], ['Conv']);
});

test('a scalar constant after a non-layer stays a Mul; a constant minus an activation is not an affine op here', () => {
  check({
    inputs: [{ name: 'x', shape: [1, 3, 2, 2] }], outputs: ['y'], initializers: [{ name: 'k', shape: [], data: [0.5] }, mat('u', [3, 1, 1], 4)],
    nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['r'] }, { op: 'Mul', inputs: ['r', 'k'], outputs: ['m'] }, { op: 'Sub', inputs: ['u', 'm'], outputs: ['y'] }],
  }, [channelConstants], ['Relu', 'Mul', 'Sub']);
});

test('x * HardSigmoid(x) with 1/6, 1/2 is a HardSwish; another line, or another tensor, is not', () => {
  const hs = (alpha: number, other = 'x'): ModelSpec => ({
    inputs: [{ name: 'x', shape: [1, 8] }, { name: 'z', shape: [1, 8] }].slice(0, other === 'x' ? 1 : 2), outputs: ['y'],
    nodes: [{ op: 'HardSigmoid', inputs: ['x'], outputs: ['h'], attrs: { alpha: { f: alpha }, beta: { f: 0.5 } } }, { op: 'Mul', inputs: [other, 'h'], outputs: ['y'] }],
  });
  check(hs(1 / 6), [fuseHardSwish], ['HardSwish']);
  check(hs(0.2), [fuseHardSwish], ['HardSigmoid', 'Mul']);
  const g = importOnnx(buildModel(hs(1 / 6, 'z')), 'z.onnx');
  expect(fuseHardSwish.run(g).graph.nodes.map((n) => n.op)).toEqual(['HardSigmoid', 'Mul']);
});
