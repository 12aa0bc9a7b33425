/** Small QONNX models for the quantize and hardware tests, built with onnx-proto: a binarized MLP (bipolar weights
 *  and activations), and a convolutional model with per-channel weight scales, a BatchNormalization and FINN
 *  MultiThreshold activations. Scales are powers of two, so the float model's sums are exact (docs/qonnx.md). */
import { makeTensor, type Tensor } from '../../src/ir/types.js';
import { buildModel, seeded, type NodeSpec } from '../helpers/onnx-builder.js';

const Q = 'qonnx.custom_op.general';

/** Inputs on the grid k / 64 (k in [-128, 127]), with both ends present so an 8-bit calibration finds that grid. */
export function gridInputs(n: number, shape: readonly number[], seed: number): Tensor {
  const per = shape.reduce((a, b) => a * b, 1);
  const r = seeded(seed, n * per);
  const data = Float32Array.from(r, (v) => Math.max(-128, Math.min(127, Math.round(v * 128))) / 64);
  data[0] = -2;
  data[1] = 127 / 64;
  return makeTensor('float32', [n, ...shape], data);
}

function bn(name: string, input: string, output: string, c: number, seed: number) {
  const r = seeded(seed, 4 * c);
  return {
    node: { op: 'BatchNormalization', inputs: [input, `${name}.g`, `${name}.b`, `${name}.m`, `${name}.v`], outputs: [output] } as NodeSpec,
    inits: [
      { name: `${name}.g`, shape: [c], data: Array.from({ length: c }, (_, i) => (i % 5 === 0 ? -1 : 1) * (0.5 + Math.abs(r[i]!))) },
      { name: `${name}.b`, shape: [c], data: Array.from({ length: c }, (_, i) => r[c + i]!) },
      { name: `${name}.m`, shape: [c], data: Array.from({ length: c }, (_, i) => 2 * r[2 * c + i]!) },
      { name: `${name}.v`, shape: [c], data: Array.from({ length: c }, (_, i) => 1 + Math.abs(r[3 * c + i]!) * 4) },
    ],
  };
}

/** x [N,16] -> BipolarQuant -> MatMul (bipolar W1 [16,12]) -> BatchNorm -> BipolarQuant -> MatMul (bipolar W2 [12,6])
 *  -> Mul 0.5 -> y: 1-bit weights and 1-bit activations. */
export function binarizedMlp(batch = 1): Uint8Array {
  const b1 = bn('bn1', 'h1', 'h1n', 12, 7);
  return buildModel({
    inputs: [{ name: 'x', shape: [batch, 16] }],
    outputs: ['y'],
    initializers: [
      { name: 'one', shape: [], data: [1] },
      { name: 'w1', shape: [16, 12], data: seeded(1, 192) },
      { name: 'w2', shape: [12, 6], data: seeded(2, 72) },
      { name: 'half', shape: [], data: [0.5] },
      ...b1.inits,
    ],
    nodes: [
      { op: 'BipolarQuant', domain: Q, inputs: ['x', 'one'], outputs: ['xb'] },
      { op: 'BipolarQuant', domain: Q, inputs: ['w1', 'one'], outputs: ['w1b'] },
      { op: 'MatMul', inputs: ['xb', 'w1b'], outputs: ['h1'] },
      b1.node,
      { op: 'BipolarQuant', domain: Q, inputs: ['h1n', 'one'], outputs: ['a1'] },
      { op: 'BipolarQuant', domain: Q, inputs: ['w2', 'one'], outputs: ['w2b'] },
      { op: 'MatMul', inputs: ['a1', 'w2b'], outputs: ['h2'] },
      { op: 'Mul', inputs: ['h2', 'half'], outputs: ['y'] },
    ],
  });
}

