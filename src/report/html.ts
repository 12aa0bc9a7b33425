/** OUT/report.html: one self-contained page (no network, no scripts) from the stage records of `adequate compile`:
 *  the layers, the accuracy ladder, the Pareto fronts, energy and resources, verification, and the commands that
 *  rerun each stage. It holds no timings, so the same inputs give the same bytes. */
import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import Handlebars from 'handlebars';
import { loadIr } from '../ir/serialize.js';
import { layerStats } from '../ir/stats.js';
import type { Graph, Node } from '../ir/types.js';
import { formatShape } from '../ir/types.js';
import { packagePath } from '../paths.js';
import type { StageRecord } from '../flow/run.js';

type Json = Record<string, unknown>;

export const REPORT_FILE = 'report.html';

export async function writeReport(out: string, model: string, configFile: string | undefined, records: readonly StageRecord[]): Promise<string> {
  const html = renderReport(out, model, configFile, records);
  const file = join(out, REPORT_FILE);
  writeFileSync(file + '.tmp', html);
  renameSync(file + '.tmp', file);
  return file;
}

export function renderReport(out: string, model: string, configFile: string | undefined, records: readonly StageRecord[]): string {
  const template = Handlebars.compile(readFileSync(packagePath('templates', 'report', 'report.html.hbs'), 'utf8'), { strict: false });
  return template(reportView(out, model, configFile, records));
}

const byStage = (records: readonly StageRecord[], id: string) => records.find((r) => r.stage === id);
const result = (r: StageRecord | undefined, i = 0): Json | undefined => (r?.results[i] ?? undefined) as Json | undefined;
const pct = (v: unknown) => (typeof v === 'number' ? `${(100 * v).toFixed(2)} %` : '-');

function reportView(out: string, model: string, configFile: string | undefined, records: readonly StageRecord[]) {
  const irStage = ['approx', 'share', 'quantize', 'import'].map((id) => byStage(records, id)).find((r) => r !== undefined);
  const graph = irStage ? loadIr(join(out, irStage.folder)) : undefined;
  const rtl = result(byStage(records, 'rtl'));
  const csim = result(byStage(records, 'csim'));
  const approx = result(byStage(records, 'approx'));
  const synth = result(byStage(records, 'synth'));
  return {
    title: `adequate report: ${basename(model, '.onnx') === 'model' ? basename(join(model, '..')) : basename(model, '.onnx')}`,
    model,
    configFile: configFile ?? '(none: defaults and the model\'s dataset.json)',
    finalIr: irStage ? join(out, irStage.folder) : '-',
    layers: graph ? layerRows(graph, rtl) : [],
    ladder: accuracyLadder(records),
    fronts: records.flatMap((r) => svgsOf(join(out, r.folder)).map((svg) => ({ stage: r.folder, svg }))),
    energy: approx ? energyRows(approx) : [],
    resources: synth ? resourceTable(synth) : undefined,
    twin: exactTwinRows(records),
    twinSkipped: exactTwinSkipped(records),
    verification: verificationRows(records),
    verified: verificationRows(records).every((v) => v.mismatches === '0') && (rtl ? (rtl.cycle_mismatches ?? 0) === 0 : true),
    anyVerification: verificationRows(records).length > 0,
    stages: records.map((r) => ({ folder: r.folder, title: r.title, ok: r.exitCode === 0, commands: r.commands.map((argv) => `adequate ${argv.map(shellQuote).join(' ')}`) })),
  };
}

/** One row per verification stage that ran (also printed by `adequate compile`). */
export function verificationRows(records: readonly StageRecord[]) {
  const csim = result(byStage(records, 'csim'));
  const rtl = result(byStage(records, 'rtl'));
  const wlCsim = result(byStage(records, 'wordlength'), 2);
  return [
    ...(wlCsim ? [{ what: 'word-length C simulation (g++)', count: String(wlCsim.count), mismatches: String(wlCsim.mismatches), extra: `top-1 ${pct(wlCsim.top1)}` }] : []),
    ...(csim ? [{ what: 'C simulation (g++)', count: String(csim.count), mismatches: String(csim.mismatches), extra: `top-1 ${pct(csim.top1)}` }] : []),
    ...(rtl ? [{ what: 'RTL (Verilator)', count: String(rtl.count), mismatches: String(rtl.mismatches), extra: `cycle mismatches ${String(rtl.cycle_mismatches ?? '-')}, ${cyclesText(rtl)}, top-1 ${pct(rtl.top1)}` }] : []),
  ];
}

