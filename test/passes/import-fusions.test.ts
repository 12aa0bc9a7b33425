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
import { fusePad } from '../../src/passes/fuse-pad.js';
import type { Pass } from '../../src/passes/pass.js';
import { buildModel, DT, seeded, type ModelSpec } from '../helpers/onnx-builder.js';
import { closeTo, runOrt } from '../helpers/ort.js';

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

test('a zero spatial Pad before a Conv or a counting AveragePool becomes their pads; ONNX Runtime agrees', async () => {
  const int64 = (name: string, data: number[]) => ({ name, shape: [data.length], data, elemType: DT.INT64 });
  // Keras 'same' padding of a stride-2 conv (one more row and column after), then a padded counting average pool.
  const spec: ModelSpec = {
    inputs: [{ name: 'x', shape: [1, 3, 9, 9] }], outputs: ['y'],
    initializers: [mat('w', [4, 3, 3, 3], 1), mat('b', [4], 2), int64('p1', [0, 0, 0, 0, 0, 0, 1, 1]), int64('p2', [0, 0, 1, 0, 0, 0, 1, 2])],
    nodes: [
      { op: 'Pad', inputs: ['x', 'p1'], outputs: ['xp'] },
      { op: 'Conv', inputs: ['xp', 'w', 'b'], outputs: ['c'], attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 0, 0, 1] } },
      { op: 'Relu', inputs: ['c'], outputs: ['r'] },
      { op: 'Pad', inputs: ['r', 'p2'], outputs: ['rp'] },
      { op: 'AveragePool', inputs: ['rp'], outputs: ['y'], attrs: { kernel_shape: [3, 3], count_include_pad: 1 } },
    ],
  };
  const g = check(spec, [fusePad], ['Conv', 'Relu', 'AveragePool']);
  expect(g.nodes.map((n) => (n.attrs as { pads?: number[] }).pads)).toEqual([[1, 0, 1, 2], undefined, [1, 0, 1, 2]]);
  const bytes = buildModel(spec);
  const x: Tensor = { dtype: 'float32', shape: [1, 3, 9, 9], data: seeded(9, 243) };
  const feeds = new Map([['x', x]]);
  const want = (await runOrt(bytes, feeds)).get('y')!;
  expect(closeTo(runOutputs(g, feeds)[0]!.data, want)).toBeUndefined();
});

test('a Pad that is not zero, pads channels, crops, feeds a non-counting pool or another op stays', () => {
  const int64 = (name: string, data: number[]) => ({ name, shape: [data.length], data, elemType: DT.INT64 });
  const conv = (input: string, out: string) => ({ op: 'Conv', inputs: [input, 'w'], outputs: [out], attrs: { kernel_shape: [3, 3] } });
  const base = { inputs: [{ name: 'x', shape: [1, 3, 8, 8] }], outputs: ['y'] };
  check({ ...base, initializers: [mat('w', [2, 3, 3, 3], 1), int64('p', [0, 0, 1, 1, 0, 0, 1, 1]), { name: 'v', shape: [], data: [0.5] }], nodes: [{ op: 'Pad', inputs: ['x', 'p', 'v'], outputs: ['xp'] }, conv('xp', 'y')] }, [fusePad], ['Pad', 'Conv']);
  check({ ...base, initializers: [mat('w', [2, 4, 3, 3], 1), int64('p', [0, 1, 0, 0, 0, 0, 0, 0])], nodes: [{ op: 'Pad', inputs: ['x', 'p'], outputs: ['xp'] }, conv('xp', 'y')] }, [fusePad], ['Pad', 'Conv']);
  check({ ...base, initializers: [mat('w', [2, 3, 3, 3], 1), int64('p', [0, 0, 1, -1, 0, 0, 1, 1])], nodes: [{ op: 'Pad', inputs: ['x', 'p'], outputs: ['xp'] }, conv('xp', 'y')] }, [fusePad], ['Pad', 'Conv']);
  check({ ...base, initializers: [int64('p', [0, 0, 1, 1, 0, 0, 1, 1])], nodes: [{ op: 'Pad', inputs: ['x', 'p'], outputs: ['xp'] }, { op: 'AveragePool', inputs: ['xp'], outputs: ['y'], attrs: { kernel_shape: [3, 3] } }] }, [fusePad], ['Pad', 'AveragePool']);
  check({ ...base, initializers: [mat('w', [3, 3, 3, 3], 1), int64('p', [0, 0, 1, 1, 0, 0, 1, 1])], nodes: [{ op: 'Pad', inputs: ['x', 'p'], outputs: ['xp'] }, conv('xp', 'c'), { op: 'MaxPool', inputs: ['xp'], outputs: ['m'], attrs: { kernel_shape: [3, 3] } }, { op: 'Add', inputs: ['c', 'm'], outputs: ['y'] }] }, [fusePad], ['Pad', 'Conv', 'MaxPool', 'Add']);
});