/** x [N,2,5,5] -> Quant (4-bit unsigned, scale 1/8) -> Conv 3x3 (3-bit signed weights, per-channel power-of-two scales,
 *  float bias) -> BatchNorm -> MultiThreshold (per-channel, 3 levels) -> Conv 1x1 (4-bit narrow weights) -> Relu ->
 *  Quant (`rounding`, unsigned 3-bit, zero point 2) -> y. `layout` NHWC wraps the MultiThreshold in Transposes to and
 *  from channels-last, as FINN's streamlined models do. */
export function thresholdCnn(rounding = 'ROUND', batch = 1, layout: 'NCHW' | 'NHWC' = 'NCHW'): Uint8Array {
  const b1 = bn('bn1', 'c1', 'c1n', 4, 11);
  const t = seeded(12, 12);
  const thresholds = Array.from({ length: 12 }, (_, i) => Math.floor(i / 3) * 0.1 + (i % 3) - 1 + t[i]! * 0.3);
  return buildModel({
    inputs: [{ name: 'x', shape: [batch, 2, 5, 5] }],
    outputs: ['y'],
    initializers: [
      { name: 'in_s', shape: [], data: [0.125] }, { name: 'zero', shape: [], data: [0] }, { name: 'b4', shape: [], data: [4] },
      { name: 'w1', shape: [4, 2, 3, 3], data: seeded(3, 72) }, { name: 'w1s', shape: [4, 1, 1, 1], data: [0.25, 0.5, 0.125, 0.25] }, { name: 'b3', shape: [], data: [3] },
      { name: 'c1b', shape: [4], data: [0.5, -0.25, 0, 0.125] },
      { name: 'th', shape: [4, 3], data: thresholds },
      { name: 'w2', shape: [3, 4, 1, 1], data: seeded(4, 12) }, { name: 'w2s', shape: [], data: [0.125] },
      { name: 'o_s', shape: [], data: [0.25] }, { name: 'o_z', shape: [], data: [2] },
      ...b1.inits,
    ],
    nodes: [
      { op: 'Quant', domain: 'onnx.brevitas', inputs: ['x', 'in_s', 'zero', 'b4'], outputs: ['xq'], attrs: { signed: 0, narrow: 0, rounding_mode: 'ROUND' } },
      { op: 'Quant', domain: Q, inputs: ['w1', 'w1s', 'zero', 'b3'], outputs: ['w1q'], attrs: { signed: 1, narrow: 0, rounding_mode: 'ROUND' } },
      { op: 'Conv', inputs: ['xq', 'w1q', 'c1b'], outputs: ['c1'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] } },
      b1.node,
      ...(layout === 'NCHW'
        ? [{ op: 'MultiThreshold', domain: 'finn.custom_op.general', inputs: ['c1n', 'th'], outputs: ['a1'], attrs: { out_dtype: 'UINT2', data_layout: 'NCHW' } }]
        : [ // FINN's channels-last form: the thresholds run on an NHWC tensor between two Transposes
          { op: 'Transpose', inputs: ['c1n'], outputs: ['c1t'], attrs: { perm: [0, 2, 3, 1] } },
          { op: 'MultiThreshold', domain: 'finn.custom_op.general', inputs: ['c1t', 'th'], outputs: ['a1t'], attrs: { out_dtype: 'UINT2', data_layout: 'NHWC' } },
          { op: 'Transpose', inputs: ['a1t'], outputs: ['a1'], attrs: { perm: [0, 3, 1, 2] } },
        ]) as NodeSpec[],
      { op: 'Quant', domain: Q, inputs: ['w2', 'w2s', 'zero', 'b4'], outputs: ['w2q'], attrs: { signed: 1, narrow: 1, rounding_mode: 'ROUND' } },
      { op: 'Conv', inputs: ['a1', 'w2q'], outputs: ['c2'], attrs: { kernel_shape: [1, 1] } },
      { op: 'Relu', inputs: ['c2'], outputs: ['r2'] },
      { op: 'Quant', domain: Q, inputs: ['r2', 'o_s', 'o_z', 'b3'], outputs: ['y'], attrs: { signed: 0, narrow: 0, rounding_mode: rounding } },
    ],
  });
}
