/** `adequate mult ...`: the multiplier library (list, show, import, import-table, export, generate, characterize).
 *  Every subcommand takes --library DIR (default $ADEQUATE_MULT_LIBRARY or .adequate/multipliers). */
import { readFileSync } from 'node:fs';
import type { Argv, CommandModule } from 'yargs';
import { userError } from '../../errors.js';
import { characterizeMany, readHistograms } from '../../multipliers/characterize.js';
import { parsePublishedCsv } from '../../multipliers/evoapprox.js';
import { requireSpec } from '../../multipliers/families.js';
import { importTable, importVerilog } from '../../multipliers/import.js';
import { getMultiplier, loadLibrary, makeGenerated } from '../../multipliers/library.js';
import { defaultLibraryDir, libraryIds, requireLibraryDir, saveMultiplier } from '../../multipliers/store.js';
import { writeFileAtomically } from '../../io/atomic-dir.js';
import { claimOutputFile } from '../../io/output-guard.js';
import { FORCE_OPTION, numberOption } from '../options.js';
import { encodeTable } from '../../multipliers/table-file.js';
import { errorHeatmapSvg } from '../../multipliers/heatmap.js';
import type { ErrorMetrics, Multiplier } from '../../multipliers/types.js';
import { startProgress } from '../progress.js';
import { formatTable } from '../table.js';

interface LibArgs {
  library: string;
  json: boolean;
}

/** --library DIR: commands that read the library (alias undefined) need a folder that exists when one is named (the
 *  default folder may be absent: then the built-ins alone); commands that add to it (alias 'o') create it. */
function withLib<T>(y: Argv<T>, alias?: string): Argv<T & LibArgs> {
  return y
    .option('library', { type: 'string', describe: `library folder (default ${defaultLibraryDir()})`, ...(alias ? { alias } : {}) })
    .option('json', { type: 'boolean', default: false, describe: 'print JSON for machines' })
    .middleware((a) => {
      const args = a as { library?: string | undefined };
      if (args.library === undefined) args.library = defaultLibraryDir();
      else if (alias === undefined) requireLibraryDir(args.library);
    }) as unknown as Argv<T & LibArgs>;
}

const pct = (x: number): number => +x.toPrecision(3);
const power = (m: Multiplier): string => (m.relativePower === null ? '-' : m.relativePower.toFixed(3));

function summary(m: Multiplier): Record<string, unknown> {
  const { table: _t, netlist: _n, verilog: _v, ...rest } = m;
  return rest;
}

function printJson(x: unknown): void {
  console.log(JSON.stringify(x, null, 2));
}

/** Refuses to overwrite a library entry unless --replace. */
function checkNew(lib: string, ids: readonly string[], replace: boolean): void {
  const clash = ids.filter((id) => libraryIds(lib).includes(id));
  if (clash.length > 0 && !replace) throw userError('E_MULT', `${clash.join(', ')} already in ${lib}; give --replace to overwrite`);
}

const list: CommandModule<object, LibArgs> = {
  command: 'list',
  describe: 'list the library sorted by relative power, with the main error metrics',
  builder: (y) => withLib(y),
  handler: (a) => {
    const all = loadLibrary(a.library).sort((x, y) => (x.relativePower ?? Infinity) - (y.relativePower ?? Infinity) || x.id.localeCompare(y.id));
    if (a.json) return printJson(all.map(summary));
    const rows = all.map((m) => [m.id, m.signed ? 's' : 'u', power(m), m.powerSource, pct(m.metrics.maePct), pct(m.metrics.wcePct),
      pct(m.metrics.mrePct), pct(m.metrics.epPct), pct(m.metrics.biasPct), m.gates ?? '', m.source.kind]);
    process.stdout.write(formatTable(['id', 'sign', 'power', 'power from', 'MAE%', 'WCE%', 'MRE%', 'EP%', 'bias%', 'gates', 'source'], rows));
  },
};

function metricRows(m: ErrorMetrics): [string, number][] {
  return [['mean error (bias)', m.meanError], ['bias % of range', m.biasPct], ['MAE', m.mae], ['MAE % of range', m.maePct],
    ['error variance', m.errorVariance], ['MSE', m.mse], ['WCE', m.wce], ['WCE % of range', m.wcePct], ['MRE %', m.mrePct],
    ['WCRE %', m.wcrePct], ['error probability %', m.epPct]];
}

