/** Raw product tables: 65,536 16-bit little-endian products over the raw 8-bit input codes (131,072 bytes).
 *  Order `ab` (the project's layout): entry A * 256 + B; order `ba` (tf-approximate's .bin files): entry B * 256 + A.
 *  Signed tables hold two's-complement 16-bit products. */
import { userError } from '../errors.js';
import { TABLE_SIZE } from './types.js';

export type TableOrder = 'ab' | 'ba';

export function decodeTable(bytes: Uint8Array, signed: boolean, order: TableOrder, where: string): Int32Array {
  if (bytes.length !== 2 * TABLE_SIZE)
    throw userError('E_MULT', `${where}: a table holds ${2 * TABLE_SIZE} bytes (65,536 16-bit products), this one ${bytes.length}; give an 8x8 product table`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const t = new Int32Array(TABLE_SIZE);
  for (let a = 0; a < 256; a++)
    for (let b = 0; b < 256; b++) {
      const off = 2 * (order === 'ab' ? a * 256 + b : b * 256 + a);
      t[a * 256 + b] = signed ? view.getInt16(off, true) : view.getUint16(off, true);
    }
  return t;
}

/** The project's layout (order ab); products outside 16 bits are an internal fault. */
export function encodeTable(table: Int32Array, signed: boolean): Uint8Array {
  const bytes = new Uint8Array(2 * TABLE_SIZE);
  const view = new DataView(bytes.buffer);
  table.forEach((v, i) => {
    if (signed ? v < -32768 || v > 32767 : v < 0 || v > 65535) throw new Error(`internal error: product ${v} at ${i} does not fit 16 bits`);
    if (signed) view.setInt16(2 * i, v, true);
    else view.setUint16(2 * i, v, true);
  });
  return bytes;
}
