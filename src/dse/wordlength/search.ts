/** The two word-length searches (docs/wordlength.md). Both look for the cheapest configuration whose top-1 on the
 *  tuning images is at most `maxDrop` points below the float model's, and both count accuracy evaluations.
 *  - greedy: the classic min+1 bit descent. Phase 1 finds each variable's minimum precision alone (binary search,
 *    all others at the reference precision); phase 2 starts from all minima and adds one bit at a time to the
 *    variable that buys the most output-noise reduction per unit of cost, until the accuracy bound holds.
 *  - budget: sensitivity-guided noise budgeting (after Ha and Sentieys' noise-budget formulation). One evaluation
 *    per variable measures its output noise at a probe precision p0; quantization noise falls by 4 per bit, so the
 *    output noise is modelled as N0 + sum_i g_i 4^-p_i. For a noise budget B, a marginal-analysis allocation (no
 *    evaluations) gives the cheapest precisions the model says meet B; a bisection on B finds the largest budget that
 *    keeps the accuracy bound, and a last pass tries one bit less on each variable. */
import { userError } from '../../errors.js';
import { costOf } from './cost.js';
import type { Evaluation } from './evaluator.js';
import type { AccuracyOracle } from './pool.js';
import { referenceConfig, type Config, type Space } from './space.js';

export type SearchMethod = 'greedy' | 'budget';

export interface TracePoint {
  readonly config: Config;
  readonly top1: number;
  readonly noise: number;
  /** Relative cost (reference = 2: relative MAC area + relative storage bits). */
  readonly cost: number;
  readonly feasible: boolean;
}

export interface SearchResult {
  readonly method: SearchMethod;
  readonly config: Config;
  readonly evaluation: Evaluation;
  readonly cost: number;
  readonly evaluations: number;
  readonly trace: readonly TracePoint[];
  readonly seconds: number;
}

export interface SearchOptions {
  /** Accuracy points (of 100) the result may lose against the float model. */
  readonly maxDrop: number;
  /** Standard errors of the measured drop kept below maxDrop (0: trust the tuning images as they are). Why: the
   *  searches compare many configurations near the bound, and the ones that pass by luck of the sample are the ones
   *  they keep; the margin keeps the bound on images they never saw. The standard error of a paired difference of
   *  top-1 is sqrt(flips) / count, flips = images that one of the two classifies right and the other not; one flip
   *  is added so that no flips on a few images does not read as certainty (sqrt(flips + 1) / count). */
  readonly confidence?: number;
  readonly onEvaluation?: (evaluations: number, point: TracePoint) => void;
}

/** Bits a budget probe lies below the reference precision. */
const PROBE_BELOW = 12;

export async function search(method: SearchMethod, ev: AccuracyOracle, o: SearchOptions): Promise<SearchResult> {
  const space = ev.space;
  const t0 = performance.now(), before = ev.evaluations;
  const ctx = context(space, ev, o);
  const ref = referenceConfig(space);
  const r = await ctx.measure(ref);
  if (!r.feasible)
    throw userError('E_DSE', `even the reference formats (${space.kind}, widest precisions) lose ${(100 * (ev.floatTop1 - r.top1)).toFixed(2)} points on the tuning images (${r.evaluation.flips} images change), more than --max-drop ${o.maxDrop} allows with --confidence ${o.confidence ?? 0}; raise --max-drop or check the ranges`);
  const config = method === 'greedy' ? await greedy(space, ctx, ref) : await budget(space, ctx, ref, r.noise);
  const best = await ctx.measure(config);
  return { method, config, evaluation: best.evaluation, cost: best.cost, evaluations: ev.evaluations - before, trace: ctx.trace, seconds: (performance.now() - t0) / 1000 };
}

interface Context {
  readonly trace: TracePoint[];
  measure(c: Config): Promise<TracePoint & { evaluation: Evaluation }>;
  cost(c: Config): number;
}

function context(space: Space, ev: AccuracyOracle, o: SearchOptions): Context {
  const ref = referenceConfig(space);
  const base = costOf(space, ref);
  const storage = (r: ReturnType<typeof costOf>) => r.weightBits + r.biasBits + r.activationBits;
  const cost = (c: Config) => {
    const r = costOf(space, c);
    return r.area / base.area + storage(r) / storage(base);
  };
  const trace: TracePoint[] = [];
  const seen = new Map<string, TracePoint & { evaluation: Evaluation }>();
  return {
    trace,
    cost,
    async measure(c) {
      const key = c.join(',');
      let p = seen.get(key);
      if (!p) {
        const evaluation = await ev.evaluate(c);
        const margin = (o.confidence ?? 0) * 100 * Math.sqrt(evaluation.flips + 1) / evaluation.count;
        p = { config: [...c], top1: evaluation.top1, noise: evaluation.noise, cost: cost(c), feasible: 100 * (ev.floatTop1 - evaluation.top1) + margin <= o.maxDrop + 1e-9, evaluation };
        seen.set(key, p);
        trace.push(p);
        o.onEvaluation?.(ev.evaluations, p);
      }
      return p;
    },
  };
}

const withAt = (c: Config, i: number, p: number): number[] => c.map((v, j) => (j === i ? p : v));

