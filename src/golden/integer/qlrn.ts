/** Integer local response normalisation (QLrn, ir/arithmetic.md): a window sum of squared centred codes, one table
 *  lookup of its bucket, one fixed-point multiply and rounding. Every step is an integer operation with a stated
 *  width, so hardware (a squarer, a channel-window adder, a leading-one detector, a ROM and a multiplier) can match
 *  it bit for bit. */
import { roundShift } from '../../ir/arith-rounding.js';
import type { QLrnNode, Tensor } from '../../ir/types.js';
import { makeTensor, sizeOf } from '../../ir/types.js';

/** The table index of a sum of squares S >= 0 with P = 2^octaveBits buckets per octave: e = the smallest integer with
 *  S < 2P * 2^e, index = e * P + floor(S / 2^e). Below 2P every S has its own entry; above, floor(S / 2^e) is in
 *  [P, 2P), the top octaveBits + 1 bits of S (a leading-one detector and a shifter in hardware). */
export function lrnIndex(S: number, octaveBits: number): number {
  const P = 2 ** octaveBits;
  let e = 0;
  while (S >= 2 * P * 2 ** e) e++;
  return e * P + Math.floor(S / 2 ** e);
}

/** The S values of table entry `index`: [first, last] (one value below 2P, 2^e values above). */
export function lrnBucket(index: number, octaveBits: number): { first: number; last: number } {
  const P = 2 ** octaveBits;
  if (index < 2 * P) return { first: index, last: index };
  const e = Math.floor(index / P) - 1, top = index - e * P;
  return { first: top * 2 ** e, last: (top + 1) * 2 ** e - 1 };
}

export function qlrn(node: QLrnNode, x: Tensor): Tensor {
  const { size, zeroPoint: z, octaveBits, table, shift, rounding, outZeroPoint, lo, hi } = node.attrs;
  const [N, C] = [x.shape[0]!, x.shape[1]!];
  const inner = sizeOf(x.shape.slice(2));
  const below = Math.floor((size - 1) / 2), above = Math.ceil((size - 1) / 2);
  const last = table.length - 1;
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
        const m = table[Math.min(last, lrnIndex(S, octaveBits))]!;
        const v = outZeroPoint + roundShift((x.data[idx]! - z) * m, shift, rounding);
        out.data[idx] = v < lo ? lo : v > hi ? hi : v;
      }
  return out;
}
