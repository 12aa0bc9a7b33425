/** Integer local response normalisation (QLrn, ir/arithmetic.md): a window sum of squared centred codes, one table
 *  lookup of its bucket, one fixed-point multiply and rounding. Every step is an integer operation with a stated
 *  width, so hardware (a squarer, a channel-window adder, a ROM and a multiplier) can match it bit for bit. */
import { roundShift } from '../../ir/arith-rounding.js';
import type { QLrnNode, Tensor } from '../../ir/types.js';
import { makeTensor, sizeOf } from '../../ir/types.js';

export function qlrn(node: QLrnNode, x: Tensor): Tensor {
  const { size, zeroPoint: z, indexShift, table, shift, rounding, outZeroPoint, lo, hi } = node.attrs;
  const [N, C] = [x.shape[0]!, x.shape[1]!];
  const inner = sizeOf(x.shape.slice(2));
  const below = Math.floor((size - 1) / 2), above = Math.ceil((size - 1) / 2);
  const last = table.length - 1, bucket = 2 ** indexShift;
  const out = makeTensor(node.attrs.outType, x.shape);
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++)
      for (let i = 0; i < inner; i++) {
        let S = 0; // at most size * 2^32: exact in a double
        for (let cc = Math.max(0, c - below); cc <= Math.min(C - 1, c + above); cc++) {
          const d = x.data[(n * C + cc) * inner + i]! - z;
          S += d * d;
        }
        const idx = (n * C + c) * inner + i;
        const m = table[Math.min(last, Math.floor(S / bucket))]!;
        const v = outZeroPoint + roundShift((x.data[idx]! - z) * m, shift, rounding);
        out.data[idx] = v < lo ? lo : v > hi ? hi : v;
      }
  return out;
}
