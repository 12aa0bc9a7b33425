/** quantize on QONNX models keeps the model's codes: the integer golden model's dequantized outputs equal the float
 *  golden model's outputs of the QONNX graph exactly (power-of-two scales; docs/qonnx.md), on TFC_2W2A and on the
 *  models of test/qonnx/models.ts; MultiThreshold and Quant after a layer become QThreshold. */
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { runOutputs } from '../../src/golden/evaluate.js';
import { readNpy } from '../../src/io/npy.js';
import type { Graph, Tensor } from '../../src/ir/types.js';
import { makeTensor, sizeOf } from '../../src/ir/types.js';
import { importOnnx, importOnnxFile } from '../../src/onnx/import.js';
import { absorbQuant } from '../../src/passes/absorb-quant.js';
import { calibrate } from '../../src/passes/calibrate.js';
import { quantizeGraph } from '../../src/passes/quantize.js';
import { DEFAULT_CONFIG } from '../../src/passes/quantize-config.js';
import { REPO } from '../helpers/cli.js';
import { binarizedMlp, gridInputs, thresholdCnn } from '../qonnx/models.js';
import { buildModel, seeded } from '../helpers/onnx-builder.js';
import { expectUserError } from '../helpers/user-error.js';

function quantizeQonnx(g: Graph, calib: Tensor) {
  const float = absorbQuant.run(g).graph;
  return quantizeGraph(float, { config: DEFAULT_CONFIG, stats: calibrate(float, calib) });
}

/** Runs a batch-1 graph over N samples and returns every output row. */
function rows(g: Graph, x: Tensor): number[] {
  const per = sizeOf(x.shape) / x.shape[0]!;
  const out: number[] = [];
  for (let i = 0; i < x.shape[0]!; i++) {
    const xi = makeTensor('float32', [1, ...x.shape.slice(1)], x.data.slice(i * per, (i + 1) * per) as Float32Array);
    out.push(...runOutputs(g, new Map([[g.inputs[0]!.name, xi]]))[0]!.data);
  }
  return out;
}

describe('quantize keeps QONNX codes', () => {
  test('binarized MLP: bipolar weights and activations, BatchNorm in the thresholds; integer equals float', () => {
    const g = importOnnx(binarizedMlp(), 'bnn.onnx');
    const x = gridInputs(64, [16], 1);
    const q = quantizeQonnx(g, x);
    expect(q.graph.nodes.map((n) => n.op)).toEqual(['QuantizeLinear', 'QTable', 'QGemm', 'QThreshold', 'QGemm', 'DequantizeLinear', 'Mul']);
    expect(q.calibrated).toEqual(['x']);
    const w1 = q.graph.constants.get(q.graph.nodes[2]!.inputs[1]!)!;
    expect(new Set(w1.data)).toEqual(new Set([-1, 1]));
    expect(rows(q.graph, x)).toEqual(rows(g, x));
  });

  test.each(['ROUND', 'FLOOR', 'CEIL', 'ROUND_TO_ZERO', 'HALF_UP'])('conv + BatchNorm + MultiThreshold, conv + Relu + Quant %s: integer equals float', (rounding) => {
    const g = importOnnx(thresholdCnn(rounding), 'cnn.onnx');
    const x = gridInputs(40, [2, 5, 5], 2);
    const q = quantizeQonnx(g, x);
    expect(q.graph.nodes.map((n) => n.op)).toEqual(['QuantizeLinear', 'QTable', 'QConv', 'QThreshold', 'QConv', 'QThreshold', 'DequantizeLinear']);
    const conv1 = q.graph.nodes[2]!;
    expect(conv1.op === 'QConv' && conv1.attrs.wBits).toBe(3);
    expect(conv1.op === 'QConv' && conv1.attrs.wScale).toEqual([0.25, 0.5, 0.125, 0.25]);
    const got = rows(q.graph, x), want = rows(g, x);
    expect(got).toEqual(want);
    expect(new Set(want).size).toBeGreaterThan(3); // the outputs vary: the test is not comparing constants
  });

  test('a channels-last MultiThreshold between Transposes: imported as NCHW thresholds (the same outputs), quantized exactly', () => {
    const x = gridInputs(40, [2, 5, 5], 2);
    const nhwc = importOnnx(thresholdCnn('ROUND', 1, 'NHWC'), 'cnn-nhwc.onnx');
    expect(nhwc.nodes.map((n) => n.op)).not.toContain('Transpose');
    const want = rows(importOnnx(thresholdCnn('ROUND'), 'cnn.onnx'), x);
    expect(rows(nhwc, x)).toEqual(want);
    const q = quantizeQonnx(nhwc, x);
    expect(q.graph.nodes.map((n) => n.op)).toEqual(['QuantizeLinear', 'QTable', 'QConv', 'QThreshold', 'QConv', 'QThreshold', 'DequantizeLinear']);
    expect(rows(q.graph, x)).toEqual(want);
  });
});

describe('what has no integer codes is a clear error', () => {
  const model = (zp: number, outBias: number) => importOnnx(buildModel({
    inputs: [{ name: 'x', shape: [1, 4] }],
    outputs: ['y'],
    initializers: [
      { name: 'w', shape: [4, 3], data: seeded(1, 12) }, { name: 's', shape: [], data: [0.5] }, { name: 'z', shape: [], data: [zp] }, { name: 'b', shape: [], data: [4] },
      { name: 't', shape: [3, 2], data: [0, 1, 0, 1, 0, 1] },
    ],
    nodes: [
      { op: 'Quant', domain: 'qonnx.custom_op.general', inputs: ['w', 's', 'z', 'b'], outputs: ['wq'], attrs: { signed: 1, narrow: 0, rounding_mode: 'ROUND' } },
      { op: 'MatMul', inputs: ['x', 'wq'], outputs: ['h'] },
      { op: 'MultiThreshold', domain: 'qonnx.custom_op.general', inputs: ['h', 't'], outputs: ['y'], attrs: { out_dtype: 'UINT2', out_bias: { f: outBias } } },
    ],
  }), 'm.onnx');
  test('a fractional zero point of a weight quantizer', () => {
    expectUserError(() => absorbQuant.run(model(0.5, 0)), 'E_QUANT', /zero point 0.5 is not an integer/);
  });
  test('a MultiThreshold out_bias that is not a multiple of out_scale', () => {
    const g = model(0, -0.5);
    expectUserError(() => quantizeQonnx(g, gridInputs(12, [4], 3)), 'E_QUANT', /out_bias -0.5 give no integer codes/);
  });
});

const TFC = join(REPO, 'test/models/qonnx');
describe('TFC_2W2A', () => {
  test('the integer model keeps the 2-bit formats and equals the reference logits on 20 images', () => {
    const g = importOnnxFile(join(TFC, 'TFC_2W2A.onnx'));
    const x = readNpy(join(TFC, 'tfc_x20.npy'));
    const q = quantizeQonnx(g, makeTensor('float32', [10, 1, 28, 28], x.data.slice(0, 10 * 784) as Float32Array));
    expect(q.stats).toMatchObject({ layers: 4, kept: 4, thresholds: 3 });
    for (const n of q.graph.nodes) if (n.op === 'QGemm') expect(n.attrs.wBits).toBe(2);
    expect(rows(q.graph, x)).toEqual(Array.from(readNpy(join(TFC, 'tfc_expected20.npy')).data));
  });
});
