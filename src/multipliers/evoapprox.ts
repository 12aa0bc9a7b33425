/** The EvoApprox library (EvoApproxLib, MIT, EHW group, Brno University of Technology; V. Mrazek et al.,
 *  "EvoApprox8b", DATE 2017): published figures (CSV), the gate-level netlists of its 36 unsigned and 13 signed
 *  8x8 multipliers (`multipliers/evoapprox/verilog/`, read once by Yosys into `netlists.json`), and the 36
 *  behavioural unsigned tables of tf-approximate (`.bin`, B-major; four have no netlist and no published power).
 *  Relative power = pwr / pwr(exact of the CSV). */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { userError } from '../errors.js';
import type { GateNetlist } from './netlist.js';
import type { PublishedFigures, SynthCost } from './types.js';

export const EVOAPPROX_CITATION = 'EvoApproxLib (MIT), V. Mrazek et al., "EvoApprox8b", DATE 2017; tables from ehw-fit/tf-approximate';

/** The repository folder holding the shipped data (found upward from this module, in src/ or dist/src/). */
export function builtinDataDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'multipliers', 'evoapprox');
    if (existsSync(join(candidate, 'metrics.csv'))) return candidate;
    dir = dirname(dir);
  }
  throw new Error('internal error: the built-in EvoApprox data (multipliers/evoapprox/) is missing from the package');
}

const COLUMNS = ['name', 'area', 'delay', 'ep%', 'mae%', 'mre%', 'pwr', 'wce%', 'wcre%'] as const;

export interface PublishedTable {
  readonly rows: ReadonlyMap<string, PublishedFigures>;
  /** Power of the exact multiplier per signedness (the row with zero error probability). */
  readonly exactPowerMw: { readonly unsigned?: number; readonly signed?: number };
}

/** Parses the library's metrics CSV (columns as in EvoApprox: name, area, delay, ep%, mae%, mre%, pwr, wce%, wcre%). */
export function parsePublishedCsv(text: string, where: string): PublishedTable {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = (lines[0] ?? '').split(',').map((h) => h.trim());
  const col = Object.fromEntries(COLUMNS.map((c) => [c, header.indexOf(c)])) as Record<(typeof COLUMNS)[number], number>;
  const missing = COLUMNS.filter((c) => col[c] < 0);
  if (missing.length > 0) throw userError('E_MULT', `${where}: metrics CSV lacks column(s) ${missing.join(', ')}; give the EvoApprox metrics file`);
  const rows = new Map<string, PublishedFigures>();
  const exact: { unsigned?: number; signed?: number } = {};
  lines.slice(1).forEach((line, i) => {
    const cells = line.split(',').map((c) => c.trim());
    const num = (c: (typeof COLUMNS)[number]): number => {
      const v = Number(cells[col[c]]);
      if (!Number.isFinite(v)) throw userError('E_MULT', `${where}: line ${i + 2}: column ${c} is not a number; fix the CSV`);
      return v;
    };
    const name = cells[col.name] ?? '';
    const fig: PublishedFigures = {
      powerMw: num('pwr'), areaUm2: num('area'), delayNs: num('delay'), maePct: num('mae%'), wcePct: num('wce%'),
      mrePct: num('mre%'), epPct: num('ep%'), wcrePct: num('wcre%'),
    };
    rows.set(name, fig);
    if (fig.epPct === 0 && fig.maePct === 0) {
      if (name.startsWith('mul8s')) exact.signed = fig.powerMw;
      else exact.unsigned = fig.powerMw;
    }
  });
  return { rows, exactPowerMw: exact };
}

export function relativePublishedPower(t: PublishedTable, fig: PublishedFigures, signed: boolean): number | null {
  const ref = signed ? t.exactPowerMw.signed : t.exactPowerMw.unsigned;
  return ref === undefined || ref === 0 ? null : fig.powerMw / ref;
}

let cached: PublishedTable | undefined;

export function builtinPublished(): PublishedTable {
  cached ??= parsePublishedCsv(readFileSync(join(builtinDataDir(), 'metrics.csv'), 'utf8'), 'multipliers/evoapprox/metrics.csv');
  return cached;
}

/** Ids of the shipped EvoApprox behavioural tables (file names without .bin). */
export function builtinEvoApproxTableIds(): string[] {
  return readdirSync(builtinDataDir())
    .filter((f) => f.endsWith('.bin'))
    .map((f) => f.slice(0, -4))
    .sort();
}

/** Ids of every shipped EvoApprox multiplier: the gate netlists and the tables without one. */
export function builtinEvoApproxIds(): string[] {
  return [...new Set([...builtinNetlists().keys(), ...builtinEvoApproxTableIds()])].sort();
}

export function builtinEvoApproxBytes(id: string): Uint8Array {
  return readFileSync(join(builtinDataDir(), `${id}.bin`));
}

/** One precomputed EvoApprox gate netlist (multipliers/evoapprox/netlists.json, written by
 *  scripts/evoapprox-netlists.mjs): Yosys' reading of `verilog/<file>`, whose SHA-256 is kept so that a test sees
 *  when the JSON is stale. Precomputed so that loading the library never runs Yosys. */
export interface ShippedNetlist {
  readonly file: string;
  readonly sha256: string;
  readonly signed: boolean;
  readonly netlist: GateNetlist;
}

export const NETLISTS_FORMAT = 'adequate-evoapprox-netlists/1';
export const SYNTH_FORMAT = 'adequate-builtin-synth/1';

let netlists: ReadonlyMap<string, ShippedNetlist> | undefined;

/** The shipped gate netlists by id (36 unsigned, 13 signed). */
export function builtinNetlists(): ReadonlyMap<string, ShippedNetlist> {
  if (!netlists) {
    const json = JSON.parse(readFileSync(join(builtinDataDir(), 'netlists.json'), 'utf8')) as { format: string; netlists: Record<string, ShippedNetlist> };
    if (json.format !== NETLISTS_FORMAT) throw new Error(`internal error: multipliers/evoapprox/netlists.json is not ${NETLISTS_FORMAT}; run node scripts/evoapprox-netlists.mjs`);
    netlists = new Map(Object.entries(json.netlists));
  }
  return netlists;
}

/** Cached Yosys figures of a built-in multiplier, valid for the Verilog text whose SHA-256 is `verilogSha256`. */
export interface CachedSynth extends SynthCost {
  readonly verilogSha256: string;
}

let synthCache: ReadonlyMap<string, CachedSynth> | undefined;

/** Yosys figures of every built-in with a netlist (multipliers/synth.json, scripts/evoapprox-netlists.mjs). */
export function builtinSynthCache(): ReadonlyMap<string, CachedSynth> {
  if (!synthCache) {
    const file = join(dirname(builtinDataDir()), 'synth.json');
    const json = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { format: string; multipliers: Record<string, CachedSynth> }) : undefined;
    synthCache = new Map(json && json.format === SYNTH_FORMAT ? Object.entries(json.multipliers) : []);
  }
  return synthCache;
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The licence and citation header (the leading comment block) of a shipped EvoApprox Verilog file. */
export function netlistHeader(file: string): string {
  const text = readFileSync(join(builtinDataDir(), 'verilog', file), 'utf8');
  const end = text.indexOf('***/');
  return end < 0 ? '' : text.slice(0, end + 4);
}