function cyclesText(rtl: Json): string {
  const c = rtl.cycles, p = rtl.predicted_cycles;
  const first = (v: unknown) => (Array.isArray(v) ? v[0] : v);
  return `${String(first(c) ?? '-')} cycles per inference (model ${String(first(p) ?? '-')})`;
}

function layerRows(graph: Graph, rtl: Json | undefined) {
  const cycles = new Map<string, unknown>();
  const rtlLayers = rtl?.layers;
  if (Array.isArray(rtlLayers)) for (const l of rtlLayers as Json[]) cycles.set(String(l.name ?? l.layer), l.cycles ?? l.predicted_cycles);
  const nodes = new Map(graph.nodes.map((n) => [n.name, n]));
  return layerStats(graph).map((s) => {
    const n = nodes.get(s.name)!;
    return {
      name: s.name,
      op: s.op,
      input: s.inputShapes.map(formatShape).join(', '),
      output: formatShape(s.outputShape),
      macs: s.macs ? s.macs.toLocaleString('en-US') : '',
      format: formatOf(n, graph),
      multiplier: 'multiplier' in n.attrs ? String(n.attrs.multiplier) : n.op === 'QConv' || n.op === 'QGemm' ? 'exact' : '',
      tile: 'tile' in n.attrs ? String(n.attrs.tile) : '',
      cycles: cycles.has(s.name) ? String(cycles.get(s.name)) : '',
    };
  });
}

function formatOf(n: Node, graph: Graph): string {
  if (n.op === 'QConv' || n.op === 'QGemm') {
    const a = graph.values.get(n.inputs[0]!)?.dtype, o = graph.values.get(n.outputs[0]!)?.dtype;
    return `${a} x w${n.attrs.wBits} -> ${o}, acc ${n.attrs.accBits} b`;
  }
  const formats = (n.attrs as { formats?: unknown }).formats;
  if (formats && typeof formats === 'object') return Object.entries(formats as Json).map(([k, f]) => `${k} ${formatName(f as Json)}`).join(', ');
  return graph.values.get(n.outputs[0]!)?.dtype ?? '';
}

function formatName(f: Json): string {
  if (f.kind === 'fixed') return `fixed<${String(f.width)},${String(f.intBits)}>`;
  if (f.kind === 'float') return `float<${String(f.exp)},${String(f.mant)}>`;
  return JSON.stringify(f);
}

/** Top-1 at each step of the flow that measured it (also printed by `adequate compile`). */
export function accuracyLadder(records: readonly StageRecord[]) {
  const rows: { step: string; top1: string; count: string; source: string }[] = [];
  const add = (step: string, r: Json | undefined, key: string, countKey: string, source: string) => {
    if (r && typeof r[key] === 'number') rows.push({ step, top1: pct(r[key]), count: String(r[countKey] ?? '-'), source });
  };
  const q = result(byStage(records, 'quantize'))?.accuracy as Json | undefined;
  add('float (golden model)', q, 'float_top1', 'count', '2-quantize, held-out images');
  add('quantized (integer golden model)', q, 'quantized_top1', 'count', '2-quantize, held-out images');
  add('weight sharing', result(byStage(records, 'share'), 1), 'top1', 'count', '3-share eval');
  const wlRecord = byStage(records, 'wordlength');
  const wl = result(wlRecord);
  const wlHeld = wl?.heldout as Json | undefined;
  if (wl)
    add(`word-length (${String(wl.kind ?? '')})`, wlHeld && typeof wlHeld.tuned_top1 === 'number' ? { top1: wlHeld.tuned_top1, count: wlHeld.count } : { top1: wl.tuned_top1, count: wl.tuning_images }, 'top1', 'count',
      wlHeld && typeof wlHeld.tuned_top1 === 'number' ? `${wlRecord!.folder}, held-out images (float: ${pct(wlHeld.float_top1)} on the same)` : `${wlRecord!.folder}, tuning images`);
  add('word-length C simulation (measured)', result(wlRecord, 2), 'top1', 'count', `${wlRecord?.folder ?? ''}/hls, the first test images`);
  const ax = result(byStage(records, 'approx'));
  const held = ((ax?.chosen as Json | undefined)?.heldout ?? {}) as Json;
  if (ax && ax.approximated !== false) add('approximate multipliers', typeof held.chosen === 'number' ? { top1: held.chosen, count: held.count } : { top1: (ax.chosen as Json).top1, count: ax.evaluation_images }, 'top1', 'count', typeof held.chosen === 'number' ? `5-approx, held-out images${typeof held.exact === 'number' ? ` (exact multipliers: ${pct(held.exact)} on the same)` : ''}` : '5-approx, search images');
  add('C simulation (measured)', result(byStage(records, 'csim')), 'top1', 'count', '7-csim, the first test images');
  add('RTL in Verilator (measured)', result(byStage(records, 'rtl')), 'top1', 'count', '9-rtl, the first test images');
  return rows;
}

