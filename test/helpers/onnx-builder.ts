/** Builds small ONNX models in memory (with onnx-proto, the same library the importer decodes with) for tests that
 *  need a model with one particular feature or fault. */
import { onnx } from '../../src/onnx/proto.js';

type AttrValue = number | number[] | string | { ints: number[] } | { floats: number[] } | { f: number };

export interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  name?: string;
  domain?: string;
  attrs?: Record<string, AttrValue>;
}

export interface ModelSpec {
  inputs: { name: string; shape: (number | string)[]; elemType?: number }[];
  outputs: string[];
  nodes: NodeSpec[];
  initializers?: { name: string; shape: number[]; data: number[] | Float32Array; elemType?: number }[];
  opset?: number;
  irVersion?: number;
}

const DT = onnx.TensorProto.DataType;

function attribute(name: string, v: AttrValue): onnx.IAttributeProto {
  const AT = onnx.AttributeProto.AttributeType;
  if (typeof v === 'string') return { name, type: AT.STRING, s: new TextEncoder().encode(v) };
  if (typeof v === 'number') return Number.isInteger(v) ? { name, type: AT.INT, i: v } : { name, type: AT.FLOAT, f: v };
  if (Array.isArray(v)) return { name, type: AT.INTS, ints: v };
  if ('ints' in v) return { name, type: AT.INTS, ints: v.ints };
  if ('floats' in v) return { name, type: AT.FLOATS, floats: v.floats };
  return { name, type: AT.FLOAT, f: v.f };
}

export function tensorProto(name: string, shape: number[], data: number[] | Float32Array, elemType: number = DT.FLOAT): onnx.ITensorProto {
  const t: onnx.ITensorProto = { name, dims: shape, dataType: elemType };
  if (elemType === DT.FLOAT) t.floatData = Array.from(data);
  else if (elemType === DT.INT64) t.int64Data = Array.from(data);
  else t.int32Data = Array.from(data);
  return t;
}

export function buildModel(spec: ModelSpec): Uint8Array {
  const valueInfo = (name: string, shape: (number | string)[], elemType: number = DT.FLOAT): onnx.IValueInfoProto => ({
    name,
    type: { tensorType: { elemType, shape: { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  });
  const model: onnx.IModelProto = {
    irVersion: spec.irVersion ?? 8,
    producerName: 'adequate-tests',
    opsetImport: [{ domain: '', version: spec.opset ?? 13 }],
    graph: {
      name: 'test',
      input: spec.inputs.map((i) => valueInfo(i.name, i.shape, i.elemType)),
      output: spec.outputs.map((o) => ({ name: o })),
      initializer: (spec.initializers ?? []).map((t) => tensorProto(t.name, t.shape, t.data, t.elemType)),
      node: spec.nodes.map((n, k) => ({
        opType: n.op,
        name: n.name ?? `${n.op}_${k}`,
        domain: n.domain ?? '',
        input: n.inputs,
        output: n.outputs,
        attribute: Object.entries(n.attrs ?? {}).map(([k2, v]) => attribute(k2, v)),
      })),
    },
  };
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}

/** Deterministic pseudo-random numbers in [-1, 1) (mulberry32), for weights and inputs. */
export function seeded(seed: number, n: number): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

export { DT };
