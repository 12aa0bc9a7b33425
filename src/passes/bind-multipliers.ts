/** Bind library multipliers to quantized layers, optionally with updated weights and corrected biases.
 *  Why: the approximate flow's result is an ordinary quantized IR whose QConv/QGemm layers name their multiplier
 *  (attribute `multiplier`), so eval, run and the emitters need nothing else.
 *  What: for each named layer, sets `multiplier` (or clears it for exact) and, when a weight map is given, replaces
 *  the weight codes w by map[w & 255] (a new constant; ir/arithmetic.md: corrections use the stored codes); when
 *  product errors are given, lowers each output channel's bias by its expected accumulator error (a new constant).
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
  /** Bias correction: the expected product error per original weight code (index w & 255), from
   *  meanProductError(); each output channel's bias is lowered by the rounded sum of its weights' errors (and the
   *  zero-point term of the updated codes). Undefined = bias unchanged. */
  readonly productError?: Float64Array;
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
  let bound = 0, updated = 0, biasCorrected = 0;
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
    const w = constants.get(n.inputs[1]!)!;
    if ((b.weightMap || b.productError) && w.dtype === 'int32') throw userError('E_DSE', `layer '${n.name}' has weight codes wider than 8 bits; 8x8 multipliers cannot take them`);
    let stored = w;
    if (b.weightMap) {
      stored = makeTensor(w.dtype, w.shape);
      for (let i = 0; i < w.data.length; i++) stored.data[i] = b.weightMap[w.data[i]! & 255]!;
      const name = `${n.name}.wq.${b.multiplier ?? 'exact'}`;
      constants.set(name, stored);
      values.set(name, { name, dtype: stored.dtype, shape: stored.shape });
      inputs = [n.inputs[0]!, name, ...n.inputs.slice(2)];
      updated++;
    }
    if (b.productError) {
      // A layer without a bias gets one (zeros, int32 [M]) to hold the correction.
      const bias = (n.inputs[2] !== undefined ? constants.get(n.inputs[2]) : undefined) ?? makeTensor('int32', [w.shape[0]!]);
      const corrected = correctedBias(bias, w, stored, b.productError, n.attrs.aZeroPoint);
      const name = `${n.name}.bias.${b.multiplier ?? 'exact'}`;
      constants.set(name, corrected);
      values.set(name, { name, dtype: corrected.dtype, shape: corrected.shape });
      inputs = [inputs[0]!, inputs[1]!, name, ...inputs.slice(3)];
      biasCorrected++;
    }
    bound++;
    return { ...n, attrs, inputs } as Node;
  });
  const used = new Set(nodes.flatMap((n) => n.inputs));
  return {
    graph: { ...graph, nodes, constants: new Map([...constants].filter(([k]) => used.has(k))), values: new Map([...values].filter(([k]) => used.has(k) || !constants.has(k))) },
    stats: { bound, updated, biasCorrected },
  };
}

/** bias[m] - round(sum_k (err[w_mk] - za * (w'_mk - w_mk))): the accumulator of ir/arithmetic.md 2 computes
 *  sum M(a, w') - za * sum w' (the corrections use the stored codes w'), where the exact layer computes
 *  sum a * w - za * sum w; `err` is the expected product error, so the sum is the expected accumulator error. */
function correctedBias(bias: Tensor, original: Tensor, stored: Tensor, err: Float64Array, za: number): Tensor {
  const M = bias.data.length, K = original.data.length / M;
  const out = makeTensor(bias.dtype, bias.shape);
  for (let m = 0; m < M; m++) {
    let e = 0;
    for (let k = m * K; k < (m + 1) * K; k++) e += err[original.data[k]! & 255]! - za * (stored.data[k]! - original.data[k]!);
    out.data[m] = Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, bias.data[m]! - Math.round(e)));
  }
  return out;
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