async function greedy(space: Space, ctx: Context, ref: Config): Promise<Config> {
  // Phase 1: the minimum precision of each variable alone (accuracy assumed monotone in precision).
  const min: number[] = [];
  for (const [i, v] of space.variables.entries()) {
    let lo = v.lo, hi = v.hi; // hi is feasible (the reference)
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if ((await ctx.measure(withAt(ref, i, mid))).feasible) hi = mid;
      else lo = mid + 1;
    }
    min.push(lo);
  }
  // Phase 2: min + 1 bit at a time.
  let cur: number[] = min;
  let now = await ctx.measure(cur);
  while (!now.feasible) {
    let best: { c: number[]; merit: number; feasible: boolean; cost: number } | undefined;
    for (const [i, v] of space.variables.entries()) {
      if (cur[i]! >= v.hi) continue;
      const c = withAt(cur, i, cur[i]! + 1);
      const p = await ctx.measure(c);
      const merit = (now.noise - p.noise) / Math.max(1e-9, p.cost - now.cost);
      const better = !best || (p.feasible && (!best.feasible || p.cost < best.cost)) || (!p.feasible && !best.feasible && merit > best.merit);
      if (better) best = { c, merit, feasible: p.feasible, cost: p.cost };
    }
    if (!best) return ref;
    cur = best.c;
    now = await ctx.measure(cur);
  }
  return cur;
}

/** Budget steps while bracketing: 2 bits of every variable's noise (4^2). */
const BRACKET_STEP = Math.log(16);
const BISECTIONS = 6;

async function budget(space: Space, ctx: Context, ref: Config, floor: number): Promise<Config> {
  const vars = space.variables;
  // Sensitivities: output noise of each variable alone at a probe precision.
  const probe = vars.map((v) => Math.max(v.lo, v.hi - PROBE_BELOW));
  const gain: number[] = [];
  for (const [i] of vars.entries()) gain.push(Math.max(0, (await ctx.measure(withAt(ref, i, probe[i]!))).noise - floor) * 4 ** probe[i]!);
  const model = (c: Config) => floor + c.reduce((s, p, i) => s + gain[i]! * 4 ** -p, 0);
  // Cheapest precisions whose modelled noise is at most B: start at the minima, buy the best noise per cost.
  const allocate = (B: number): number[] => {
    const c = vars.map((v) => v.lo);
    let total = model(c), cost = ctx.cost(c);
    while (total > B) {
      let bestI = -1, bestMerit = -1, bestCost = 0;
      for (let i = 0; i < vars.length; i++) {
        if (c[i]! >= vars[i]!.hi) continue;
        const next = withAt(c, i, c[i]! + 1), nc = ctx.cost(next);
        const merit = (gain[i]! * 4 ** -c[i]! * 0.75) / Math.max(1e-9, nc - cost);
        if (merit > bestMerit) (bestMerit = merit), (bestI = i), (bestCost = nc);
      }
      if (bestI < 0 || bestMerit <= 0) break;
      c[bestI] = c[bestI]! + 1;
      total = model(c);
      cost = bestCost;
    }
    return c;
  };
  const probes = gain.map((g, i) => g * 4 ** -probe[i]!).filter((n) => n > 0);
  if (probes.length === 0) return vars.map((v) => v.lo);
  const at = (logB: number) => allocate(floor + Math.exp(logB));
  // Bracket the largest feasible budget on log B, from the probes' total noise: up by 2 bits' worth while feasible
  // (until the allocation stops changing: every variable at its minimum), down while not (the reference, at the
  // floor, is feasible). Why not stop at the probes' noise: the probes sit 12 bits below the widest, far from where
  // accuracy starts to drop, and a budget that small leaves most of --max-drop unused.
  let lo = -Infinity, hi = Infinity, best: Config = ref;
  let x = Math.log(probes.reduce((a, b) => a + b, 0));
  for (let previous = ''; ; ) {
    const c = at(x), key = c.join(',');
    if (key === previous) break;
    previous = key;
    if ((await ctx.measure(c)).feasible) {
      (lo = x), (best = c);
      if (hi < Infinity) break;
      x += BRACKET_STEP;
    } else {
      hi = x;
      if (lo > -Infinity) break;
      x -= BRACKET_STEP;
    }
  }
  if (lo > -Infinity && hi < Infinity)
    for (let step = 0; step < BISECTIONS; step++) {
      const mid = (lo + hi) / 2, c = at(mid);
      if ((await ctx.measure(c)).feasible) (lo = mid), (best = c);
      else hi = mid;
    }
  // Refinement: one bit less on a variable, largest saving first, kept when still feasible; variables that gave a
  // bit are tried again until none does (one that could not stays: fewer bits elsewhere only make it harder).
  let cur = [...best];
  let open = vars.map((_, i) => i).filter((i) => cur[i]! > vars[i]!.lo);
  while (open.length > 0) {
    open.sort((a, b) => ctx.cost(withAt(cur, a, cur[a]! - 1)) - ctx.cost(withAt(cur, b, cur[b]! - 1)));
    const gave: number[] = [];
    for (const i of open) {
      const c = withAt(cur, i, cur[i]! - 1);
      if ((await ctx.measure(c)).feasible) {
        cur = c;
        if (cur[i]! > vars[i]!.lo) gave.push(i);
      }
    }
    open = gave;
  }
  return cur;
}
