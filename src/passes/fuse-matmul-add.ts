/** MatMul by a constant matrix, and the constant bias Add after it, become one Gemm.
 *  Why: Keras, CNTK and hand-written PyTorch models export a dense layer as MatMul then Add (the bias); as a Gemm it
 *  is one layer with a bias, so a following BatchNormalization folds into it (fold-batchnorm) and a following
 *  ReLU/Clip into its saturation (quantize). Equal in real arithmetic.
 *  Assumes: x is 2-D [B, K] and the matrix a 2-D float constant [K, N]; the bias is a float constant of N values
 *  ([N] or [1, N]) added to the MatMul's output, which nothing else reads and which is no graph output. */
import type { Graph, Node, Tensor } from '../ir/types.js';
import { makeTensor } from '../ir/types.js';
import type { Pass, PassResult } from './pass.js';
import { rebuildGraph } from './rewrite.js';

export const fuseMatMulAdd: Pass = { name: 'fuse-matmul-add', summary: 'MatMul by a constant (+ constant bias Add) -> Gemm', run };

function run(graph: Graph): PassResult {
  const readers = new Map<string, Node[]>();
  for (const n of graph.nodes) for (const i of n.inputs) readers.set(i, [...(readers.get(i) ?? []), n]);
  const constants = new Map(graph.constants);
  const removed = new Set<Node>();
  const replaced = new Map<Node, Node>();
  let gemms = 0, biases = 0;
  for (const n of graph.nodes) {
    if (n.op !== 'MatMul') continue;
    const x = graph.values.get(n.inputs[0]!)!, w = constants.get(n.inputs[1]!);
    if (x.shape.length !== 2 || !w || w.dtype !== 'float32' || w.shape.length !== 2) continue;
    const N = w.shape[1]!;
    const next = readers.get(n.outputs[0]!) ?? [];
    const add = next.length === 1 && !graph.outputs.includes(n.outputs[0]!) ? next[0]! : undefined;
    const bias = add ? biasOf(add, n.outputs[0]!, N, constants) : undefined;
    const attrs = { alpha: 1, beta: 1, transA: false, transB: false };
    if (add && bias) {
      const name = `${n.name}.bias`;
      constants.set(name, bias);
      replaced.set(n, { name: n.name, op: 'Gemm', attrs, inputs: [n.inputs[0]!, n.inputs[1]!, name], outputs: add.outputs });
      removed.add(add);
      biases++;
    } else replaced.set(n, { name: n.name, op: 'Gemm', attrs, inputs: [...n.inputs], outputs: [...n.outputs] });
    gemms++;
  }
  if (gemms === 0) return { graph, stats: { gemms: 0, biases: 0 } };
  const nodes = graph.nodes.filter((n) => !removed.has(n)).map((n) => replaced.get(n) ?? n);
  return { graph: rebuildGraph(graph, nodes, constants), stats: { gemms, biases } };
}

/** The bias vector of an Add that adds a float constant of N values (shape [N] or [1, N]) to `y`. */
function biasOf(add: Node, y: string, N: number, constants: ReadonlyMap<string, Tensor>): Tensor | undefined {
  if (add.op !== 'Add' || add.inputs.length !== 2) return undefined;
  const other = add.inputs[0] === y ? add.inputs[1]! : add.inputs[0]!;
  const c = constants.get(other);
  if (!c || c.dtype !== 'float32' || c.data.length !== N || c.shape.length > 2 || (c.shape.length === 2 && c.shape[0] !== 1)) return undefined;
  return makeTensor('float32', [N], Float32Array.from(c.data));
}
