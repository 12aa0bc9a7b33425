/** Small models for the overlapped-steps tests (src/hw/overlap.ts): a LeNet-5-like network, one with a residual add
 *  that can overlap the conv before it, and a conv followed by a dense layer (the hazard worked by hand). */
import { buildModel } from './onnx-builder.js';

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}
const weights = (r: () => number, n: number, scale = 0.5) => Array.from({ length: n }, () => (r() * 2 - 1) * scale);

/** LeNet-5 in small: input [1, 1, 14, 14], conv 3x3 (4) + ReLU, max pool 2x2, conv 3x3 (6) + ReLU, max pool 2x2,
 *  dense 24 -> 10 + ReLU, dense 10 -> 4. */
export function lenetLikeOnnx(): Uint8Array {
  const r = seeded(51);
  return buildModel({
    inputs: [{ name: 'x', shape: [1, 1, 14, 14] }],
    outputs: ['y'],
    initializers: [
      { name: 'w1', shape: [4, 1, 3, 3], data: weights(r, 36) }, { name: 'b1', shape: [4], data: weights(r, 4, 0.1) },
      { name: 'w2', shape: [6, 4, 3, 3], data: weights(r, 216) }, { name: 'b2', shape: [6], data: weights(r, 6, 0.1) },
      { name: 'w3', shape: [10, 24], data: weights(r, 240) }, { name: 'b3', shape: [10], data: weights(r, 10, 0.1) },
      { name: 'w4', shape: [4, 10], data: weights(r, 40) }, { name: 'b4', shape: [4], data: weights(r, 4, 0.1) },
    ],
    nodes: [
      { op: 'Conv', inputs: ['x', 'w1', 'b1'], outputs: ['c1'], attrs: { kernel_shape: [3, 3] } },
      { op: 'Relu', inputs: ['c1'], outputs: ['r1'] },
      { op: 'MaxPool', inputs: ['r1'], outputs: ['p1'], attrs: { kernel_shape: [2, 2], strides: [2, 2] } },
      { op: 'Conv', inputs: ['p1', 'w2', 'b2'], outputs: ['c2'], attrs: { kernel_shape: [3, 3] } },
      { op: 'Relu', inputs: ['c2'], outputs: ['r2'] },
      { op: 'MaxPool', inputs: ['r2'], outputs: ['p2'], attrs: { kernel_shape: [2, 2], strides: [2, 2] } },
      { op: 'Flatten', inputs: ['p2'], outputs: ['f'] },
      { op: 'Gemm', inputs: ['f', 'w3', 'b3'], outputs: ['d3'], attrs: { transB: 1 } },
      { op: 'Relu', inputs: ['d3'], outputs: ['r3'] },
      { op: 'Gemm', inputs: ['r3', 'w4', 'b4'], outputs: ['y'], attrs: { transB: 1 } },
    ],
  });
}

/** A residual block: input [1, 2, 8, 8], conv 3x3 pad 1 (4) + ReLU = a, conv 3x3 pad 1 (4) + ReLU, conv 1x1 (4),
 *  Add with a + ReLU (the add reads nothing the 1x1 conv before it reads), max pool 2x2, dense 64 -> 5. */
export function residualOnnx(): Uint8Array {
  const r = seeded(53);
  return buildModel({
    inputs: [{ name: 'x', shape: [1, 2, 8, 8] }],
    outputs: ['y'],
    initializers: [
      { name: 'w1', shape: [4, 2, 3, 3], data: weights(r, 72) }, { name: 'b1', shape: [4], data: weights(r, 4, 0.1) },
      { name: 'w2', shape: [4, 4, 3, 3], data: weights(r, 144) }, { name: 'b2', shape: [4], data: weights(r, 4, 0.1) },
      { name: 'w3', shape: [4, 4, 1, 1], data: weights(r, 16) }, { name: 'b3', shape: [4], data: weights(r, 4, 0.1) },
      { name: 'w4', shape: [5, 64], data: weights(r, 320) }, { name: 'b4', shape: [5], data: weights(r, 5, 0.1) },
    ],
    nodes: [
      { op: 'Conv', inputs: ['x', 'w1', 'b1'], outputs: ['c1'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] } },
      { op: 'Relu', inputs: ['c1'], outputs: ['a'] },
      { op: 'Conv', inputs: ['a', 'w2', 'b2'], outputs: ['c2'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] } },
      { op: 'Relu', inputs: ['c2'], outputs: ['r2'] },
      { op: 'Conv', inputs: ['r2', 'w3', 'b3'], outputs: ['c3'], attrs: { kernel_shape: [1, 1] } },
      { op: 'Add', inputs: ['c3', 'a'], outputs: ['s'] },
      { op: 'Relu', inputs: ['s'], outputs: ['rs'] },
      { op: 'MaxPool', inputs: ['rs'], outputs: ['p'], attrs: { kernel_shape: [2, 2], strides: [2, 2] } },
      { op: 'Flatten', inputs: ['p'], outputs: ['f'] },
      { op: 'Gemm', inputs: ['f', 'w4', 'b4'], outputs: ['y'], attrs: { transB: 1 } },
    ],
  });
}

/** A 3x3 conv (1 -> 2 channels, 6x6 -> 4x4) + ReLU and a dense layer 32 -> 3 reading all of it. */
export function convDenseOnnx(): Uint8Array {
  const r = seeded(57);
  return buildModel({
    inputs: [{ name: 'x', shape: [1, 1, 6, 6] }],
    outputs: ['y'],
    initializers: [
      { name: 'w1', shape: [2, 1, 3, 3], data: weights(r, 18) }, { name: 'b1', shape: [2], data: weights(r, 2, 0.1) },
      { name: 'w2', shape: [3, 32], data: weights(r, 96) }, { name: 'b2', shape: [3], data: weights(r, 3, 0.1) },
    ],
    nodes: [
      { op: 'Conv', inputs: ['x', 'w1', 'b1'], outputs: ['c1'], attrs: { kernel_shape: [3, 3] } },
      { op: 'Relu', inputs: ['c1'], outputs: ['r1'] },
      { op: 'Flatten', inputs: ['r1'], outputs: ['f'] },
      { op: 'Gemm', inputs: ['f', 'w2', 'b2'], outputs: ['y'], attrs: { transB: 1 } },
    ],
  });
}
