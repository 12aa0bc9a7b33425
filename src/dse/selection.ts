/** Choosing a design that holds on unseen data: the one rule of every exploration (approx, share-explore,
 *  wordlength). See docs/selection.md.
 *
 *  The labelled images are split in two: the search sees only the first part; the candidates it proposes (its front,
 *  or the sequence of designs a greedy search accepted) are then measured on the selection images, which the search
 *  never used, next to the reference model (exact multipliers, unshared weights, float) on the same images. Each
 *  candidate's drop is a paired difference: per image, reference right and candidate wrong (`lost`) or the reverse
 *  (`gained`); images both get right or both get wrong cancel. Its standard error comes from the discordant pairs:
 *  `sqrt(lost + gained + 1 - (lost - gained)^2 / n) / n` (McNemar's variance of a paired difference of proportions;
 *  the `+ 1` keeps the bound away from zero when no image changes, where the normal approximation says nothing).
 *  Bound = drop + z x standard error, z from the level of the candidate's test (below).
 *
 *  Fallback procedure (Wiens 2003): the candidates are tested from the most to the least costly (an order fixed by the
 *  search before the selection images are read). The error rate alpha = Phi(-confidence) is given out along the
 *  sequence: each test gets 90 % of what is not yet given out (the last test all of it), plus the whole level of the
 *  test before it when that one passed; a test at level a passes when drop + Phi^-1(1 - a) x SE <= maxDrop. The
 *  chosen design is the cheapest that passed, or the reference when none did. When every test passes, the levels are
 *  0.9, 0.99, 0.999, ... of alpha, nearly the plain fixed-sequence test; unlike it, one failure does not end the
 *  sequence: the next candidate is still tested, at its own small level. The procedure controls the family-wise error
 *  rate at alpha under any dependence between the tests (it is a Bonferroni-based closed test; Bretz et al. 2009), so
 *  the chance that the chosen design loses more than maxDrop on the population the images come from is at most
 *  Phi(-confidence) under the normal approximation (16 % at confidence 1, 5 % at 1.645). With confidence 0 there is
 *  no test: every candidate is compared by its measured drop alone. Picking the cheapest of all candidates whose own
 *  bound passes would instead let every extra candidate add its own chance of slipping through. */

import { normalCdf, normalQuantile } from './normal.js';

export interface LabelledSplit {
  /** Images the search uses (the first ones). */
  readonly search: number;
  /** Images after them, used only to choose. */
  readonly selection: number;
}

/** Splits `count` labelled images: the last `fraction` (rounded) choose, the rest search; each part gets one image
 *  at least. */
export function splitLabelled(count: number, fraction: number): LabelledSplit {
  const selection = Math.min(count - 1, Math.max(1, Math.round(count * fraction)));
  return { search: count - selection, selection };
}

export interface PairedDrop {
  readonly count: number;
  /** Images the reference classifies right and the candidate wrong. */
  readonly lost: number;
  /** Images the candidate classifies right and the reference wrong. */
  readonly gained: number;
  /** Top-1 of the candidate on the selection images (fraction). */
  readonly top1: number;
  /** Accuracy points lost against the reference on the same images (negative: gained). */
  readonly drop: number;
  /** Standard error of `drop`, in points. */
  readonly standardError: number;
  /** drop + confidence x standard error, in points. */
  readonly bound: number;
}

/** The paired drop of a candidate against the reference on the same labelled images. */
export function pairedDrop(reference: Int32Array, candidate: Int32Array, labels: Int32Array, confidence: number): PairedDrop {
  const n = labels.length;
  let lost = 0, gained = 0, correct = 0;
  for (let i = 0; i < n; i++) {
    const r = reference[i] === labels[i], c = candidate[i] === labels[i];
    if (c) correct++;
    if (r && !c) lost++;
    else if (c && !r) gained++;
  }
  const drop = (100 * (lost - gained)) / n;
  const standardError = (100 * Math.sqrt(Math.max(0, lost + gained + 1 - (lost - gained) ** 2 / n))) / n;
  return { count: n, lost, gained, top1: correct / n, drop, standardError, bound: drop + confidence * standardError };
}