const show: CommandModule<object, LibArgs & { id: string; svg?: string | undefined; force?: boolean | undefined }> = {
  command: 'show <id>',
  describe: 'show one multiplier: source, power, metrics; --svg writes an error heat map',
  builder: (y) => withLib(y).positional('id', { type: 'string', demandOption: true }).option('svg', { type: 'string', describe: 'write the error heat map (SVG) here' }).option('force', FORCE_OPTION),
  handler: (a) => {
    const svg = a.svg !== undefined ? claimOutputFile(a.svg, { command: 'mult show', force: a.force }, '--svg') : undefined;
    const m = getMultiplier(a.id, a.library);
    if (svg !== undefined) writeFileAtomically(svg, errorHeatmapSvg(m));
    if (a.json) return printJson(summary(m));
    const rows: [string, string | number][] = [['id', m.id], ['signed', String(m.signed)], ['source', m.source.description],
      ['relative power', `${power(m)} (${m.powerSource})`], ...metricRows(m.metrics).map(([k, v]): [string, number] => [k, +v.toPrecision(5)])];
    if (m.gates !== undefined) rows.push(['gates', m.gates]);
    if (m.synth) rows.push(['yosys cells / transistors / LUTs', `${m.synth.cells} / ${m.synth.transistors} / ${m.synth.luts}`]);
    if (m.published) rows.push(['published power mW / area um2', `${m.published.powerMw} / ${m.published.areaUm2}`]);
    if (m.source.citation) rows.push(['cite', m.source.citation]);
    if (a.svg !== undefined) rows.push(['heat map', a.svg]);
    process.stdout.write(formatTable(['field', 'value'], rows));
  },
};

interface ImportArgs extends LibArgs {
  path: string;
  top?: string | undefined;
  metrics?: string | undefined;
  signed?: boolean | undefined;
  replace: boolean;
}

const importCmd: CommandModule<object, ImportArgs> = {
  command: 'import <path>',
  describe: 'import a Verilog multiplier (module X(A[7:0], B[7:0], O[15:0])) or a folder of them, e.g. EvoApprox mul8u_*.v',
  builder: (y) =>
    withLib(y, 'o')
      .positional('path', { type: 'string', demandOption: true })
      .option('top', { type: 'string', describe: 'top module when the file holds several' })
      .option('metrics', { type: 'string', describe: 'published metrics CSV (EvoApprox format) for power figures' })
      .option('signed', { type: 'boolean', describe: 'signed operands (default: module name starts with mul8s)' })
      .option('replace', { type: 'boolean', default: false, describe: 'overwrite entries with the same id' }),
  handler: async (a) => {
    const published = a.metrics === undefined ? undefined : parsePublishedCsv(readFileSync(a.metrics, 'utf8'), a.metrics);
    const imported = importVerilog(a.path, { ...(a.top ? { top: a.top } : {}), ...(a.signed !== undefined ? { signed: a.signed } : {}), ...(published ? { published } : {}) });
    checkNew(a.library, imported.map((i) => i.multiplier.id), a.replace);
    for (const { multiplier, sourceVerilog } of imported) await saveMultiplier(a.library, multiplier, sourceVerilog);
    const ids = imported.map((i) => i.multiplier.id);
    if (!a.json) return console.log(ids.join('\n'));
    const objs = imported.map((i) => summary(i.multiplier));
    printJson(objs.length === 1 ? objs[0] : { id: ids[0], ids, multipliers: objs });
  },
};

interface TableArgs extends LibArgs {
  file: string;
  signed?: boolean | undefined;
  unsigned?: boolean | undefined;
  order: string;
  id?: string | undefined;
  power?: number | undefined;
  replace: boolean;
}

const importTableCmd: CommandModule<object, TableArgs> = {
  command: 'import-table <file>',
  describe: 'import a raw table of 65,536 16-bit little-endian products (tf-approximate .bin files: --order ba)',
  builder: (y) =>
    withLib(y, 'o')
      .positional('file', { type: 'string', demandOption: true })
      .option('signed', { type: 'boolean' })
      .option('unsigned', { type: 'boolean' })
      .option('order', { choices: ['ab', 'ba'], default: 'ab', describe: 'ab: index A*256+B; ba: index B*256+A' })
      .option('id', { type: 'string', describe: 'id (default: file name)' })
      .option('power', numberOption('power', { above: 0, describe: 'relative power (exact = 1), if known' }))
      .option('replace', { type: 'boolean', default: false }) as unknown as Argv<TableArgs>,
  handler: async (a) => {
    if (Boolean(a.signed) === Boolean(a.unsigned)) throw userError('E_USAGE', 'give exactly one of --signed and --unsigned');
    const m = importTable(a.file, { signed: Boolean(a.signed), order: a.order === 'ba' ? 'ba' : 'ab', ...(a.id ? { id: a.id } : {}), ...(a.power !== undefined ? { relativePower: a.power } : {}) });
    checkNew(a.library, [m.id], a.replace);
    await saveMultiplier(a.library, m);
    if (a.json) printJson(summary(m));
    else console.log(m.id);
  },
};

