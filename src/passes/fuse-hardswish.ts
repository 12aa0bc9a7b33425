/** x * HardSigmoid(x) with HardSwish's line (alpha 1/6, beta 1/2) becomes one HardSwish.
 *  Why: PyTorch exports nn.Hardswish below opset 14 as HardSigmoid then Mul (every MobileNetV3); as one activation
 *  it quantizes to a single table lookup instead of a table plus a product of two tensors, and is exact in float
 *  (HardSwish(x) = x * max(0, min(1, x/6 + 1/2)) by definition).
 *  Assumes: the HardSigmoid reads the same tensor the Mul multiplies, and nothing else reads the HardSigmoid. */
import type { Graph, Node, UnaryNode } from '../ir/types.js';
import type { Pass, PassResult } from './pass.js';
import { rebuildGraph } from './rewrite.js';

export const fuseHardSwish: Pass = { name: 'fuse-hardswish', summary: 'x * HardSigmoid(x) -> HardSwish', run };

function run(graph: Graph): PassResult {
  const readers = new Map<string, number>();
  for (const n of graph.nodes) for (const i of n.inputs) readers.set(i, (readers.get(i) ?? 0) + 1);
  const producer = new Map<string, Node>();
  for (const n of graph.nodes) for (const o of n.outputs) producer.set(o, n);
  const removed = new Set<Node>();
  const replaced = new Map<Node, Node>();
  for (const n of graph.nodes) {
    if (n.op !== 'Mul') continue;
    for (const k of [0, 1]) {
      const hs = producer.get(n.inputs[k]!), x = n.inputs[1 - k]!;
      if (!hs || hs.op !== 'HardSigmoid' || hs.inputs[0] !== x || !isHardSwishLine(hs) || readers.get(hs.outputs[0]!) !== 1 || graph.outputs.includes(hs.outputs[0]!)) continue;
      removed.add(hs);
      replaced.set(n, { name: n.name, op: 'HardSwish', attrs: {}, inputs: [x], outputs: [...n.outputs] });
      break;
    }
  }
  if (replaced.size === 0) return { graph, stats: { fused: 0 } };
  const nodes = graph.nodes.filter((n) => !removed.has(n)).map((n) => replaced.get(n) ?? n);
  return { graph: rebuildGraph(graph, nodes, graph.constants), stats: { fused: replaced.size } };
}

/** alpha = 1/6 and beta = 1/2 as float32 attributes hold them. */
function isHardSwishLine(n: UnaryNode): boolean {
  return Math.fround(n.attrs.alpha ?? 0.2) === Math.fround(1 / 6) && Math.fround(n.attrs.beta ?? 0.5) === 0.5;
}
