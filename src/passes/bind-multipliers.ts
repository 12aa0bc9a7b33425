/** Bind library multipliers to quantized layers, optionally with updated weights.
 *  Why: the approximate flow's result is an ordinary quantized IR whose QConv/QGemm layers name their multiplier
 *  (attribute `multiplier`), so eval, run and the emitters need nothing else.
 *  What: for each named layer, sets `multiplier` (or clears it for exact) and, when a weight map is given, replaces
 *  the weight codes w by map[w & 255] (a new constant; ir/arithmetic.md: corrections use the stored codes).
 *  Assumes: 8-bit weight codes on the bound layers (tables are 8x8). */
import { userError } from '../errors.js';
import type { Graph, Node, Tensor } from '../ir/types.js';
import { makeTensor } from '../ir/types.js';
import type { Pass, PassResult } from './pass.js';

export interface LayerBinding {
  /** Library id; undefined = exact multiplication. */
  readonly multiplier: string | undefined;
  /** Weight code map (index w & 255), from weightMap(); undefined = weights unchanged. */
  readonly weightMap?: Int32Array;
  /** Accelerator tile that runs the layer; undefined = not recorded. */
  readonly tile?: number;
}

export interface BindOptions {
  readonly layers: ReadonlyMap<string, LayerBinding>;
}

export const bindMultipliers: Pass<BindOptions> = {
  name: 'bind-multipliers',
  summary: 'bind library multipliers (and updated weights) to quantized layers',
  run: (graph, options) => run(graph, options ?? { layers: new Map() }),
};

function run(graph: Graph, { layers }: BindOptions): PassResult {
  const constants = new Map(graph.constants);
  const values = new Map(graph.values);
  let bound = 0, updated = 0;
  const nodes = graph.nodes.map((n): Node => {
    const b = layers.get(n.name);
    if (!b) return n;
    if (n.op !== 'QConv' && n.op !== 'QGemm') throw userError('E_DSE', `layer '${n.name}' (${n.op}) is not a quantized Conv/Gemm; a multiplier binds only to QConv and QGemm`);
    const { multiplier: _old, tile: _oldTile, ...rest } = n.attrs;
    void _old, _oldTile;
    let attrs = { ...rest, ...(b.multiplier !== undefined ? { multiplier: b.multiplier } : {}), ...(b.tile !== undefined ? { tile: b.tile } : {}) };
    // A shared layer's codebooks go through the same weight map, so every updated weight stays in its codebook; a
    // pruned zero that the map moves is no longer a zero.
    const sharing = n.attrs.sharing;
    if (b.weightMap && sharing) {
      const map = b.weightMap;
      const codebooks = sharing.codebooks.map((cb) => cb.map((c) => map[c & 255]!));
      const { pruned, ...kept } = sharing;
      const zeroKept = pruned !== undefined && sharing.codebooks.every((cb, g) => codebooks[g]![0] === cb[0]);
      attrs = { ...attrs, sharing: { ...kept, codebooks, ...(zeroKept ? { pruned } : {}) } };
    }
    let inputs = n.inputs;
    if (b.weightMap) {
      const w = constants.get(n.inputs[1]!)!;
      if (w.dtype === 'int32') throw userError('E_DSE', `layer '${n.name}' has weight codes wider than 8 bits; 8x8 multipliers cannot take them`);
      const w2: Tensor = makeTensor(w.dtype, w.shape);
      for (let i = 0; i < w.data.length; i++) w2.data[i] = b.weightMap[w.data[i]! & 255]!;
      const name = `${n.name}.wq.${b.multiplier ?? 'exact'}`;
      constants.set(name, w2);
      values.set(name, { name, dtype: w2.dtype, shape: w2.shape });
      inputs = [n.inputs[0]!, name, ...n.inputs.slice(2)];
      updated++;
    }
    bound++;
    return { ...n, attrs, inputs } as Node;
  });
  const used = new Set(nodes.flatMap((n) => n.inputs));
  return {
    graph: { ...graph, nodes, constants: new Map([...constants].filter(([k]) => used.has(k))), values: new Map([...values].filter(([k]) => used.has(k) || !constants.has(k))) },
    stats: { bound, updated },
  };
}

/** Whether some quantized conv/dense layer of `graph` names an approximate multiplier. */
export function bindsApproximateMultiplier(graph: Graph): boolean {
  return graph.nodes.some((n) => (n.op === 'QConv' || n.op === 'QGemm') && n.attrs.multiplier !== undefined);
}

/** The same graph with every multiplier exact, tiles and weights kept: the exact twin of an approximate design. */
export function withExactMultipliers(graph: Graph): Graph {
  const layers = new Map<string, LayerBinding>();
  for (const n of graph.nodes) if ((n.op === 'QConv' || n.op === 'QGemm') && n.attrs.multiplier !== undefined) layers.set(n.name, { multiplier: undefined, ...(n.attrs.tile !== undefined ? { tile: n.attrs.tile } : {}) });
  return bindMultipliers.run(graph, { layers }).graph;
}
