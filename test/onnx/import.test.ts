/** Importer features the ORT differential tests do not show by themselves: IR and opset range, free batch
 *  dimensions, constant folding of shape arithmetic, removal of Identity/Dropout, names of outputs kept. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { runOutputs } from '../../src/golden/evaluate.js';
import { importOnnx, importOnnxFile } from '../../src/onnx/import.js';
import { REPO } from '../helpers/cli.js';
import { buildModel, DT, seeded } from '../helpers/onnx-builder.js';

describe('importer', () => {
  test.each([
    [3, 7],
    [4, 9],
    [7, 13],
    [8, 17],
    [10, 21],
  ])('IR version %i, opset %i: Relu + Softmax import', (irVersion, opset) => {
    const g = importOnnx(
      buildModel({ irVersion, opset, inputs: [{ name: 'x', shape: ['batch', 5] }], outputs: ['y'], nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['r'] }, { op: 'Softmax', inputs: ['r'], outputs: ['y'] }] }),
      'm.onnx',
    );
    expect(g.source.opset).toBe(opset);
    expect(g.nodes.map((n) => n.op)).toEqual(['Relu', 'Softmax']);
    expect(g.inputs[0]!.shape).toEqual([1, 5]);
  });

  test('a free batch dimension becomes 1, or --batch', () => {
    const file = join(REPO, 'test/models/symbolic_dims.onnx');
    expect(() => importOnnxFile(file)).toThrow(/dimension 2 is 'H'; fix it with --input-shape input=1x2x<H>x8/);
    expect(importOnnxFile(file, { inputShapes: new Map([['input', [3, 2, 6, 8]]]) }).inputs[0]!.shape).toEqual([3, 2, 6, 8]);
    const bytes = buildModel({ inputs: [{ name: 'x', shape: ['N', 5] }], outputs: ['y'], nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }] });
    expect(importOnnx(bytes, 'm.onnx').inputs[0]!.shape).toEqual([1, 5]);
    expect(importOnnx(bytes, 'm.onnx', { batch: 4 }).values.get('y')!.shape).toEqual([4, 5]);
  });

  test('shape arithmetic (Shape, Gather, Unsqueeze, Concat, ConstantOfShape) folds away', () => {
    const g = importOnnxFile(join(REPO, 'test/models/shape_ops.onnx'));
    for (const op of g.nodes.map((n) => n.op)) expect(['Gather', 'Cast', 'Concat']).not.toContain(op);
    expect([...g.constants.values()].every((t) => t.dtype !== 'int64' || g.nodes.some((n) => n.op === 'Gather'))).toBe(true);
  });

  test('Identity and Dropout disappear; the output keeps its ONNX name', () => {
    const g = importOnnx(
      buildModel({
        opset: 13,
        inputs: [{ name: 'x', shape: [1, 4] }], outputs: ['out'],
        nodes: [
          { op: 'Relu', inputs: ['x'], outputs: ['r'] },
          { op: 'Dropout', inputs: ['r'], outputs: ['d', 'mask'] },
          { op: 'Identity', inputs: ['d'], outputs: ['out'] },
        ],
      }),
      'm.onnx',
    );
    expect(g.nodes.map((n) => n.op)).toEqual(['Relu']);
    expect(g.outputs).toEqual(['out']);
    expect(g.nodes[0]!.outputs).toEqual(['out']);
  });

  test('an output that is directly an input is copied, not lost', () => {
    const g = importOnnx(buildModel({ inputs: [{ name: 'x', shape: [1, 3] }], outputs: ['y'], nodes: [{ op: 'Identity', inputs: ['x'], outputs: ['y'] }] }), 'm.onnx');
    const x = { dtype: 'float32' as const, shape: [1, 3], data: seeded(1, 3) };
    expect(Array.from(runOutputs(g, new Map([['x', x]]))[0]!.data)).toEqual(Array.from(x.data));
  });

  test('opset 18 Split with num_outputs and uneven parts', () => {
    const g = importOnnx(
      buildModel({ opset: 18, inputs: [{ name: 'x', shape: [1, 7] }], outputs: ['a', 'b', 'c'], nodes: [{ op: 'Split', inputs: ['x'], outputs: ['a', 'b', 'c'], attrs: { axis: 1, num_outputs: 3 } }] }),
      'm.onnx',
    );
    expect(['a', 'b', 'c'].map((o) => g.values.get(o)!.shape[1])).toEqual([3, 3, 1]);
  });

  test('old models listing initializers as graph inputs: those are weights, not inputs', () => {
    const g = importOnnxFile(join(REPO, 'test/models/old_opset9.onnx'));
    expect(g.inputs.map((i) => i.name)).toHaveLength(1);
    expect(g.source.opset).toBe(9);
  });

  test('external data is read from the file next to the model', () => {
    const g = importOnnxFile(join(REPO, 'test/models/external_data.onnx'));
    const bin = readFileSync(join(REPO, 'test/models/external_data.onnx.data'));
    const anyWeight = [...g.constants.values()].find((t) => t.dtype === 'float32' && t.data.length > 4)!;
    const floats = new Float32Array(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength - (bin.byteLength % 4)));
    const at = floats.indexOf(anyWeight.data[0]!);
    expect(at).toBeGreaterThanOrEqual(0);
    expect(Array.from(floats.subarray(at, at + anyWeight.data.length))).toEqual(Array.from(anyWeight.data));
  });

  test('int64 initializers feed Reshape; QDQ nodes stay as annotations', () => {
    const g = importOnnx(
      buildModel({
        inputs: [{ name: 'x', shape: [2, 6] }], outputs: ['y'],
        initializers: [
          { name: 'shape', shape: [2], data: [3, -1], elemType: DT.INT64 },
          { name: 's', shape: [], data: [0.1] },
          { name: 'z', shape: [], data: [128], elemType: DT.UINT8 },
        ],
        nodes: [
          { op: 'Reshape', inputs: ['x', 'shape'], outputs: ['r'] },
          { op: 'QuantizeLinear', inputs: ['r', 's', 'z'], outputs: ['q'] },
          { op: 'DequantizeLinear', inputs: ['q', 's', 'z'], outputs: ['y'] },
        ],
      }),
      'm.onnx',
    );
    expect(g.nodes.map((n) => n.op)).toEqual(['Reshape', 'QuantizeLinear', 'DequantizeLinear']);
    expect(g.values.get('r')!.shape).toEqual([3, 4]);
    const q = g.nodes[1]!;
    expect(q.op === 'QuantizeLinear' && q.attrs.quant).toEqual({ scale: [Math.fround(0.1)], zeroPoint: [128], dtype: 'uint8' });
  });
});
