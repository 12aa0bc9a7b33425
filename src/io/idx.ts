/** MNIST IDX files (`*-idx3-ubyte`, `*-idx1-ubyte`, and the same gzip-compressed as `.gz`).
 *
 *  Layout: two zero bytes, a type byte, a dimension count byte, then one big-endian uint32 per dimension, then the
 *  data in C order, big-endian. Types: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64.
 *  They map to IR dtypes uint8, int8, int32, int32, float32, float32 (float64 rounded). */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { userError } from '../errors.js';
import { type DType, type Tensor, allocData, sizeOf } from '../ir/types.js';

const TYPES: Record<number, { size: number; dtype: DType; label: string }> = {
  0x08: { size: 1, dtype: 'uint8', label: 'uint8' },
  0x09: { size: 1, dtype: 'int8', label: 'int8' },
  0x0b: { size: 2, dtype: 'int32', label: 'int16' },
  0x0c: { size: 4, dtype: 'int32', label: 'int32' },
  0x0d: { size: 4, dtype: 'float32', label: 'float32' },
  0x0e: { size: 8, dtype: 'float32', label: 'float64' },
};

/** True when the bytes start like an IDX file (two zero bytes, a known type byte). */
export function isIdx(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0 && bytes[1] === 0 && TYPES[bytes[2]!] !== undefined;
}

/** True when the bytes start with the gzip magic number. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Inflates gzip data; other bytes are returned as they are. */
export function maybeGunzip(bytes: Uint8Array, nameForErrors: string): Uint8Array {
  if (!isGzip(bytes)) return bytes;
  try {
    return gunzipSync(bytes);
  } catch (e) {
    throw userError('E_DATASET', `${nameForErrors}: corrupt gzip data (${(e as Error).message}); download the file again`);
  }
}

export function readIdx(path: string): Tensor {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw userError('E_IO', `cannot read ${path}: ${(e as Error).message}; check the path`);
  }
  return parseIdx(maybeGunzip(bytes, path), path);
}

/** Decodes an (uncompressed) IDX file held in memory. Errors are `E_DATASET` naming `nameForErrors`. */
export function parseIdx(bytes: Uint8Array, nameForErrors: string): Tensor {
  const name = nameForErrors;
  const bad = (why: string): never => {
    throw userError('E_DATASET', `${name}: not a valid IDX file (${why}); use the original MNIST-style *-ubyte file or a .npy`);
  };
  if (bytes.length < 4) bad('file too short');
  if (bytes[0] !== 0 || bytes[1] !== 0) bad('the first two bytes must be zero');
  const type = TYPES[bytes[2]!];
  if (!type) return bad(`unknown data type byte 0x${bytes[2]!.toString(16).padStart(2, '0')}`);
  const ndim = bytes[3]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const start = 4 + 4 * ndim;
  if (bytes.length < start) bad(`truncated header: ${ndim} dimensions need ${start} bytes`);
  const shape: number[] = [];
  for (let i = 0; i < ndim; i++) shape.push(view.getUint32(4 + 4 * i, false));
  const n = sizeOf(shape);
  const need = n * type.size;
  if (bytes.length - start < need) {
    bad(`truncated data: shape ${shape.join('x')} of ${type.label} needs ${need} bytes, the file holds ${bytes.length - start}`);
  }
  const out = allocData(type.dtype, n);
  switch (bytes[2]) {
    case 0x08:
      (out as Uint8Array).set(bytes.subarray(start, start + n));
      break;
    case 0x09:
      (out as Int8Array).set(new Int8Array(bytes.buffer, bytes.byteOffset + start, n));
      break;
    case 0x0b:
      for (let i = 0; i < n; i++) out[i] = view.getInt16(start + 2 * i, false);
      break;
    case 0x0c:
      for (let i = 0; i < n; i++) out[i] = view.getInt32(start + 4 * i, false);
      break;
    case 0x0d:
      for (let i = 0; i < n; i++) out[i] = view.getFloat32(start + 4 * i, false);
      break;
    default:
      for (let i = 0; i < n; i++) out[i] = view.getFloat64(start + 8 * i, false);
  }
  return { dtype: type.dtype, shape, data: out };
}
