/** The QONNX quantizers in float32, as the qonnx reference executes them (`custom_op/general/quant.py`,
 *  `bipolar_quant.py`, `trunc.py`, `multithreshold.py`): each NumPy step on float32 arrays is one `Math.fround` here,
 *  so `adequate run` of a QONNX model equals the reference execution bit for bit. */
import type { BipolarQuantNode, MultiThresholdNode, QonnxRounding, QuantNode, Tensor, TruncNode } from '../ir/types.js';
import { makeTensor, sizeOf } from '../ir/types.js';
import { roundHalfEven } from '../ir/arith.js';
import { broadcastIndex } from './broadcast.js';

const f32 = Math.fround;

/** One QONNX rounding mode applied to a real value. */
export function qonnxRound(v: number, mode: QonnxRounding): number {
  switch (mode) {
    case 'ROUND':
      return roundHalfEven(v);
    case 'CEIL':
      return Math.ceil(v);
    case 'FLOOR':
      return Math.floor(v);
    case 'ROUND_TO_ZERO':
      return Math.trunc(v);
    case 'UP':
      return v < 0 ? -Math.ceil(-v) : Math.ceil(v);
    case 'HALF_UP':
      return v < 0 ? -Math.floor(-v + 0.5) : Math.floor(v + 0.5);
    case 'HALF_DOWN':
      return v < 0 ? -Math.ceil(-v - 0.5) : Math.ceil(v - 0.5);
  }
}

/** Integer range of a QONNX quantizer (qonnx `min_int` / `max_int`). */
export function qonnxIntRange(bits: number, signed: boolean, narrow: boolean): { qmin: number; qmax: number } {
  if (signed) return { qmin: -(2 ** (bits - 1)) + (narrow ? 1 : 0), qmax: 2 ** (bits - 1) - 1 };
  return { qmin: 0, qmax: 2 ** bits - 1 - (narrow ? 1 : 0) };
}

/** Broadcast readers of the per-element parameters (scale, zero point: scalars or per-channel tensors). */
function params(shape: readonly number[], ps: readonly Tensor[]): ((i: number) => number)[] {
  return ps.map((p) => {
    if (sizeOf(p.shape) === 1) {
      const v = p.data[0]!;
      return () => v;
    }
    const idx = broadcastIndex(p.shape, shape);
    return (i: number) => p.data[idx[i]!]!;
  });
}

/** The integer code of one value (before rescaling): what the quantizer (src/passes/quantize-qonnx.ts) stores. */
export function quantCode(x: number, scale: number, zeroPoint: number, a: QuantNode['attrs']): number {
  const y = f32(f32(x / scale) + zeroPoint);
  if (a.bits === 1 && a.signed) return y >= 0 ? 1 : -1;
  const { qmin, qmax } = qonnxIntRange(a.bits, a.signed, a.narrow);
  return qonnxRound(y > qmax ? qmax : y < qmin ? qmin : y, a.rounding);
}

export function quant(node: QuantNode, x: Tensor, scale: Tensor, zeroPoint: Tensor): Tensor {
  const out = makeTensor('float32', x.shape);
  const [s, z] = params(x.shape, [scale, zeroPoint]) as [(i: number) => number, (i: number) => number];
  for (let i = 0; i < out.data.length; i++) {
    const zi = z(i), si = s(i);
    out.data[i] = f32(f32(quantCode(x.data[i]!, si, zi, node.attrs) - zi) * si);
  }
  return out;
}

export function bipolarQuant(_node: BipolarQuantNode, x: Tensor, scale: Tensor): Tensor {
  const out = makeTensor('float32', x.shape);
  const [s] = params(x.shape, [scale]) as [(i: number) => number];
  for (let i = 0; i < out.data.length; i++) out.data[i] = f32((x.data[i]! >= 0 ? 1 : -1) * s(i));
  return out;
}

export function trunc(node: TruncNode, x: Tensor, scale: Tensor, zeroPoint: Tensor, outScale: Tensor | undefined): Tensor {
  const a = node.attrs;
  const out = makeTensor('float32', x.shape);
  const [s, z, os] = params(x.shape, [scale, zeroPoint, outScale ?? scale]) as [(i: number) => number, (i: number) => number, (i: number) => number];
  const { qmin, qmax } = qonnxIntRange(a.outputBits, a.signed, a.narrow);
  for (let i = 0; i < out.data.length; i++) {
    const si = s(i), zi = z(i), osi = os(i);
    const tScale = a.version === 1 ? 2 ** (a.inputBits - a.outputBits) : 2 ** roundHalfEven(Math.log2(f32(osi / si)));
    let y = f32(roundHalfEven(f32(f32(x.data[i]! / si) + zi)) / tScale);
    if (a.version === 2) y = y > qmax ? qmax : y < qmin ? qmin : y;
    y = qonnxRound(y, a.rounding);
    out.data[i] = a.version === 1 ? f32(f32(y - zi) * si) : f32(f32(y - f32(zi / tScale)) * osi);
  }
  return out;
}

/** Counts, per element, the thresholds of its channel it reaches (x >= T[c, i]). */
export function multiThreshold(node: MultiThresholdNode, x: Tensor, thresholds: Tensor): Tensor {
  const { axis, outScale, outBias } = node.attrs;
  const out = makeTensor('float32', x.shape);
  const [rows, L] = [thresholds.shape[0]!, thresholds.shape[1]!];
  const inner = sizeOf(x.shape.slice(axis + 1)), C = x.shape[axis]!;
  for (let i = 0; i < out.data.length; i++) {
    const c = rows === 1 ? 0 : Math.floor(i / inner) % C;
    const v = x.data[i]!;
    let count = 0;
    for (let j = 0; j < L; j++) if (v >= thresholds.data[c * L + j]!) count++;
    out.data[i] = f32(outScale * count + outBias);
  }
  return out;
}
