/** NumPy `.npy` reading and writing (format versions 1.0, 2.0 and 3.0).
 *
 *  Reading maps NumPy dtypes onto the IR's tensor dtypes:
 *    float32 <- f4, f8 (rounded to float32), f2 (widened)
 *    int64   <- i8, u8, u4 (held in a Float64Array; values beyond +-2^53 are an error)
 *    int32   <- i4, i2, u2
 *    int8    <- i1;  uint8 <- u1;  bool <- b1
 *  Either byte order is accepted (big-endian data is converted). Only C-order arrays of plain (non-structured)
 *  dtypes are supported. Every problem with a file is a one-line `E_NPY` user error naming the file.
 *
 *  Writing produces version 1.0 files (2.0 when the header is too long) in little-endian C order: float32 -> <f4,
 *  int64 -> <i8, int32 -> <i4, int8 -> |i1, uint8 -> |u1, bool -> |b1. */
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { userError } from '../errors.js';
import { type DType, type Tensor, type TensorData, allocData, sizeOf } from '../ir/types.js';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"
const MAX_SAFE = 2 ** 53;

/** True when the bytes start with the `.npy` magic string. */
export function isNpy(bytes: Uint8Array): boolean {
  if (bytes.length < MAGIC.length) return false;
  return MAGIC.every((b, i) => bytes[i] === b);
}

export function readNpy(path: string): Tensor {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw userError('E_IO', `cannot read ${path}: ${(e as Error).message}; check the path`);
  }
  return parseNpy(bytes, path);
}

