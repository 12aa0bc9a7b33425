/** QuantizeLinear / DequantizeLinear as ONNX defines them: code = saturate(round_half_even(x / scale) + zero_point),
 *  x = (code - zero_point) * scale; per tensor or per index along `axis`. */
import type { QuantParams, Tensor } from '../ir/types.js';
import { makeTensor, sizeOf } from '../ir/types.js';
import { roundHalfEven } from '../ir/arith.js';


function perElement(q: QuantParams, shape: readonly number[], f: (i: number, k: number) => void): void {
  const n = sizeOf(shape);
  if (q.axis === undefined) {
    for (let i = 0; i < n; i++) f(i, 0);
    return;
  }
  const inner = sizeOf(shape.slice(q.axis + 1)), len = shape[q.axis]!;
  for (let i = 0; i < n; i++) f(i, Math.floor(i / inner) % len);
}

const DTYPE_RANGE = { uint8: [0, 255], int8: [-128, 127], int32: [-(2 ** 31), 2 ** 31 - 1] } as const;

export function quantizeLinear(q: QuantParams, x: Tensor): Tensor {
  const out = makeTensor(q.dtype, x.shape);
  const [lo, hi] = [q.qmin ?? DTYPE_RANGE[q.dtype][0], q.qmax ?? DTYPE_RANGE[q.dtype][1]];
  perElement(q, x.shape, (i, k) => {
    const v = roundHalfEven(Math.fround(x.data[i]! / q.scale[k]!)) + q.zeroPoint[k]!;
    out.data[i] = Math.min(hi, Math.max(lo, v));
  });
  return out;
}

export function dequantizeLinear(q: QuantParams, x: Tensor): Tensor {
  const out = makeTensor('float32', x.shape);
  perElement(q, x.shape, (i, k) => (out.data[i] = (x.data[i]! - q.zeroPoint[k]!) * q.scale[k]!));
  return out;
}
