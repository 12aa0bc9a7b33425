/** The same graph for another batch size: every shape re-inferred from inputs whose first dimension is `batch`, and
 *  each Reshape whose target starts with the old batch size retargeted. Returns undefined when the graph does not
 *  follow the batch-first convention (a shape that stops fitting), so callers fall back to one sample at a time. */
import { isUserError } from '../errors.js';
import { inferOutputs } from './shapes.js';
import type { Graph, Node, ValueInfo } from './types.js';

export function rebatch(graph: Graph, batch: number): Graph | undefined {
  const old = graph.inputs[0]?.shape[0];
  if (old === undefined || graph.inputs.some((i) => i.shape[0] !== old)) return undefined;
  if (batch === old) return graph;
  const values = new Map(graph.values);
  const inputs = graph.inputs.map((i) => ({ ...i, shape: [batch, ...i.shape.slice(1)] }));
  for (const i of inputs) values.set(i.name, { ...values.get(i.name)!, shape: i.shape });
  const nodes: Node[] = [];
  try {
    for (const n of graph.nodes) {
      const node = n.op === 'Reshape' && n.attrs.shape[0] === old ? ({ ...n, attrs: { shape: [batch, ...n.attrs.shape.slice(1)] } } as Node) : n;
      const outs = inferOutputs(node, node.inputs.map((i) => values.get(i)!));
      node.outputs.forEach((o, k) => {
        const before: ValueInfo = graph.values.get(o)!;
        if (before.shape[0] !== old) throw new Error('not batch-first');
        values.set(o, { ...before, shape: outs[k]!.shape });
      });
      nodes.push(node);
    }
  } catch (e) {
    if (isUserError(e) || e instanceof Error) return undefined;
    throw e;
  }
  return { ...graph, inputs, nodes, values };
}
