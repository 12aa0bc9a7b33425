/** Validation of the switching-activity power model against published power: the EvoApprox netlists shipped in
 *  `multipliers/evoapprox/verilog/` are read through Yosys, and their switching estimate (relative to our exact
 *  multiplier) is compared with the library's published 45 nm power (relative to its exact multiplier, mul8u_1JFF).
 *  Figures: Spearman rank correlation (what the search needs: the model must order designs like real power),
 *  Pearson correlation, and the ratio estimate / published. Used by its test and `scripts/evoapprox-power.mjs`. */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { builtinDataDir, builtinPublished, relativePublishedPower } from './evoapprox.js';
import { importVerilogFile } from './import.js';
import type { Multiplier } from './types.js';

/** Ranks 1..n with ties given their mean rank. */
function ranks(x: readonly number[]): number[] {
  const order = x.map((v, i) => [v, i] as const).sort((p, q) => p[0] - q[0]);
  const r = new Array<number>(x.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && order[j + 1]![0] === order[i]![0]) j++;
    for (let k = i; k <= j; k++) r[order[k]![1]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return r;
}

export function pearson(x: readonly number[], y: readonly number[]): number {
  const n = x.length;
  const mx = x.reduce((s, v) => s + v, 0) / n, my = y.reduce((s, v) => s + v, 0) / n;
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i]! - mx) * (y[i]! - my);
    sxx += (x[i]! - mx) ** 2;
    syy += (y[i]! - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
}

/** Spearman's rank correlation: Pearson's on the ranks (ties get mean ranks). */
export function spearman(x: readonly number[], y: readonly number[]): number {
  return pearson(ranks(x), ranks(y));
}

export interface PowerValidationRow {
  readonly id: string;
  readonly published: number; // published power / published exact power
  readonly switching: number; // our estimate / our exact multiplier's
  readonly gates: number;
}

export interface PowerValidation {
  readonly rows: readonly PowerValidationRow[];
  readonly spearman: number;
  readonly pearson: number;
  /** Median of |switching - published| / published. */
  readonly medianRelativeError: number;
  /** Geometric mean of switching / published (> 1: the model overestimates). */
  readonly geometricMeanRatio: number;
  /** The imported netlists, for checks of their tables. */
  readonly multipliers: readonly Multiplier[];
}

export function evoApproxNetlistDir(): string {
  return join(builtinDataDir(), 'verilog');
}

/** Reads every shipped EvoApprox netlist that has a published power (needs yosys) and compares. */
export function validateSwitchingPower(dir = evoApproxNetlistDir()): PowerValidation {
  const pub = builtinPublished();
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.v')).sort() : [];
  const multipliers = files.map((f) => importVerilogFile(join(dir, f), {}).multiplier);
  const rows = multipliers.flatMap((m): PowerValidationRow[] => {
    const fig = pub.rows.get(m.id);
    const published = fig ? relativePublishedPower(pub, fig, m.signed) : null;
    return published === null || m.relativePower === null ? [] : [{ id: m.id, published, switching: m.relativePower, gates: m.gates ?? 0 }];
  });
  const p = rows.map((r) => r.published), s = rows.map((r) => r.switching);
  const rel = rows.map((r) => Math.abs(r.switching - r.published) / r.published).sort((a, b) => a - b);
  const median = rel.length % 2 ? rel[(rel.length - 1) / 2]! : (rel[rel.length / 2 - 1]! + rel[rel.length / 2]!) / 2;
  const logRatio = rows.reduce((acc, r) => acc + Math.log(r.switching / r.published), 0) / rows.length;
  return { rows, spearman: spearman(s, p), pearson: pearson(s, p), medianRelativeError: median, geometricMeanRatio: Math.exp(logRatio), multipliers };
}