function energyRows(approx: Json) {
  // No layer was eligible (approx passed the exact design through): say why instead of an energy.
  if (approx.approximated === false) return [{ what: 'approximate multipliers', value: `none: ${String(approx.reason)}` }];
  const chosen = approx.chosen as Json;
  const tiles = (chosen.tiles as string[]) ?? [];
  return [
    { what: 'relative multiplier energy (exact = 1)', value: typeof chosen.relative_energy === 'number' ? chosen.relative_energy.toFixed(3) : '-' },
    { what: 'saved', value: typeof chosen.relative_energy === 'number' ? `${(100 * (1 - chosen.relative_energy)).toFixed(1)} %` : '-' },
    { what: 'tile multipliers', value: tiles.join(', ') },
    { what: 'designs evaluated', value: String(approx.evaluations ?? '-') },
  ];
}

/** The chosen design next to its exact twin (the same accelerator with exact multipliers, built by the synth stage):
 *  relative multiplier energy by the model and the measured synth_xilinx totals, with DSPs and without (an exact
 *  multiplier sits in a DSP48 on FPGA, an approximate netlist in LUTs, so only the DSP-free rows compare LUT for LUT).
 *  Empty when the stage did not build the twin. Also printed by `adequate compile`. */
export function exactTwinRows(records: readonly StageRecord[]): { build: string; energy: string; dsp: string; luts: string; ffs: string; dsps: string; brams: string }[] {
  const stage = byStage(records, 'synth');
  if (!stage || stage.results.length < 5) return [];
  const approx = result(byStage(records, 'approx'));
  const energy = (approx?.chosen as Json | undefined)?.relative_energy;
  type Res = { luts?: number; ffs?: number; dsps?: number; brams?: number };
  const n = (v: unknown) => (typeof v === 'number' ? v.toLocaleString('en-US') : '-');
  const row = (build: string, e: string, i: number) => {
    const r = result(stage, i), t = (r?.total ?? {}) as Res;
    return { build, energy: e, dsp: r?.dsp === false ? 'no' : 'yes', luts: n(t.luts), ffs: n(t.ffs), dsps: n(t.dsps), brams: n(t.brams) };
  };
  const chosenEnergy = typeof energy === 'number' ? energy.toFixed(3) : '-';
  return [row('chosen design', chosenEnergy, 0), row('exact twin', '1.000', 3), row('chosen design', chosenEnergy, 1), row('exact twin', '1.000', 4)];
}

/** True when the synth stage ran after an approx stage but built no exact twin: the approx stage chose the exact
 *  design, so the twin would have been the same build (src/flow/stages.ts, exactTwinSource). */
export function exactTwinSkipped(records: readonly StageRecord[]): boolean {
  const stage = byStage(records, 'synth');
  return stage !== undefined && byStage(records, 'approx') !== undefined && stage.results.length < 5;
}

/** `adequate synth --json` as a table: one row per unit (tiles, window and elementwise units, the top's memories and
 *  controller) and the total, with the part and the latch check. */
function resourceTable(r: Json): { header: string[]; rows: string[][]; note: string } {
  type Res = { luts?: number; ffs?: number; dsps?: number; brams?: number; lutrams?: number };
  const cells = (x: Res) => [x.luts, x.ffs, x.dsps, x.brams, x.lutrams].map((v) => (typeof v === 'number' ? v.toLocaleString('en-US') : '-'));
  const units = (Array.isArray(r.units) ? r.units : []) as { module?: string; resources?: Res }[];
  return {
    header: ['unit', 'LUTs', 'FFs', 'DSPs', 'BRAM (36 Kb)', 'LUTRAM'],
    rows: [...units.map((u) => [String(u.module ?? '-'), ...cells(u.resources ?? {})]), ['total', ...cells((r.total ?? {}) as Res)]],
    note: `Yosys synth_xilinx for ${String(r.part ?? 'the default part')}, ${String(r.lanes ?? '?')} lanes per tile; latches inferred: ${String(r.latches ?? '?')}.`,
  };
}

function svgsOf(folder: string): string[] {
  if (!existsSync(folder)) return [];
  return readdirSync(folder).filter((f) => f.endsWith('.svg')).sort().map((f) => readFileSync(join(folder, f), 'utf8').replace(/<\?xml[^>]*>\s*/, ''));
}

function shellQuote(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}
