/** The importer's last step: graph outputs keep their ONNX names even when an Identity/Dropout was removed in
 *  front of them, and nodes and constants that no output depends on are dropped. */
import type { Graph, GraphSource, Node, Tensor, ValueInfo } from '../ir/types.js';

export interface RawGraph {
  readonly name: string;
  readonly source: GraphSource;
  readonly inputs: readonly ValueInfo[];
  readonly outputs: readonly string[];
  readonly values: Map<string, ValueInfo>;
  readonly constants: Map<string, Tensor>;
  readonly nodes: readonly Node[];
  readonly aliases: ReadonlyMap<string, string>;
}

export function finishGraph(raw: RawGraph): Graph {
  let nodes = [...raw.nodes];
  const values = raw.values;
  const inputNames = new Set(raw.inputs.map((i) => i.name));
  const outputs = raw.outputs;
  const renamedFrom = new Map<string, string>();
  for (const out of outputs) {
    const src = raw.aliases.get(out);
    if (src === undefined || src === out) continue;
    const producer = nodes.findIndex((n) => n.outputs.includes(src));
    const sharable = producer >= 0 && !outputs.includes(src) && !renamedFrom.has(src);
    if (sharable) {
      // Rename the producer's output to the ONNX output name everywhere.
      renamedFrom.set(src, out);
      nodes = nodes.map((n) => renameIn(n, src, out));
      values.set(out, { ...values.get(src)!, name: out });
    } else if (raw.constants.has(src) && !inputNames.has(src)) {
      raw.constants.set(out, raw.constants.get(src)!);
      values.set(out, { ...values.get(src)!, name: out });
    } else {
      // An input or another output: copy it with a shape-preserving Reshape.
      const info = values.get(src)!;
      nodes.push({ name: `${out}.copy`, op: 'Reshape', attrs: { shape: [...info.shape] }, inputs: [src], outputs: [out] });
      values.set(out, { ...info, name: out });
    }
  }
  // Keep only what the outputs need.
  const live = new Set<string>(outputs);
  const kept: Node[] = [];
  for (let k = nodes.length - 1; k >= 0; k--) {
    const n = nodes[k]!;
    if (!n.outputs.some((o) => live.has(o))) continue;
    kept.unshift(n);
    for (const i of n.inputs) live.add(i);
  }
  const constants = new Map([...raw.constants].filter(([n]) => live.has(n)));
  for (const i of inputNames) live.add(i);
  for (const n of kept) for (const o of n.outputs) live.add(o);
  return {
    name: raw.name,
    source: raw.source,
    inputs: raw.inputs,
    outputs,
    values: new Map([...values].filter(([n]) => live.has(n))),
    constants,
    nodes: kept,
  };
}

function renameIn(n: Node, from: string, to: string): Node {
  const r = (s: string) => (s === from ? to : s);
  return { ...n, inputs: n.inputs.map(r), outputs: n.outputs.map(r) } as Node;
}
