/** Absorb the QONNX weight quantizers (Quant / BipolarQuant of a constant) into quantization annotations.
 *  Why: `quantize` keeps the bit width, scale and zero point a QONNX model states for its weights instead of choosing
 *  its own; the weight becomes the float constant the quantizer computes, annotated with its codes' meaning (per
 *  tensor `quant`, or per channel `axisQuant` along the one axis the scale varies on).
 *  Assumes: parameters are constants (import checked) and zero points are integers (E_QUANT otherwise). A 1-bit
 *  signed Quant and a BipolarQuant give codes -1 and +1, held as 2-bit signed narrow codes. */
import { userError } from '../errors.js';
import { evalNode } from '../golden/evaluate.js';
import { qonnxIntRange } from '../golden/qonnx.js';
import type { CodeQuant, Graph, Node, Tensor, ValueInfo } from '../ir/types.js';
import { sizeOf } from '../ir/types.js';
import type { Pass, PassResult } from './pass.js';

export const absorbQuant: Pass = {
  name: 'absorb-quant',
  summary: 'turn the QONNX quantizers of constant weights into quantization annotations',
  run,
};

/** The codes' meaning of a QONNX quantizer with scale s and zero point z (one channel). */
export function qonnxCodeQuant(n: Extract<Node, { op: 'Quant' | 'BipolarQuant' }>, s: number, z: number): CodeQuant {
  if (!(s > 0)) throw userError('E_QUANT', `node '${n.name}' (${n.op}): scale ${s} must be positive to have integer codes`);
  if (!Number.isInteger(z)) throw userError('E_QUANT', `node '${n.name}' (${n.op}): zero point ${z} is not an integer; adequate's codes need integer zero points`);
  if (n.op === 'BipolarQuant' || (n.attrs.bits === 1 && n.attrs.signed)) return { scale: s, zeroPoint: 0, bits: 2, scheme: 'signed', qmin: -1, qmax: 1 };
  const { qmin, qmax } = qonnxIntRange(n.attrs.bits, n.attrs.signed, n.attrs.narrow);
  if (n.attrs.bits > 16) throw userError('E_QUANT', `node '${n.name}' (Quant): ${n.attrs.bits}-bit codes; adequate holds codes of at most 16 bits`);
  return { scale: s, zeroPoint: z, bits: Math.max(2, n.attrs.bits), scheme: n.attrs.signed ? 'signed' : 'unsigned', qmin, qmax };
}

/** The axis a parameter tensor varies along (undefined: one value), or an error when it varies along several. */
function paramAxis(n: Node, p: Tensor, rank: number): number | undefined {
  if (sizeOf(p.shape) === 1) return undefined;
  const offset = rank - p.shape.length;
  const axes = p.shape.flatMap((d, i) => (d > 1 ? [i + offset] : []));
  if (axes.length !== 1) throw userError('E_QUANT', `node '${n.name}' (${n.op}): a scale or zero point of shape [${p.shape}] varies along several axes; only per-tensor or per-channel quantization has integer codes`);
  return axes[0]!;
}

function annotate(n: Extract<Node, { op: 'Quant' | 'BipolarQuant' }>, graph: Graph, info: ValueInfo): ValueInfo {
  const w = graph.constants.get(n.inputs[0]!)!;
  const s = graph.constants.get(n.inputs[1]!)!;
  const z = n.op === 'Quant' ? graph.constants.get(n.inputs[2]!)! : undefined;
  const axes = [paramAxis(n, s, w.shape.length), z ? paramAxis(n, z, w.shape.length) : undefined].filter((a) => a !== undefined);
  if (axes.length === 0) return { ...info, quant: qonnxCodeQuant(n, s.data[0]!, z ? z.data[0]! : 0) };
  const axis = axes[0]!;
  if (axes.some((a) => a !== axis)) throw userError('E_QUANT', `node '${n.name}' (${n.op}): scale and zero point vary along different axes`);
  const at = (p: Tensor | undefined, c: number) => (!p ? 0 : sizeOf(p.shape) === 1 ? p.data[0]! : p.data[c]!);
  return { ...info, axisQuant: { axis, params: Array.from({ length: w.shape[axis]! }, (_, c) => qonnxCodeQuant(n, at(s, c), at(z, c))) } };
}

function run(graph: Graph): PassResult {
  const isWeightQuant = (n: Node): n is Extract<Node, { op: 'Quant' | 'BipolarQuant' }> => (n.op === 'Quant' || n.op === 'BipolarQuant') && n.inputs.every((i) => graph.constants.has(i));
  if (!graph.nodes.some(isWeightQuant)) return { graph, stats: { weights: 0 } };
  const values = new Map(graph.values);
  const constants = new Map(graph.constants);
  let weights = 0;
  for (const n of graph.nodes) {
    if (!isWeightQuant(n)) continue;
    const out = n.outputs[0]!;
    constants.set(out, evalNode(n, n.inputs.map((i) => graph.constants.get(i)!), [values.get(out)!.shape])[0]!);
    values.set(out, annotate(n, graph, values.get(out)!));
    weights++;
  }
  const nodes = graph.nodes.filter((n) => !isWeightQuant(n));
  const used = new Set(nodes.flatMap((n) => [...n.inputs, ...n.outputs]));
  return {
    graph: {
      ...graph,
      nodes,
      values: new Map([...values].filter(([k]) => used.has(k) || graph.inputs.some((i) => i.name === k))),
      constants: new Map([...constants].filter(([k]) => used.has(k))),
    },
    stats: { weights },
  };
}