export interface SelectionTrial<T> {
  readonly candidate: T;
  /** Its paired drop; `bound` = drop + `critical` x standard error. */
  readonly paired: PairedDrop;
  /** The level of its test (error rate) and the standard errors that level asks for, Phi^-1(1 - level). */
  readonly level: number;
  readonly critical: number;
  /** Its bound is within maxDrop. */
  readonly passed: boolean;
}

export interface Selection<T> {
  /** The chosen candidate, or undefined when none passed (the caller then keeps its reference design). */
  readonly chosen: T | undefined;
  /** Every candidate, in test order, with its paired drop and its test. */
  readonly trials: readonly SelectionTrial<T>[];
  /** Top-1 of the reference on the selection images. */
  readonly referenceTop1: number;
}

export interface SelectionOptions {
  readonly maxDrop: number;
  readonly confidence: number;
}

/** Share of the error rate not yet given out that each test of the fallback sequence gets (the last gets all). */
const LEVEL_SHARE = 0.9;

/** The fallback procedure's choice among `candidates`, given from the most to the least costly. `predict` classifies
 *  the selection images with a candidate (called once per candidate, in order); every candidate is measured and
 *  reported. */
export async function chooseOnSelection<T>(
  candidates: readonly T[],
  predict: (c: T) => Promise<Int32Array>,
  reference: Int32Array,
  labels: Int32Array,
  opts: SelectionOptions,
): Promise<Selection<T>> {
  const trials: SelectionTrial<T>[] = [];
  const alpha = normalCdf(-opts.confidence);
  let chosen: T | undefined, unspent = alpha, carried = 0;
  for (const [i, candidate] of candidates.entries()) {
    const own = i === candidates.length - 1 ? unspent : LEVEL_SHARE * unspent;
    unspent -= own;
    const level = own + carried;
    const critical = opts.confidence === 0 ? 0 : normalQuantile(1 - level);
    const paired = pairedDrop(reference, await predict(candidate), labels, critical);
    const passed = paired.bound <= opts.maxDrop + 1e-9;
    trials.push({ candidate, paired, level, critical, passed });
    carried = passed ? level : 0;
    if (passed) chosen = candidate;
  }
  let refCorrect = 0;
  for (let i = 0; i < labels.length; i++) if (reference[i] === labels[i]) refCorrect++;
  return { chosen, trials, referenceTop1: refCorrect / labels.length };
}

/** The pareto.json record of a selection: how the images were split, the test, and each tested candidate's paired
 *  drop and bound (`describe` names a candidate). */
export function selectionReport<T>(split: LabelledSplit, s: Selection<T>, opts: SelectionOptions, describe: (c: T) => unknown) {
  return {
    search_images: split.search,
    selection_images: split.selection,
    test: 'paired test in a fallback sequence (Wiens 2003), most costly candidate first: each test gets 90 % of the error rate Phi(-confidence) not yet given out, plus the level of the test before it when that passed; bound = drop + Phi^-1(1 - level) x SE, SE = sqrt(lost + gained + 1 - (lost - gained)^2 / n) / n; the cheapest passing candidate is chosen',
    max_drop: opts.maxDrop,
    confidence: opts.confidence,
    reference_top1: s.referenceTop1,
    trials: s.trials.map((t) => ({
      candidate: describe(t.candidate),
      top1: t.paired.top1,
      lost: t.paired.lost,
      gained: t.paired.gained,
      paired_drop: +t.paired.drop.toFixed(4),
      standard_error: +t.paired.standardError.toFixed(4),
      level: +t.level.toPrecision(4),
      critical: +t.critical.toFixed(4),
      bound: +t.paired.bound.toFixed(4),
      passed: t.passed,
    })),
  };
}
