/** The graph a rewriting pass produces: its new node list and constants, with every value entry kept consistent.
 *  Why one helper: a pass that adds a constant (folded weights) must also add its value entry, or the saved IR
 *  cannot be read back and shape-based figures (MACs) read an empty shape; doing that in one place keeps every
 *  pass right. Entries of node outputs come from `newValues` (new tensors) or the old graph; entries of constants
 *  from their tensors; anything no node reads or writes (and no graph input or output) is dropped. */
import type { Graph, Node, Tensor, ValueInfo } from '../ir/types.js';

export function rebuildGraph(graph: Graph, nodes: readonly Node[], constants: ReadonlyMap<string, Tensor>, newValues: readonly ValueInfo[] = []): Graph {
  const used = new Set<string>([...graph.outputs, ...graph.inputs.map((i) => i.name)]);
  for (const n of nodes) for (const v of [...n.inputs, ...n.outputs]) used.add(v);
  const values = new Map<string, ValueInfo>();
  for (const [name, v] of graph.values) if (used.has(name) && !constants.has(name)) values.set(name, v);
  for (const v of newValues) values.set(v.name, v);
  const kept = new Map<string, Tensor>();
  for (const [name, t] of constants) {
    if (!used.has(name)) continue;
    kept.set(name, t);
    values.set(name, { ...(graph.values.get(name) ?? {}), name, dtype: t.dtype, shape: t.shape });
  }
  return { ...graph, nodes, constants: kept, values };
}
