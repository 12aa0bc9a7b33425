/** The IR on disk: `model.ir.json` (structure, shapes, attributes) plus `weights.bin` (little-endian tensor data,
 *  each tensor 64-byte aligned and referenced by offset). Both directions validate against `ir/schema.json`. */
import { closeSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { endianness } from 'node:os';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { userError } from '../errors.js';
import { packagePath } from '../paths.js';
import { checkSharing } from './sharing.js';
import { inferOutputs } from './shapes.js';
import { allocData, makeTensor, sizeOf, type DType, type Graph, type Node, type Tensor, type TensorData, type ValueInfo } from './types.js';

export const IR_FILE = 'model.ir.json';
export const WEIGHTS_FILE = 'weights.bin';
const ALIGN = 64;

const BYTES: Record<DType, number> = { float32: 4, int64: 8, int32: 4, int8: 1, uint8: 1, bool: 1 };

interface ConstantRecord extends ValueInfo {
  readonly offset: number;
  readonly bytes: number;
}

export interface IrDocument {
  readonly format: 'adequate-ir';
  readonly version: 1;
  readonly name: string;
  readonly source: Graph['source'];
  readonly inputs: readonly ValueInfo[];
  readonly outputs: readonly string[];
  readonly values: readonly ValueInfo[];
  readonly constants: readonly ConstantRecord[];
  readonly nodes: readonly unknown[];
}

let validator: ValidateFunction | undefined;
function validate(doc: unknown, where: string): asserts doc is IrDocument {
  validator ??= new Ajv({ allErrors: false, strict: false }).compile(JSON.parse(readFileSync(packagePath('ir', 'schema.json'), 'utf8')));
  if (!validator(doc)) {
    const e = validator.errors?.[0];
    throw userError('E_IR_INVALID', `${where}: does not match ir/schema.json at ${e?.instancePath || '/'}: ${e?.message ?? 'invalid'}; re-create it with adequate import`);
  }
}

/** Non-finite floats (Clip bounds, pad values) are written as strings, since JSON has no Infinity. */
function encodeNumbers(v: unknown): unknown {
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (Array.isArray(v)) return v.map(encodeNumbers);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, encodeNumbers(x)]));
  return v;
}
function decodeNumbers(v: unknown): unknown {
  if (v === 'Infinity' || v === '-Infinity' || v === 'NaN') return Number(v);
  if (Array.isArray(v)) return v.map(decodeNumbers);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, decodeNumbers(x)]));
  return v;
}

/** Serialises a graph to the two files' contents. */
export function encodeIr(graph: Graph): { json: string; weights: Uint8Array } {
  const { json, records, size } = irDocument(graph);
  const weights = new Uint8Array(size);
  const view = new DataView(weights.buffer);
  records.forEach((r) => writeData(view, r.offset, graph.constants.get(r.name)!));
  return { json, weights };
}

/** The IR document's text and where each constant lies in the weights file (`size` bytes in all). */
function irDocument(graph: Graph): { json: string; records: ConstantRecord[]; size: number } {
  const records: ConstantRecord[] = [];
  let size = 0;
  for (const [name, t] of graph.constants) {
    const bytes = t.data.length * BYTES[t.dtype];
    records.push({ name, dtype: t.dtype, shape: [...t.shape], offset: size, bytes });
    size += Math.ceil(bytes / ALIGN) * ALIGN;
  }
  const doc: IrDocument = {
    format: 'adequate-ir',
    version: 1,
    name: graph.name,
    source: graph.source,
    inputs: graph.inputs.map((v) => ({ name: v.name, dtype: v.dtype, shape: [...v.shape] })),
    outputs: [...graph.outputs],
    values: [...graph.values.values()].map((v) => ({ name: v.name, dtype: v.dtype, shape: [...v.shape], ...(v.quant ? { quant: v.quant } : {}), ...(v.format ? { format: v.format } : {}) })),
    constants: records,
    nodes: graph.nodes.map((n) => ({ name: n.name, op: n.op, inputs: n.inputs, outputs: n.outputs, attrs: encodeNumbers(n.attrs) })),
  };
  validate(JSON.parse(JSON.stringify(doc)), 'internal: the IR about to be written');
  return { json: JSON.stringify(doc, null, 1) + '\n', records, size };
}

