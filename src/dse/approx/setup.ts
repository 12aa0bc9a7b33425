/** What an exploration starts from: the candidate multipliers and, per layer, its MACs, the histogram of its input
 *  codes (for histogram-weighted weight updates) and its weight code range. */
import { userError } from '../../errors.js';
import { runGraph } from '../../golden/evaluate.js';
import { rebatch } from '../../ir/rebatch.js';
import { macsOf } from '../../ir/stats.js';
import type { Graph, Tensor } from '../../ir/types.js';
import { makeTensor, sizeOf } from '../../ir/types.js';
import { builtinLibrary, loadLibrary, saveMultiplier, type Multiplier } from '../../multipliers/index.js';
import { requireLibraryDir } from '../../multipliers/store.js';
import { synthCosts } from '../../multipliers/yosys.js';
import type { Candidate, LayerInfo } from './explore.js';

/** What the search minimises per multiplication, relative to the exact multiplier of the same signedness:
 *  `power`: published 45 nm power, else the switching-activity estimate (docs/multipliers.md); `luts`: the xc7 LUT
 *  count of the multiplier's netlist (Yosys synth_xilinx steps, no DSP: the LUTs an approximate multiplier costs
 *  where an exact one would otherwise sit in a DSP); `cells`: generic-gate synthesis weighed by transistors (Yosys
 *  `stat -tech cmos`). */
export type MultiplierCost = 'power' | 'luts' | 'cells';

/** The library's multipliers of the IR's signedness with a known cost, the exact one first. `spec`: builtin,
 *  evoapprox, generated (built-in subsets), or a library folder. For `luts` and `cells`, the multipliers' Yosys
 *  figures: built-ins carry them (multipliers/synth.json); a library folder's multipliers without them are
 *  synthesized once and the figures saved in their records, so no search synthesizes a multiplier twice. */
export async function libraryCandidates(spec: string, signed: boolean, cost: MultiplierCost = 'power'): Promise<Candidate[]> {
  const ms = await withCostFigures(libraryMultipliers(spec, signed), spec, cost);
  const exact = ms[0]!;
  const relative = (m: Multiplier): number =>
    cost === 'power' ? m.relativePower! : cost === 'luts' ? m.synth!.luts / exact.synth!.luts : m.synth!.transistors / exact.synth!.transistors;
  return ms.map((m) => ({ id: m.id, signed: m.signed, relativePower: relative(m), table: m.table }));
}

/** The multipliers a search may use: the IR's signedness, a known power, and a gate netlist (the hardware the power
 *  describes; a table-only multiplier would be emitted as a product-table ROM); the exact one first. */
function libraryMultipliers(spec: string, signed: boolean): Multiplier[] {
  let all: readonly Multiplier[];
  if (spec === 'builtin') all = builtinLibrary();
  else if (spec === 'evoapprox' || spec === 'generated') all = builtinLibrary().filter((m) => m.source.kind === spec || m.source.kind === 'exact');
  else all = loadLibrary(requireLibraryDir(spec));
  const fit = all.filter((m) => m.signed === signed && m.relativePower !== null && (m.netlist !== undefined || m.powerSource === 'given'));
  const exact = fit.find((m) => m.source.kind === 'exact');
  const rest = fit.filter((m) => m !== exact && m.source.kind !== 'exact');
  if (!exact || rest.length === 0)
    throw userError('E_DSE', `the library '${spec}' has no ${signed ? 'signed' : 'unsigned'} approximate multiplier with a known power; the quantized IR needs ${signed ? 'mul8s_*' : 'mul8u_*'}-style multipliers (quantize with --scheme ${signed ? 'unsigned' : 'signed'} to use the other kind)`);
  return [exact, ...rest];
}

async function withCostFigures(ms: Multiplier[], spec: string, cost: MultiplierCost): Promise<Multiplier[]> {
  if (cost === 'power') return ms;
  const noNetlist = ms.find((m) => m.verilog === undefined);
  if (noNetlist) throw userError('E_DSE', `--cost ${cost} needs every multiplier's netlist, and '${noNetlist.id}' has only a table; use --cost power or remove it from the library`);
  const missing = ms.filter((m) => !m.synth);
  if (missing.length === 0) return ms;
  const figures = await synthCosts(missing.map((m) => ({ verilog: m.verilog!, moduleName: m.moduleName! })));
  const measured = new Map(missing.map((m, i) => [m.id, { ...m, synth: figures[i]! }]));
  const isFolder = spec !== 'builtin' && spec !== 'evoapprox' && spec !== 'generated';
  const folderIds = isFolder ? new Set(loadLibrary(spec).filter((m) => !builtinLibrary().includes(m)).map((m) => m.id)) : new Set<string>();
  for (const m of measured.values()) if (folderIds.has(m.id)) await saveMultiplier(spec, m);
  return ms.map((m) => measured.get(m.id) ?? m);
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