const exportCmd: CommandModule<object, LibArgs & { id: string; output: string; verilog?: string | undefined; force?: boolean | undefined }> = {
  command: 'export <id>',
  describe: 'write the table (16-bit little-endian, index A*256+B) and optionally the netlist Verilog',
  builder: (y) =>
    withLib(y)
      .positional('id', { type: 'string', demandOption: true })
      .option('output', { alias: 'o', type: 'string', demandOption: true, describe: 'table file to write' })
      .option('verilog', { type: 'string', describe: 'also write the netlist Verilog here' })
      .option('force', { type: 'boolean', describe: 'overwrite existing files' }),
  handler: (a) => {
    const table = claimOutputFile(a.output, { command: 'mult export', force: a.force });
    const verilog = a.verilog !== undefined ? claimOutputFile(a.verilog, { command: 'mult export', force: a.force }, '--verilog') : undefined;
    const m = getMultiplier(a.id, a.library);
    if (verilog !== undefined && m.verilog === undefined) throw userError('E_MULT', `${m.id} has no netlist (it came from a table); drop --verilog`);
    writeFileAtomically(table, encodeTable(m.table, m.signed));
    if (verilog !== undefined) writeFileAtomically(verilog, m.verilog!);
    if (a.json) printJson({ id: m.id, table: a.output, ...(a.verilog ? { verilog: a.verilog } : {}) });
  },
};

const generateCmd: CommandModule<object, LibArgs & { ids: string[]; replace: boolean }> = {
  command: 'generate <ids..>',
  describe: 'add generated multipliers to the library, e.g. trunc-u8-k6 trunc-s8-k6c bam-u8-v8h2 optrunc-u8-a2b2 drum-s8-k4 mitchell-u8-w7',
  builder: (y) => withLib(y, 'o').positional('ids', { type: 'string', array: true, demandOption: true }).option('replace', { type: 'boolean', default: false }),
  handler: async (a) => {
    const specs = a.ids.map(requireSpec);
    checkNew(a.library, a.ids, a.replace);
    const made = specs.map(makeGenerated);
    for (const m of made) await saveMultiplier(a.library, m);
    if (a.json) printJson(made.map(summary));
    else console.log(made.map((m) => m.id).join('\n'));
  },
};

interface CharArgs extends LibArgs {
  ids: string[];
  synth: boolean;
  hist?: string | undefined;
}

const characterizeCmd: CommandModule<object, CharArgs> = {
  command: 'characterize <ids..>',
  describe: 'error metrics (uniform and --hist weighted), yosys synthesis cost and switching power; library entries are updated',
  builder: (y) =>
    withLib(y)
      .positional('ids', { type: 'string', array: true, demandOption: true })
      .option('synth', { type: 'boolean', default: true, describe: 'run yosys synthesis (--no-synth to skip)' })
      .option('hist', { type: 'string', describe: 'operand histograms JSON {"a": [256], "b": [256]}' }),
  handler: async (a) => {
    const hist = a.hist === undefined ? undefined : readHistograms(a.hist);
    const ms = a.ids.map((id) => getMultiplier(id, a.library));
    const bar = startProgress('characterize', ms.length);
    let done = 0;
    const results = await characterizeMany(ms, { synth: a.synth, ...(hist ? { hist } : {}), onDone: (i) => bar.tick(++done, ms[i]!.id) });
    bar.end();
    const inLibrary = new Set(libraryIds(a.library));
    for (const [i, c] of results.entries()) if (c.synth && inLibrary.has(c.id)) await saveMultiplier(a.library, { ...ms[i]!, synth: c.synth });
    if (a.json) return printJson(results);
    const rows = results.map((c) => [c.id, pct(c.metrics.maePct), pct(c.metrics.wcePct), pct(c.metrics.mrePct), pct(c.metrics.epPct),
      c.weightedMetrics ? pct(c.weightedMetrics.maePct) : '', c.switchingPower?.toFixed(3) ?? '', c.weightedSwitchingPower?.toFixed(3) ?? '',
      c.synth?.cells ?? '', c.synth?.transistors ?? '', c.synth?.luts ?? '']);
    process.stdout.write(formatTable(['id', 'MAE%', 'WCE%', 'MRE%', 'EP%', 'wMAE%', 'sw.power', 'w.sw.power', 'cells', 'transistors', 'LUTs'], rows));
  },
};

export const mult: CommandModule = {
  command: 'mult <command>',
  describe: 'the 8x8 multiplier library: exact, generated approximate families, EvoApprox, imported netlists',
  builder: (y) =>
    y.command(list).command(show).command(importCmd).command(importTableCmd).command(exportCmd).command(generateCmd).command(characterizeCmd)
      .demandCommand(1, 'give a mult subcommand; see adequate mult --help'),
  handler: () => undefined,
};
