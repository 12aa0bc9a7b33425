/** Absorb the QuantizeLinear/DequantizeLinear pairs of a QDQ model into quantization annotations.
 *  Why: a model quantized elsewhere keeps its own scales and zero points; `quantize` reads the annotations instead
 *  of calibrating those tensors. What: DequantizeLinear of constant codes (weights, int32 biases) folds to the float
 *  constant it means, annotated with the given parameters (per tensor or per axis); a QuantizeLinear -> DequantizeLinear
 *  pair on an activation disappears and annotates the activation. Assumes: parameters are constants (import checked). */
import { dequantizeLinear } from '../golden/quantize.js';
import type { CodeQuant, Graph, Node, QuantParams, ValueInfo } from '../ir/types.js';
import type { Pass, PassResult } from './pass.js';

export const absorbQdq: Pass = {
  name: 'absorb-qdq',
  summary: 'turn QuantizeLinear/DequantizeLinear pairs into quantization annotations',
  run,
};

function codeQuantOf(q: QuantParams, k: number): CodeQuant {
  const bits = q.dtype === 'int32' ? 32 : 8;
  const signed = q.dtype !== 'uint8';
  const [qmin, qmax] = q.qmin !== undefined && q.qmax !== undefined ? [q.qmin, q.qmax] : q.dtype === 'uint8' ? [0, 255] : q.dtype === 'int8' ? [-128, 127] : [-(2 ** 31), 2 ** 31 - 1];
  return { scale: q.scale[k]!, zeroPoint: q.zeroPoint[k]!, bits: Math.min(bits, 16), scheme: signed ? 'signed' : 'unsigned', qmin, qmax };
}

function run(graph: Graph): PassResult {
  if (!graph.nodes.some((n) => n.op === 'QuantizeLinear' || n.op === 'DequantizeLinear')) return { graph, stats: { weights: 0, activations: 0 } };
  const values = new Map(graph.values);
  const constants = new Map(graph.constants);
  const rename = new Map<string, string>();
  const consumers = new Map<string, Node[]>();
  for (const n of graph.nodes) for (const i of n.inputs) consumers.set(i, [...(consumers.get(i) ?? []), n]);
  const dropped = new Set<Node>();
  let weights = 0, activations = 0;
  for (const n of graph.nodes) {
    if (n.op === 'DequantizeLinear' && constants.has(n.inputs[0]!)) {
      const q = n.attrs.quant, out = n.outputs[0]!;
      constants.set(out, dequantizeLinear(q, constants.get(n.inputs[0]!)!));
      const info: ValueInfo = { ...values.get(out)! };
      const annotated: ValueInfo = q.dtype === 'int32' ? info : q.axis === undefined ? { ...info, quant: codeQuantOf(q, 0) } : { ...info, axisQuant: { axis: q.axis, params: q.scale.map((_, k) => codeQuantOf(q, k)) } };
      values.set(out, annotated);
      dropped.add(n);
      weights++;
    } else if (n.op === 'QuantizeLinear') {
      const next = consumers.get(n.outputs[0]!) ?? [];
      if (next.length === 0 || !next.every((d) => d.op === 'DequantizeLinear') || graph.outputs.includes(n.outputs[0]!)) continue;
      const x = n.inputs[0]!;
      values.set(x, { ...values.get(x)!, quant: codeQuantOf(n.attrs.quant, 0) });
      dropped.add(n);
      for (const d of next) {
        dropped.add(d);
        rename.set(d.outputs[0]!, x);
      }
      activations++;
    }
  }
  const r = (v: string) => rename.get(v) ?? v;
  const nodes = graph.nodes.filter((n) => !dropped.has(n)).map((n) => ({ ...n, inputs: n.inputs.map(r) }) as Node);
  // A graph output that was a DequantizeLinear result is now its source; keep the output's name with a copy.
  for (const o of graph.outputs)
    if (rename.has(o)) nodes.push({ name: `${o}.copy`, op: 'Reshape', attrs: { shape: [...values.get(o)!.shape] }, inputs: [r(o)], outputs: [o] });
  const used = new Set(nodes.flatMap((n) => [...n.inputs, ...n.outputs]));
  return {
    graph: {
      ...graph,
      nodes,
      values: new Map([...values].filter(([k]) => used.has(k) || graph.inputs.some((i) => i.name === k))),
      constants: new Map([...constants].filter(([k]) => used.has(k))),
    },
    stats: { weights, activations },
  };
}
