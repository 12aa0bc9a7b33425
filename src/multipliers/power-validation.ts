/** Validation of the switching-activity power model against published power: the built-in EvoApprox netlists
 *  (`multipliers/evoapprox/verilog/`, read once by Yosys into netlists.json), and their switching estimate (relative to our exact
 *  multiplier) is compared with the library's published 45 nm power (relative to its exact multiplier, mul8u_1JFF).
 *  Figures: Spearman rank correlation (what the search needs: the model must order designs like real power),
 *  Pearson correlation, and the ratio estimate / published. Used by its test and `scripts/evoapprox-power.mjs`. */
import { builtinPublished, relativePublishedPower } from './evoapprox.js';
import { builtinLibrary } from './library.js';
import { relativeSwitchingPower } from './power.js';
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
  /** The netlists compared. */
  readonly multipliers: readonly Multiplier[];
}

/** Compares the switching estimate with the published power on every built-in EvoApprox netlist of one signedness
 *  (unsigned by default: 36 netlists; the estimate is relative to our exact multiplier of that signedness). */
export function validateSwitchingPower(signed = false): PowerValidation {
  const pub = builtinPublished();
  const multipliers = builtinLibrary().filter((m) => m.source.kind === 'evoapprox' && m.netlist && m.signed === signed);
  const rows = multipliers.flatMap((m): PowerValidationRow[] => {
    const fig = pub.rows.get(m.id);
    const published = fig ? relativePublishedPower(pub, fig, m.signed) : null;
    // mul8u_E9R (no gates: every product 0) has published power 0: no ratio to compare.
    return published === null || published === 0 ? [] : [{ id: m.id, published, switching: relativeSwitchingPower(m.netlist!, m.signed), gates: m.gates ?? 0 }];
  });
  const p = rows.map((r) => r.published), s = rows.map((r) => r.switching);
  const rel = rows.map((r) => Math.abs(r.switching - r.published) / r.published).sort((a, b) => a - b);
  const median = rel.length % 2 ? rel[(rel.length - 1) / 2]! : (rel[rel.length / 2 - 1]! + rel[rel.length / 2]!) / 2;
  const logRatio = rows.reduce((acc, r) => acc + Math.log(r.switching / r.published), 0) / rows.length;
  return { rows, spearman: spearman(s, p), pearson: pearson(s, p), medianRelativeError: median, geometricMeanRatio: Math.exp(logRatio), multipliers };
}
