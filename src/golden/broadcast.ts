/** NumPy broadcasting as an index map: for every element of the output (C order), the flat index of the element
 *  of `from` it reads. Built once per op, so the elementwise loops are plain array reads. */
import { sizeOf, stridesOf } from '../ir/types.js';

export function broadcastIndex(from: readonly number[], to: readonly number[]): Int32Array {
  const n = sizeOf(to);
  const map = new Int32Array(n);
  if (sizeOf(from) === n) {
    for (let i = 0; i < n; i++) map[i] = i;
    return map;
  }
  const r = to.length;
  const fromStrides = stridesOf(from);
  // Stride of each output axis in `from`: 0 where `from` is broadcast (missing or size 1).
  const eff = to.map((_, i) => {
    const j = i - (r - from.length);
    return j < 0 || from[j] === 1 ? 0 : fromStrides[j]!;
  });
  const idx = new Array<number>(r).fill(0);
  let src = 0;
  for (let i = 0; i < n; i++) {
    map[i] = src;
    for (let d = r - 1; d >= 0; d--) {
      idx[d]!++;
      src += eff[d]!;
      if (idx[d]! < to[d]!) break;
      src -= eff[d]! * to[d]!;
      idx[d] = 0;
    }
  }
  return map;
}