export function writeNpy(path: string, tensor: Tensor): void {
  const bytes = encodeNpy(tensor);
  // Write beside the target and rename, so a failed write never leaves a truncated .npy behind.
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}`);
  try {
    writeFileSync(tmp, bytes);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw userError('E_IO', `cannot write ${path}: ${(e as Error).message}; check that the folder exists and is writable`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Header: a Python dict literal such as {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }

type PyValue = string | number | boolean | null | PyValue[] | { [key: string]: PyValue };

class HeaderSyntaxError extends Error {}

/** Parses the subset of Python literal syntax that NumPy writes in `.npy` headers. */
function parsePyLiteral(text: string): PyValue {
  let i = 0;
  const ws = (): void => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  const fail = (what: string): never => {
    throw new HeaderSyntaxError(`${what} at character ${i}`);
  };
  const value = (): PyValue => {
    ws();
    const c = text[i];
    if (c === undefined) return fail('unexpected end of header');
    if (c === '{') {
      i++;
      const obj: { [key: string]: PyValue } = {};
      for (;;) {
        ws();
        if (text[i] === '}') {
          i++;
          return obj;
        }
        const k = value();
        if (typeof k !== 'string') fail('dict key is not a string');
        ws();
        if (text[i] !== ':') fail("expected ':'");
        i++;
        obj[k as string] = value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] !== '}') fail("expected ',' or '}'");
      }
    }
    if (c === '(' || c === '[') {
      const close = c === '(' ? ')' : ']';
      i++;
      const arr: PyValue[] = [];
      for (;;) {
        ws();
        if (text[i] === close) {
          i++;
          return arr;
        }
        arr.push(value());
        ws();
        if (text[i] === ',') i++;
        else if (text[i] !== close) fail(`expected ',' or '${close}'`);
      }
    }
    if (c === "'" || c === '"') {
      i++;
      let s = '';
      while (i < text.length && text[i] !== c) {
        if (text[i] === '\\') i++;
        s += text[i] ?? '';
        i++;
      }
      if (i >= text.length) fail('unterminated string');
      i++;
      return s;
    }
    const m = /^(True|False|None|[-+]?\d+L?)/.exec(text.slice(i));
    if (!m) return fail(`unexpected '${c}'`);
    i += m[0].length;
    if (m[0] === 'True') return true;
    if (m[0] === 'False') return false;
    if (m[0] === 'None') return null;
    return Number.parseInt(m[0], 10);
  };
  const v = value();
  ws();
  if (i !== text.length) fail('unexpected text after the header dict');
  return v;
}

interface Descr {
  readonly kind: 'f' | 'i' | 'u' | 'b';
  readonly size: number;
  readonly littleEndian: boolean;
}

function parseDescr(descr: string, name: string): Descr {
  const m = /^([<>|=]?)([fiub])(\d+)$/.exec(descr);
  const supported = 'f2, f4, f8, i1, i2, i4, i8, u1, u2, u4, u8, b1';
  if (!m) {
    throw userError(
      'E_NPY',
      `${name}: unsupported NumPy dtype '${descr}' (supported: ${supported}); convert it, e.g. np.save(path, a.astype(np.float32))`,
    );
  }
  const kind = m[2] as Descr['kind'];
  const size = Number(m[3]);
  const ok = { f: [2, 4, 8], i: [1, 2, 4, 8], u: [1, 2, 4, 8], b: [1] }[kind];
  if (!ok.includes(size)) {
    throw userError(
      'E_NPY',
      `${name}: unsupported NumPy dtype '${descr}' (supported: ${supported}); convert it, e.g. np.save(path, a.astype(np.float32))`,
    );
  }
  return { kind, size, littleEndian: m[1] !== '>' };
}

function targetDType(d: Descr): DType {
  switch (d.kind) {
    case 'f':
      return 'float32';
    case 'b':
      return 'bool';
    case 'i':
      return d.size === 1 ? 'int8' : d.size === 8 ? 'int64' : 'int32';
    case 'u':
      return d.size === 1 ? 'uint8' : d.size === 2 ? 'int32' : 'int64';
  }
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac === 0 ? sign * Infinity : NaN;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** Decodes a `.npy` file held in memory. `nameForErrors` (usually the path) appears in every error message. */
export function parseNpy(bytes: Uint8Array, nameForErrors: string): Tensor {
  const name = nameForErrors;
  const notNpy = (why: string): never => {
    throw userError('E_NPY', `${name}: not a valid .npy file (${why}); write it with numpy.save`);
  };
  if (!isNpy(bytes)) notNpy(bytes.length < 6 ? 'file too short' : 'missing the \\x93NUMPY magic string');
  if (bytes.length < 10) notNpy('truncated header');
  const major = bytes[6]!;
  const minor = bytes[7]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLen: number;
  let headerStart: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) notNpy('truncated header');
    headerLen = view.getUint32(8, true);
    headerStart = 12;
  } else {
    throw userError('E_NPY', `${name}: unsupported .npy format version ${major}.${minor} (supported: 1.0, 2.0, 3.0); re-save it with numpy.save`);
  }
  const dataStart = headerStart + headerLen;
  if (dataStart > bytes.length) notNpy(`header of ${headerLen} bytes runs past the end of the file (truncated?)`);
  const headerBytes = bytes.subarray(headerStart, dataStart);
  const headerText = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(headerBytes).trim();

  let header: PyValue;
  try {
    header = parsePyLiteral(headerText);
  } catch (e) {
    if (e instanceof HeaderSyntaxError) return notNpy(`unreadable header: ${e.message}`);
    throw e;
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) return notNpy('header is not a dict');
  const descrV = header['descr'];
  const fortranV = header['fortran_order'];
  const shapeV = header['shape'];
  if (Array.isArray(descrV)) {
    throw userError('E_NPY', `${name}: structured NumPy dtypes are not supported; save a plain numeric array instead`);
  }
  if (typeof descrV !== 'string') return notNpy("header has no 'descr' string");
  if (typeof fortranV !== 'boolean') return notNpy("header has no 'fortran_order' boolean");
  if (!Array.isArray(shapeV) || !shapeV.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)) {
    return notNpy("header has no valid 'shape' tuple");
  }
  const shape = shapeV as number[];
  const descr = parseDescr(descrV, name);
  if (fortranV && shape.filter((d) => d > 1).length > 1) {
    throw userError(
      'E_NPY',
      `${name}: Fortran-order (column-major) arrays are not supported; save a C-order copy with np.save(path, np.ascontiguousarray(a))`,
    );
  }
  const n = sizeOf(shape);
  const need = n * descr.size;
  if (bytes.length - dataStart < need) {
    notNpy(`truncated data: shape (${shape.join(', ')}) of ${descrV} needs ${need} bytes, the file holds ${bytes.length - dataStart}`);
  }
  const dtype = targetDType(descr);
  const out = allocData(dtype, n);
  decodeData(view, dataStart, descr, out, name);
  return { dtype, shape, data: out };
}

function decodeData(view: DataView, start: number, d: Descr, out: TensorData, name: string): void {
  const n = out.length;
  const le = d.littleEndian;
  const sz = d.size;
  if (d.kind === 'f') {
    const o = out as Float32Array;
    if (sz === 4) for (let i = 0; i < n; i++) o[i] = view.getFloat32(start + 4 * i, le);
    else if (sz === 8) for (let i = 0; i < n; i++) o[i] = view.getFloat64(start + 8 * i, le);
    else for (let i = 0; i < n; i++) o[i] = halfToFloat(view.getUint16(start + 2 * i, le));
    return;
  }
  if (d.kind === 'b') {
    const o = out as Uint8Array;
    for (let i = 0; i < n; i++) o[i] = view.getUint8(start + i) !== 0 ? 1 : 0;
    return;
  }
  if (sz === 1) {
    if (d.kind === 'i') for (let i = 0; i < n; i++) (out as Int8Array)[i] = view.getInt8(start + i);
    else for (let i = 0; i < n; i++) (out as Uint8Array)[i] = view.getUint8(start + i);
    return;
  }
  if (sz === 2) {
    const o = out as Int32Array;
    if (d.kind === 'i') for (let i = 0; i < n; i++) o[i] = view.getInt16(start + 2 * i, le);
    else for (let i = 0; i < n; i++) o[i] = view.getUint16(start + 2 * i, le);
    return;
  }
  if (sz === 4 && d.kind === 'i') {
    const o = out as Int32Array;
    for (let i = 0; i < n; i++) o[i] = view.getInt32(start + 4 * i, le);
    return;
  }
  const o = out as Float64Array;
  if (sz === 4) {
    for (let i = 0; i < n; i++) o[i] = view.getUint32(start + 4 * i, le);
    return;
  }
  for (let i = 0; i < n; i++) {
    const v = d.kind === 'i' ? view.getBigInt64(start + 8 * i, le) : view.getBigUint64(start + 8 * i, le);
    if (v > BigInt(MAX_SAFE) || v < -BigInt(MAX_SAFE)) {
      throw userError(
        'E_NPY',
        `${name}: 64-bit integer ${v} at flat index ${i} is beyond +-2^53, which this tool cannot hold exactly; store smaller values or int32`,
      );
    }
    o[i] = Number(v);
  }
}

// ---------------------------------------------------------------------------------------------------------------

const DESCR: Record<DType, string> = {
  float32: '<f4',
  int64: '<i8',
  int32: '<i4',
  int8: '|i1',
  uint8: '|u1',
  bool: '|b1',
};
const ITEMSIZE: Record<DType, number> = { float32: 4, int64: 8, int32: 4, int8: 1, uint8: 1, bool: 1 };

/** Encodes a tensor as a `.npy` file (version 1.0, or 2.0 for very long headers), little-endian, C order. */
export function encodeNpy(tensor: Tensor): Uint8Array {
  const { dtype, shape, data } = tensor;
  const n = sizeOf(shape);
  if (data.length !== n) throw new Error(`internal error: tensor data has ${data.length} elements, shape [${shape.join(',')}] needs ${n}`);
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '${DESCR[dtype]}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  // Pad with spaces and a final newline so that the data starts at a multiple of 64 bytes, as NumPy does.
  let version = 1;
  let pre = 10;
  let total = Math.ceil((pre + dict.length + 1) / 64) * 64;
  if (total - pre > 0xffff) {
    version = 2;
    pre = 12;
    total = Math.ceil((pre + dict.length + 1) / 64) * 64;
  }
  const headerLen = total - pre;
  const header = dict + ' '.repeat(headerLen - dict.length - 1) + '\n';
  const itemsize = ITEMSIZE[dtype];
  const out = new Uint8Array(total + n * itemsize);
  out.set(MAGIC, 0);
  out[6] = version;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, headerLen, true);
  else view.setUint32(8, headerLen, true);
  for (let i = 0; i < header.length; i++) out[pre + i] = header.charCodeAt(i);
  const s = total;
  switch (dtype) {
    case 'float32':
      for (let i = 0; i < n; i++) view.setFloat32(s + 4 * i, data[i]!, true);
      break;
    case 'int32':
      for (let i = 0; i < n; i++) view.setInt32(s + 4 * i, data[i]!, true);
      break;
    case 'int64':
      for (let i = 0; i < n; i++) {
        const v = data[i]!;
        if (!Number.isInteger(v)) throw new Error(`internal error: int64 tensor holds non-integer ${v} at index ${i}`);
        view.setBigInt64(s + 8 * i, BigInt(v), true);
      }
      break;
    case 'int8':
      for (let i = 0; i < n; i++) view.setInt8(s + i, data[i]!);
      break;
    case 'uint8':
      for (let i = 0; i < n; i++) view.setUint8(s + i, data[i]!);
      break;
    case 'bool':
      for (let i = 0; i < n; i++) view.setUint8(s + i, data[i]! !== 0 ? 1 : 0);
      break;
  }
  return out;
}
