/** TensorProto -> IR Tensor: every storage form (raw_data, typed fields, external data files next to the model). */
import { readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, normalize } from 'node:path';
import { endianness } from 'node:os';
import { userError } from '../errors.js';
import { allocData, makeTensor, sizeOf, type DType, type Tensor } from '../ir/types.js';
import { onnx, toNums, type TensorProto } from './proto.js';

const DT = onnx.TensorProto.DataType;

/** The IR dtype an ONNX element type maps to (float64 and float16 are read as float32, int16 as int32). */
export function dtypeOfOnnx(elemType: number, where: string): DType {
  switch (elemType) {
    case DT.FLOAT:
    case DT.DOUBLE:
    case DT.FLOAT16:
    case DT.BFLOAT16:
      return 'float32';
    case DT.INT64:
      return 'int64';
    case DT.INT32:
    case DT.INT16:
    case DT.UINT16:
      return 'int32';
    case DT.INT8:
      return 'int8';
    case DT.UINT8:
      return 'uint8';
    case DT.BOOL:
      return 'bool';
    default:
      throw userError(
        'E_ONNX_ATTRIBUTE',
        `${where}: element type ${DT[elemType] ?? elemType} is not supported (adequate handles float32/64/16, bfloat16, int64/32/16, int8, uint8, bool)`,
      );
  }
}

/** Reads one TensorProto. `modelDir` resolves external data; `where` names it in errors. */
export function tensorFromProto(t: TensorProto, modelDir: string, where: string): Tensor {
  const elemType = t.dataType ?? 0;
  const dtype = dtypeOfOnnx(elemType, where);
  const shape = toNums(t.dims);
  if (shape.some((d) => d < 0)) throw userError('E_SHAPE', `${where}: negative dimension in [${shape}]`);
  const n = sizeOf(shape);
  const raw = t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL ? readExternal(t, modelDir, where) : t.rawData;
  const data = raw && raw.length > 0 ? fromRaw(raw, elemType, dtype, n, where) : fromFields(t, elemType, dtype, n, where);
  return makeTensor(dtype, shape, data);
}

function readExternal(t: TensorProto, modelDir: string, where: string): Uint8Array {
  const kv = new Map((t.externalData ?? []).map((e) => [e.key ?? '', e.value ?? '']));
  const location = kv.get('location');
  if (!location) throw userError('E_ONNX_EXTERNAL_DATA', `${where}: external data without a location`);
  if (isAbsolute(location) || normalize(location).startsWith('..'))
    throw userError('E_ONNX_EXTERNAL_DATA', `${where}: external data location '${location}' must be a path inside the model's folder`);
  const file = join(modelDir, location);
  const offset = Number(kv.get('offset') ?? '0');
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    throw userError('E_ONNX_EXTERNAL_DATA', `${where}: external data file '${file}' is missing; keep it next to the model`);
  }
  const length = kv.has('length') ? Number(kv.get('length')) : size - offset;
  if (!(offset >= 0 && length >= 0 && offset + length <= size))
    throw userError('E_ONNX_EXTERNAL_DATA', `${where}: external data range ${offset}+${length} lies outside '${file}' (${size} bytes)`);
  return new Uint8Array(readFileSync(file).subarray(offset, offset + length));
}

const RAW_BYTES: Record<number, number> = {
  [DT.FLOAT]: 4, [DT.DOUBLE]: 8, [DT.FLOAT16]: 2, [DT.BFLOAT16]: 2, [DT.INT64]: 8, [DT.INT32]: 4, [DT.INT16]: 2, [DT.UINT16]: 2,
  [DT.INT8]: 1, [DT.UINT8]: 1, [DT.BOOL]: 1,
};

function fromRaw(raw: Uint8Array, elemType: number, dtype: DType, n: number, where: string) {
  const width = RAW_BYTES[elemType] ?? 0;
  if (raw.length !== n * width)
    throw userError('E_ONNX_DECODE', `${where}: raw data holds ${raw.length} bytes, the shape needs ${n * width}`);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const out = allocData(dtype, n);
  // The same little-endian layout as the array's: one copy of bytes (a VGG-19's 574 MB of weights).
  const same = (elemType === DT.FLOAT && out instanceof Float32Array) || (elemType === DT.INT32 && out instanceof Int32Array) || (elemType === DT.INT8 && out instanceof Int8Array) || (elemType === DT.UINT8 && out instanceof Uint8Array);
  if (same && endianness() === 'LE') {
    new Uint8Array(out.buffer).set(raw);
    return out;
  }
  for (let i = 0; i < n; i++) {
    switch (elemType) {
      case DT.FLOAT: out[i] = view.getFloat32(4 * i, true); break;
      case DT.DOUBLE: out[i] = view.getFloat64(8 * i, true); break;
      case DT.FLOAT16: out[i] = halfToFloat(view.getUint16(2 * i, true)); break;
      case DT.BFLOAT16: out[i] = bfloatToFloat(view.getUint16(2 * i, true)); break;
      case DT.INT64: out[i] = Number(view.getBigInt64(8 * i, true)); break;
      case DT.INT32: out[i] = view.getInt32(4 * i, true); break;
      case DT.INT16: out[i] = view.getInt16(2 * i, true); break;
      case DT.UINT16: out[i] = view.getUint16(2 * i, true); break;
      case DT.INT8: out[i] = view.getInt8(i); break;
      default: out[i] = view.getUint8(i); break;
    }
  }
  return out;
}

function fromFields(t: TensorProto, elemType: number, dtype: DType, n: number, where: string) {
  let src: readonly number[];
  switch (elemType) {
    case DT.FLOAT: src = t.floatData ?? []; break;
    case DT.DOUBLE: src = t.doubleData ?? []; break;
    case DT.INT64: src = toNums(t.int64Data); break;
    case DT.FLOAT16: src = (t.int32Data ?? []).map(halfToFloat); break;
    case DT.BFLOAT16: src = (t.int32Data ?? []).map(bfloatToFloat); break;
    default: src = t.int32Data ?? []; break;
  }
  if (src.length !== n) throw userError('E_ONNX_DECODE', `${where}: holds ${src.length} values, the shape needs ${n}`);
  const out = allocData(dtype, n);
  for (let i = 0; i < n; i++) out[i] = src[i]!;
  return out;
}

/** bfloat16 bits (the top half of a float32) -> number. */
function bfloatToFloat(h: number): number {
  const v = new DataView(new ArrayBuffer(4));
  v.setUint32(0, h << 16);
  return v.getFloat32(0);
}

/** IEEE 754 binary16 bits -> number. */
export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

