/** What an exploration starts from: the candidate multipliers and, per layer, its MACs, the histogram of its input
 *  codes (for histogram-weighted weight updates) and its weight code range. */
import { userError } from '../../errors.js';
import { runGraph } from '../../golden/evaluate.js';
import { rebatch } from '../../ir/rebatch.js';
import { macsOf } from '../../ir/stats.js';
import type { Graph, Tensor } from '../../ir/types.js';
import { makeTensor, sizeOf } from '../../ir/types.js';
import { builtinLibrary, loadLibrary, type Multiplier } from '../../multipliers/index.js';
import { requireLibraryDir } from '../../multipliers/store.js';
import type { Candidate, LayerInfo } from './explore.js';

/** The library's multipliers of the IR's signedness with a known power, the exact one first. `spec`: builtin,
 *  evoapprox, generated (built-in subsets), or a library folder. */
export function libraryCandidates(spec: string, signed: boolean): Candidate[] {
  let all: readonly Multiplier[];
  if (spec === 'builtin') all = builtinLibrary();
  else if (spec === 'evoapprox' || spec === 'generated') all = builtinLibrary().filter((m) => m.source.kind === spec || m.source.kind === 'exact');
  else all = loadLibrary(requireLibraryDir(spec));
  const fit = all.filter((m) => m.signed === signed && m.relativePower !== null);
  const exact = fit.find((m) => m.source.kind === 'exact');
  const rest = fit.filter((m) => m !== exact && m.source.kind !== 'exact');
  if (!exact || rest.length === 0)
    throw userError('E_DSE', `the library '${spec}' has no ${signed ? 'signed' : 'unsigned'} approximate multiplier with a known power; the quantized IR needs ${signed ? 'mul8s_*' : 'mul8u_*'}-style multipliers (quantize with --scheme ${signed ? 'unsigned' : 'signed'} to use the other kind)`);
  return [exact, ...rest].map((m) => ({ id: m.id, signed: m.signed, relativePower: m.relativePower!, table: m.table }));
}

/** MACs, input-code histograms (from the exact quantized graph on the calibration samples) and weight ranges. */
export function layerInfo(graph: Graph, names: readonly string[], calib: Tensor): LayerInfo[] {
  const hist = new Map(names.map((n) => [n, new Float64Array(256)]));
  const inputOf = new Map(graph.nodes.filter((n) => names.includes(n.name)).map((n) => [n.name, n.inputs[0]!]));
  const count = Math.min(calib.shape[0]!, 200);
  const g = rebatch(graph, count) ?? graph;
  const B = g.inputs[0]!.shape[0]!, per = sizeOf(g.inputs[0]!.shape.slice(1));
  for (let s = 0; s + B <= count; s += B) {
    const x = makeTensor('float32', g.inputs[0]!.shape, (calib.data as Float32Array).slice(s * per, (s + B) * per));
    const env = runGraph(g, new Map([[g.inputs[0]!.name, x]]));
    for (const [layer, v] of inputOf) {
      const h = hist.get(layer)!;
      for (const c of env.get(v)!.data) h[c & 255]!++;
    }
  }
  return names.map((name) => {
    const node = graph.nodes.find((n) => n.name === name)!;
    const w = graph.constants.get(node.inputs[1]!)!;
    let lo = Infinity, hi = -Infinity;
    for (const v of w.data) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
    const signed = w.dtype === 'int8';
    return { name, macs: macsOf(node, graph), histogram: hist.get(name)!, weightRange: signed ? [-127, 127] : [0, 255] };
  });
}

