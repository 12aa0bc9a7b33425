/** A zero Pad over the spatial axes only, read only by convolutions (as their data input) or average pools that count
 *  padding, becomes part of their own `pads`.
 *  Why: Keras/TensorFlow exports write 'same' padding of strided layers as an explicit Pad before a Conv with 'valid'
 *  padding; as a separate op it has no hardware step, and merged it is what the layer's own padding computes: zeros
 *  at the padded positions (the activation zero point once quantized), with the same output shape (a window layer's
 *  output size depends only on the padded extent).
 *  Assumes: pads >= 0, nothing on the batch and channel axes, value 0; an AveragePool with count_include_pad = 0
 *  would stop counting the Pad's zeros, so it is not merged; nor is any Pad that a graph output or another op reads. */
import type { AveragePoolNode, ConvNode, Graph, Node, PadNode } from '../ir/types.js';
import type { Pass, PassResult } from './pass.js';
import { rebuildGraph } from './rewrite.js';

export const fusePad: Pass = { name: 'fuse-pad', summary: 'zero spatial Pad -> the pads of the Conv/AveragePool reading it', run };

type Window = ConvNode | AveragePoolNode;

function run(graph: Graph): PassResult {
  const readers = new Map<string, Node[]>();
  for (const n of graph.nodes) for (const i of n.inputs) readers.set(i, [...(readers.get(i) ?? []), n]);
  const removed = new Set<Node>();
  const replaced = new Map<Node, Node>();
  for (const n of graph.nodes) {
    if (n.op !== 'Pad' || !isSpatialZeroPad(n) || graph.outputs.includes(n.outputs[0]!)) continue;
    const users = readers.get(n.outputs[0]!) ?? [];
    if (users.length === 0 || !users.every((u) => takesPad(u, n.outputs[0]!) && !replaced.has(u))) continue;
    removed.add(n);
    for (const u of users as Window[]) replaced.set(u, merged(u, n));
  }
  if (removed.size === 0) return { graph, stats: { fused: 0 } };
  const nodes = graph.nodes.filter((n) => !removed.has(n)).map((n) => replaced.get(n) ?? n);
  return { graph: rebuildGraph(graph, nodes, graph.constants), stats: { fused: removed.size } };
}

/** Value 0, no negative pad (a crop), nothing on axes 0 and 1 (batch, channels), something on a spatial axis. */
function isSpatialZeroPad(n: PadNode): boolean {
  const { pads, value } = n.attrs, r = pads.length / 2;
  return value === 0 && r > 2 && pads.every((p) => p >= 0) && pads[0] === 0 && pads[1] === 0 && pads[r] === 0 && pads[r + 1] === 0;
}

function takesPad(u: Node, padded: string): boolean {
  if (u.op === 'Conv') return u.inputs[0] === padded && u.inputs.slice(1).every((i) => i !== padded);
  return u.op === 'AveragePool' && u.attrs.countIncludePad;
}

/** The window layer with the Pad's spatial pads added to its own (ONNX order: every axis's begin, then every end). */
function merged(u: Window, pad: PadNode): Window {
  const r = pad.attrs.pads.length / 2, s = r - 2;
  const pads = u.attrs.pads.map((p, i) => p + (i < s ? pad.attrs.pads[2 + i]! : pad.attrs.pads[r + 2 + i - s]!));
  return { ...u, inputs: [pad.inputs[0]!, ...u.inputs.slice(1)], attrs: { ...u.attrs, pads } } as Window;
}
