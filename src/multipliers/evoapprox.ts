/** The EvoApprox library (EvoApproxLib, MIT, EHW group, Brno University of Technology; V. Mrazek et al.,
 *  "EvoApprox8b", DATE 2017): published figures (CSV) and the 36 behavioural 8x8 unsigned tables shipped in
 *  `multipliers/evoapprox/` (tf-approximate's .bin files, B-major). Relative power = pwr / pwr(exact of the CSV). */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { userError } from '../errors.js';
import type { PublishedFigures } from './types.js';

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

/** Ids of the shipped EvoApprox tables (file names without .bin). */
export function builtinEvoApproxIds(): string[] {
  return readdirSync(builtinDataDir())
    .filter((f) => f.endsWith('.bin'))
    .map((f) => f.slice(0, -4))
    .sort();
}

export function builtinEvoApproxBytes(id: string): Uint8Array {
  return readFileSync(join(builtinDataDir(), `${id}.bin`));
}