/** Writes the IR's two files; the weights file one constant at a time (the bytes encodeIr would hold at once: a
 *  VGG-19's 574 MB beside its tensors). */
export function saveIr(dir: string, graph: Graph): void {
  const { json, records } = irDocument(graph);
  writeFileSync(join(dir, IR_FILE), json);
  const fd = openSync(join(dir, WEIGHTS_FILE), 'w');
  try {
    for (const r of records) {
      const t = graph.constants.get(r.name)!;
      const padded = Math.ceil(r.bytes / ALIGN) * ALIGN;
      if (bytesAsStored(t.dtype, t.data)) {
        writeAll(fd, new Uint8Array(t.data.buffer, t.data.byteOffset, r.bytes));
        if (padded > r.bytes) writeAll(fd, new Uint8Array(padded - r.bytes));
      } else {
        const bytes = new Uint8Array(padded);
        writeData(new DataView(bytes.buffer), 0, t);
        writeAll(fd, bytes);
      }
    }
  } finally {
    closeSync(fd);
  }
}

function writeAll(fd: number, bytes: Uint8Array): void {
  for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at, bytes.length - at);
}

export function loadIr(dir: string): Graph {
  const jsonPath = join(dir, IR_FILE);
  let text: string, weights: Uint8Array;
  try {
    text = readFileSync(jsonPath, 'utf8');
    weights = readFileSync(join(dir, WEIGHTS_FILE));
  } catch {
    throw userError('E_IO', `${dir}: not an IR folder (needs ${IR_FILE} and ${WEIGHTS_FILE}); create one with adequate import MODEL.onnx -o ${dir}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw userError('E_IR_INVALID', `${jsonPath}: not valid JSON (${e instanceof Error ? e.message : e})`);
  }
  return decodeIr(doc, weights, jsonPath);
}

export function decodeIr(doc: unknown, weights: Uint8Array, where: string): Graph {
  validate(doc, where);
  const view = new DataView(weights.buffer, weights.byteOffset, weights.byteLength);
  const constants = new Map<string, Tensor>();
  for (const r of doc.constants) {
    if (r.bytes !== sizeOf(r.shape) * BYTES[r.dtype] || r.offset + r.bytes > weights.byteLength)
      throw userError('E_IR_INVALID', `${where}: constant '${r.name}' lies outside ${WEIGHTS_FILE} or has the wrong size`);
    constants.set(r.name, readData(view, r));
  }
  const graph: Graph = {
    name: doc.name,
    source: doc.source,
    inputs: doc.inputs,
    outputs: doc.outputs,
    values: new Map(doc.values.map((v) => [v.name, v])),
    constants,
    nodes: doc.nodes.map((n) => decodeNumbers(n) as Node),
  };
  checkShapes(graph, where);
  checkSharing(graph, where);
  return graph;
}

/** Re-infers every node's output shapes from the graph inputs and constants: a hand-edited IR whose shapes disagree
 *  (in a node, a graph input, a constant, or the value table) is rejected here, not mid-run. */
function checkShapes(graph: Graph, where: string): void {
  const same = (a: { dtype: string; shape: readonly number[] }, b: { dtype: string; shape: readonly number[] }) => a.dtype === b.dtype && a.shape.join('x') === b.shape.join('x');
  const describe = (v: { dtype: string; shape: readonly number[] }) => `${v.dtype} [${v.shape.join(', ')}]`;
  // What is known before any node runs: the graph inputs and the constants, each agreeing with its value entry.
  const defined = new Set<string>();
  for (const input of graph.inputs) {
    const v = graph.values.get(input.name);
    if (!v || !same(v, input))
      throw userError('E_IR_INVALID', `${where}: graph input '${input.name}' is ${describe(input)} but its value entry says ${v ? describe(v) : 'nothing'}; make them agree`);
    defined.add(input.name);
  }
  for (const [name, t] of graph.constants) {
    const v = graph.values.get(name);
    if (!v || !same(v, t)) throw userError('E_IR_INVALID', `${where}: constant '${name}' is ${describe(t)} but its value entry says ${v ? describe(v) : 'nothing'}; make them agree`);
    defined.add(name);
  }
  for (const n of graph.nodes) {
    const ins = n.inputs.map((i) => {
      const v = graph.values.get(i);
      if (!v) throw userError('E_IR_INVALID', `${where}: node '${n.name}' reads '${i}', which has no value entry`);
      if (!defined.has(i)) throw userError('E_IR_INVALID', `${where}: node '${n.name}' reads '${i}', which no graph input, constant or earlier node defines`);
      return v;
    });
    const outs = inferOutputs(n, ins);
    n.outputs.forEach((o, k) => {
      const v = graph.values.get(o);
      if (!v || v.dtype !== outs[k]!.dtype || v.shape.join('x') !== outs[k]!.shape.join('x'))
        throw userError('E_IR_INVALID', `${where}: node '${n.name}' output '${o}' should be ${outs[k]!.dtype} [${outs[k]!.shape}]`);
      defined.add(o);
    });
  }
  for (const o of graph.outputs) if (!defined.has(o)) throw userError('E_IR_INVALID', `${where}: graph output '${o}' is not defined by any node, input or constant`);
}

/** Whether a tensor's array holds its dtype's little-endian bytes as they are (so a copy of bytes reads or writes it):
 *  every dtype but int64 (held as doubles), on a little-endian machine. */
function bytesAsStored(dtype: DType, d: TensorData): boolean {
  if (!LITTLE_ENDIAN) return false;
  switch (dtype) {
    case 'float32': return d instanceof Float32Array;
    case 'int32': return d instanceof Int32Array;
    case 'int8': return d instanceof Int8Array;
    case 'uint8': case 'bool': return d instanceof Uint8Array;
    default: return false;
  }
}
const LITTLE_ENDIAN = endianness() === 'LE';

function writeData(view: DataView, offset: number, t: Tensor): void {
  const d = t.data;
  if (bytesAsStored(t.dtype, d)) {
    new Uint8Array(view.buffer, view.byteOffset + offset, d.byteLength).set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
    return;
  }
  for (let i = 0; i < d.length; i++) {
    const v = d[i]!;
    switch (t.dtype) {
      case 'float32': view.setFloat32(offset + 4 * i, v, true); break;
      case 'int64': view.setBigInt64(offset + 8 * i, BigInt(v), true); break;
      case 'int32': view.setInt32(offset + 4 * i, v, true); break;
      case 'int8': view.setInt8(offset + i, v); break;
      default: view.setUint8(offset + i, v); break;
    }
  }
}

function readData(view: DataView, r: ConstantRecord): Tensor {
  const n = sizeOf(r.shape);
  const d = allocData(r.dtype, n);
  if (bytesAsStored(r.dtype, d)) {
    new Uint8Array(d.buffer).set(new Uint8Array(view.buffer, view.byteOffset + r.offset, d.byteLength));
    return makeTensor(r.dtype, r.shape, d);
  }
  for (let i = 0; i < n; i++) {
    switch (r.dtype) {
      case 'float32': d[i] = view.getFloat32(r.offset + 4 * i, true); break;
      case 'int64': d[i] = Number(view.getBigInt64(r.offset + 8 * i, true)); break;
      case 'int32': d[i] = view.getInt32(r.offset + 4 * i, true); break;
      case 'int8': d[i] = view.getInt8(r.offset + i); break;
      default: d[i] = view.getUint8(r.offset + i); break;
    }
  }
  return makeTensor(r.dtype, r.shape, d);
}
