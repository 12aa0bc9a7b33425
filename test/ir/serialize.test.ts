import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { runOutputs } from '../../src/golden/evaluate.js';
import { decodeIr, encodeIr, loadIr, saveIr } from '../../src/ir/serialize.js';
import type { OpName } from '../../src/ir/types.js';
import { importOnnxFile } from '../../src/onnx/import.js';
import { REPO } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { readNpy } from '../../src/io/npy.js';
import { fixedFormat } from '../../src/ir/numformats.js';
import { wordlengthPass } from '../../src/passes/wordlength.js';

const ALL_OPS: Record<OpName, true> = {
  Conv: true, Gemm: true, MatMul: true, Add: true, Sub: true, Mul: true, Div: true, Sum: true, Max: true, Min: true,
  Relu: true, LeakyRelu: true, Clip: true, Sigmoid: true, Tanh: true, HardSigmoid: true, HardSwish: true, Softmax: true,
  LogSoftmax: true, MaxPool: true, AveragePool: true, GlobalAveragePool: true, GlobalMaxPool: true, LRN: true,
  ChannelAffine: true, Reshape: true, Transpose: true, Concat: true, Split: true, Slice: true, Pad: true, Gather: true,
  QuantizeLinear: true, DequantizeLinear: true, Cast: true, QConv: true, QGemm: true, QSum: true, QTable: true,
  QAveragePool: true, QMul: true, QLrn: true, Selu: true, Elu: true, ReduceMean: true, QThreshold: true, Quant: true, BipolarQuant: true, Trunc: true, MultiThreshold: true,
};

test('the schema names exactly the node kinds of src/ir/types.ts', () => {
  const schema = JSON.parse(readFileSync(join(REPO, 'ir/schema.json'), 'utf8'));
  expect([...schema.definitions.node.properties.op.enum].sort()).toEqual(Object.keys(ALL_OPS).sort());
  expect(Object.keys(schema.definitions.attrs).sort()).toEqual(Object.keys(ALL_OPS).sort());
});

test.each(['mixed_cnn', 'old_opset9', 'opset7', 'lrn_pool', 'qdq', 'shape_ops', 'external_data'])('%s round-trips through model.ir.json + weights.bin', (name) => {
  const g = importOnnxFile(join(REPO, `test/models/${name}.onnx`), { batch: readNpy(join(REPO, `test/models/${name}.input.npy`)).shape[0]! });
  const dir = tempDir();
  saveIr(dir, g);
  const back = loadIr(dir);
  expect(back.nodes).toEqual(g.nodes);
  expect([...back.constants.keys()]).toEqual([...g.constants.keys()]);
  const x = readNpy(join(REPO, `test/models/${name}.input.npy`));
  const feeds = new Map([[g.inputs[0]!.name, x]]);
  expect(Array.from(runOutputs(back, feeds)[0]!.data)).toEqual(Array.from(runOutputs(g, feeds)[0]!.data));
});

test('non-finite attributes survive (Clip without bounds, -inf padding)', () => {
  const g = importOnnxFile(join(REPO, 'test/models/mixed_cnn.onnx'));
  const clip = { name: 'clip', op: 'Clip' as const, attrs: { min: -Infinity, max: 6 }, inputs: [g.outputs[0]!], outputs: ['clipped'] };
  const g2 = { ...g, nodes: [...g.nodes, clip], outputs: ['clipped'], values: new Map([...g.values, ['clipped', { ...g.values.get(g.outputs[0]!)!, name: 'clipped' }]]) };
  const { json, weights } = encodeIr(g2);
  const back = decodeIr(JSON.parse(json), weights, 'test');
  expect(back.nodes.at(-1)).toEqual(clip);
});

test('a value whose shape disagrees with its node is rejected on load', () => {
  const g = importOnnxFile(join(REPO, 'examples/lenet5-mnist/model.onnx'));
  const { json, weights } = encodeIr(g);
  const doc = JSON.parse(json);
  doc.values.find((v: { name: string }) => v.name === g.outputs[0]).shape = [1, 11];
  expect(() => decodeIr(doc, weights, 'edited')).toThrow(/should be float32/);
});

test('reductionLanes of a word-length-tuned layer round-trips; a count below 1 does not match the schema', () => {
  const float = importOnnxFile(join(REPO, 'examples/mlp-mnist/model.onnx'));
  const f = fixedFormat(12, 4), layers = new Map(float.nodes.filter((n) => n.op === 'Gemm').map((n) => [n.name, { weight: f, bias: f, accumulator: fixedFormat(24, 8, { overflow: 'saturate' }), activation: f }]));
  const g = wordlengthPass.run(float, { input: f, layers, reductionLanes: 3 }).graph;
  const { json, weights } = encodeIr(g);
  const back = decodeIr(JSON.parse(json), weights, 'test');
  expect(back.nodes.filter((n) => n.op === 'Gemm').map((n) => (n.op === 'Gemm' ? n.attrs.reductionLanes : 0))).toEqual([3, 3, 3]);
  expect(back.nodes).toEqual(g.nodes);
  const doc = JSON.parse(json);
  doc.nodes.find((n: { op: string }) => n.op === 'Gemm').attrs.reductionLanes = 0;
  expect(() => decodeIr(doc, weights, 'edited')).toThrow(/schema.*reductionLanes|reductionLanes.*>= 1/);
  // S = 1 is the attribute's absence, so one-lane IRs are unchanged.
  expect(JSON.stringify(encodeIr(wordlengthPass.run(float, { input: f, layers, reductionLanes: 1 }).graph).json)).not.toContain('reductionLanes');
});
