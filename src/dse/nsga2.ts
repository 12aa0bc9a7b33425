/** NSGA-II (Deb, Pratap, Agarwal, Meyarivan 2002) over integer genomes, minimising k objectives with optional
 *  constraints (constraint-domination). Generic: it knows nothing of networks or multipliers; `adequate approx` and
 *  `adequate wordlength` give it gene cardinalities and an evaluator.
 *  - Genome: gene i takes a value in [0, genes[i]). An optional `canonicalize` maps a genome to its canonical form
 *    (repairs constrained genomes, picks one representative of symmetric ones); it runs on every genome, including
 *    the user's initial ones, before anything else sees it.
 *  - Archive: every evaluated design, keyed by the canonical genome; no genome is ever evaluated twice. New genomes of
 *    a generation are evaluated as one batch (concurrently, up to `concurrency`), so an async evaluator can spread
 *    them over worker threads; results are stored by position, so completion order never changes the run.
 *  - Determinism: the only randomness is the seeded PRNG in ./prng.ts, drawn in a fixed order.
 *  - Variation: binary tournament on (rank, crowding), uniform or single-point crossover with probability
 *    `crossoverProb`, per-gene random-reset mutation with probability `mutationProb` (default 1/genes). A child that
 *    duplicates a member of the population or of the offspring so far is re-drawn (up to `maxRetries` times), so
 *    small spaces do not fill the population with copies. */
import { userError } from '../errors.js';
import { createRng, type Rng } from './prng.js';
import { crowdingDistance, nonDominatedSort, paretoFront } from './pareto.js';

export interface Evaluation {
  readonly objectives: readonly number[];
  /** Total constraint violation; 0 or less (or absent) = feasible. */
  readonly violation?: number;
}

export interface Design {
  readonly genome: readonly number[];
  readonly key: string;
  readonly objectives: readonly number[];
  /** Total constraint violation, clamped at 0 (0 = feasible). */
  readonly violation: number;
  /** The generation in which it was first evaluated (0 = initial population). */
  readonly generation: number;
}

export interface GenerationInfo {
  readonly generation: number;
  readonly generations: number;
  /** Evaluations so far (= archive size). */
  readonly evaluations: number;
  /** Evaluations done in this generation. */
  readonly newEvaluations: number;
  readonly population: readonly Design[];
  /** The non-dominated designs of the whole archive so far. */
  readonly front: readonly Design[];
}

export interface EvaluationContext {
  readonly generation: number;
  /** The archive's non-dominated designs before this batch (for racing rules such as "evaluate on the full set only
   *  if the subset result can still reach the front"). */
  readonly front: readonly Design[];
}

export interface Nsga2Options {
  /** Cardinality of each gene (integers >= 1). */
  readonly genes: readonly number[];
  /** Number of objectives k (all minimised). */
  readonly objectives: number;
  readonly evaluate: (genome: readonly number[], ctx: EvaluationContext) => Evaluation | Promise<Evaluation>;
  /** Population size (>= 2). */
  readonly pop: number;
  /** Generations after the initial population (>= 0). */
  readonly gen: number;
  readonly seed: number;
  /** Genomes to put in the first population (all are evaluated; if more than `pop`, the best `pop` survive). */
  readonly initial?: readonly (readonly number[])[];
  /** Map a genome to its canonical form; must be idempotent and keep every gene in range. */
  readonly canonicalize?: (genome: readonly number[]) => number[];
  readonly onGeneration?: (info: GenerationInfo) => void;
  /** Default 'uniform'. */
  readonly crossover?: 'uniform' | 'single-point';
  /** Probability that a pair of parents is crossed (default 0.9). */
  readonly crossoverProb?: number;
  /** Per-gene probability of random reset (default 1 / genes.length). */
  readonly mutationProb?: number;
  /** Maximum evaluations in flight (default: the whole batch). */
  readonly concurrency?: number;
  /** Re-draws of a duplicate child before it is accepted (default 16). */
  readonly maxRetries?: number;
  /** Checked between generations: when aborted, the run stops and returns what it has. */
  readonly signal?: AbortSignal;
}

export interface Nsga2Result {
  /** Non-dominated designs of the whole archive (feasible ones only, if any design is feasible), in archive order. */
  readonly front: readonly Design[];
  /** The final population, in rank then crowding order. */
  readonly population: readonly Design[];
  /** Every evaluated design, in evaluation order. */
  readonly archive: readonly Design[];
  readonly evaluations: number;
  /** Generations completed after the initial population. */
  readonly generations: number;
}

export const genomeKey = (g: readonly number[]): string => g.join(',');

export async function runNsga2(opts: Nsga2Options): Promise<Nsga2Result> {
  validate(opts);
  const rng = createRng(opts.seed);
  const canon = (g: readonly number[]): number[] => checkGenome(opts, opts.canonicalize ? opts.canonicalize(g) : [...g], 'canonicalize');
  const archive: Design[] = [];
  const byKey = new Map<string, Design>();

  const evaluateBatch = async (genomes: readonly number[][], generation: number): Promise<number> => {
    const fresh: number[][] = [];
    const seen = new Set<string>();
    for (const g of genomes) {
      const key = genomeKey(g);
      if (!byKey.has(key) && !seen.has(key)) {
        seen.add(key);
        fresh.push(g);
      }
    }
    const ctx: EvaluationContext = { generation, front: paretoFront(archive) };
    const results = await mapLimited(fresh, opts.concurrency ?? fresh.length, (g) => Promise.resolve(opts.evaluate(g, ctx)));
    fresh.forEach((g, i) => {
      const d = toDesign(opts, g, results[i] as Evaluation, generation);
      archive.push(d);
      byKey.set(d.key, d);
    });
    return fresh.length;
  };
  const lookup = (g: readonly number[]): Design => byKey.get(genomeKey(g)) ?? internalError('genome missing from archive');

  // Initial population: the user's genomes, then random ones until `pop` distinct genomes (or retries run out).
  const initial = (opts.initial ?? []).map((g) => canon(checkGenome(opts, [...g], 'initial')));
  const start: number[][] = [...initial];
  const keys = new Set(start.map(genomeKey));
  const maxTries = opts.pop * ((opts.maxRetries ?? 16) + 1);
  for (let tries = 0; start.length < opts.pop && tries < maxTries; tries++) {
    const g = canon(opts.genes.map((c) => rng.int(c)));
    const key = genomeKey(g);
    if (!keys.has(key)) {
      keys.add(key);
      start.push(g);
    }
  }
  while (start.length < opts.pop) start.push(canon(opts.genes.map((c) => rng.int(c))));
  let newEvals = await evaluateBatch(start, 0);
  let population = survive(dedupe(start.map(lookup)), opts.pop);
  report(opts, 0, archive, newEvals, population);

  let generation = 0;
  while (generation < opts.gen && !opts.signal?.aborted) {
    generation++;
    const ranked = rankAndCrowd(population);
    const children = makeOffspring(opts, rng, population, ranked, canon);
    newEvals = await evaluateBatch(children, generation);
    population = survive(dedupe([...population, ...children.map(lookup)]), opts.pop);
    report(opts, generation, archive, newEvals, population);
  }
  return { front: paretoFront(archive), population, archive, evaluations: archive.length, generations: generation };
}

function report(opts: Nsga2Options, generation: number, archive: readonly Design[], newEvaluations: number, population: readonly Design[]): void {
  opts.onGeneration?.({ generation, generations: opts.gen, evaluations: archive.length, newEvaluations, population, front: paretoFront(archive) });
}

interface Ranking {
  readonly rank: readonly number[];
  readonly crowd: readonly number[];
}

function rankAndCrowd(pop: readonly Design[]): Ranking {
  const rank = new Array<number>(pop.length).fill(0);
  const crowd = new Array<number>(pop.length).fill(0);
  nonDominatedSort(pop).forEach((front, r) => {
    const d = crowdingDistance(pop, front);
    front.forEach((i, j) => {
      rank[i] = r;
      crowd[i] = d[j] as number;
    });
  });
  return { rank, crowd };
}

/** Environmental selection: whole fronts while they fit, then the last front by decreasing crowding distance
 *  (ties by index). The result is ordered by rank, then crowding. If fewer than `size` designs are given, all are
 *  kept and the population is topped up by cycling through them (only in spaces smaller than the population). */
function survive(pool: readonly Design[], size: number): Design[] {
  const out: Design[] = [];
  for (const front of nonDominatedSort(pool)) {
    const d = crowdingDistance(pool, front);
    const order = front.map((_, j) => j).sort((a, b) => (d[b] as number) - (d[a] as number) || a - b);
    for (const j of order) {
      if (out.length === size) return out;
      out.push(pool[front[j] as number] as Design);
    }
  }
  const n = out.length;
  for (let i = 0; out.length < size && n > 0; i++) out.push(out[i % n] as Design);
  return out;
}

function dedupe(designs: readonly Design[]): Design[] {
  const seen = new Set<string>();
  return designs.filter((d) => !seen.has(d.key) && (seen.add(d.key), true));
}

function makeOffspring(opts: Nsga2Options, rng: Rng, pop: readonly Design[], ranking: Ranking, canon: (g: readonly number[]) => number[]): number[][] {
  const n = opts.genes.length;
  const pc = opts.crossoverProb ?? 0.9;
  const pm = opts.mutationProb ?? 1 / n;
  const retries = opts.maxRetries ?? 16;
  const taken = new Set(pop.map((d) => d.key));
  const children: number[][] = [];
  const tournament = (): readonly number[] => {
    const a = rng.int(pop.length);
    let b = rng.int(pop.length - 1);
    if (b >= a) b++;
    const ra = ranking.rank[a] as number, rb = ranking.rank[b] as number;
    const ca = ranking.crowd[a] as number, cb = ranking.crowd[b] as number;
    let winner: number;
    if (ra !== rb) winner = ra < rb ? a : b;
    else if (ca !== cb) winner = ca > cb ? a : b;
    else winner = rng.int(2) === 0 ? a : b;
    return (pop[winner] as Design).genome;
  };
  const mutate = (g: number[]): void => {
    for (let i = 0; i < n; i++) {
      const c = opts.genes[i] as number;
      if (c > 1 && rng.float() < pm) {
        const r = rng.int(c - 1); // a different value, uniformly
        g[i] = r >= (g[i] as number) ? r + 1 : r;
      }
    }
  };
  while (children.length < opts.pop) {
    let pair: number[][] = [];
    for (let attempt = 0; attempt <= retries; attempt++) {
      const p1 = tournament(), p2 = tournament();
      const [c1, c2] = rng.float() < pc ? cross(opts, rng, p1, p2) : [[...p1], [...p2]];
      mutate(c1);
      mutate(c2);
      pair = [canon(c1), canon(c2)];
      const fresh = pair.filter((c) => !taken.has(genomeKey(c)));
      if (fresh.length > 0 || attempt === retries) {
        if (attempt < retries) pair = fresh;
        break;
      }
    }
    for (const c of pair) {
      if (children.length < opts.pop) {
        children.push(c);
        taken.add(genomeKey(c));
      }
    }
  }
  return children;
}

function cross(opts: Nsga2Options, rng: Rng, p1: readonly number[], p2: readonly number[]): [number[], number[]] {
  const n = p1.length;
  const c1 = [...p1], c2 = [...p2];
  if (n < 2) return [c1, c2];
  if (opts.crossover === 'single-point') {
    const cut = 1 + rng.int(n - 1);
    for (let i = cut; i < n; i++) {
      c1[i] = p2[i] as number;
      c2[i] = p1[i] as number;
    }
  } else {
    for (let i = 0; i < n; i++) {
      if (rng.int(2) === 1) {
        c1[i] = p2[i] as number;
        c2[i] = p1[i] as number;
      }
    }
  }
  return [c1, c2];
}

async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}

function toDesign(opts: Nsga2Options, genome: number[], e: Evaluation, generation: number): Design {
  if (e.objectives.length !== opts.objectives || e.objectives.some((v) => Number.isNaN(v)))
    internalError(`evaluator returned objectives [${e.objectives.join(', ')}] for genome [${genome.join(', ')}]; expected ${opts.objectives} numbers`);
  const v = e.violation ?? 0;
  if (Number.isNaN(v)) internalError(`evaluator returned a NaN violation for genome [${genome.join(', ')}]`);
  return { genome, key: genomeKey(genome), objectives: [...e.objectives], violation: v > 0 ? v : 0, generation };
}

function validate(o: Nsga2Options): void {
  const bad = (msg: string): never => {
    throw userError('E_DSE', msg);
  };
  if (o.genes.length === 0) bad('NSGA-II needs at least one gene');
  o.genes.forEach((c, i) => Number.isInteger(c) && c >= 1 ? undefined : bad(`gene ${i} has cardinality ${c}; expected an integer >= 1`));
  if (!(Number.isInteger(o.objectives) && o.objectives >= 1)) bad(`objectives = ${o.objectives}; expected an integer >= 1`);
  if (!(Number.isInteger(o.pop) && o.pop >= 2)) bad(`population ${o.pop}; expected an integer >= 2 (--pop)`);
  if (!(Number.isInteger(o.gen) && o.gen >= 0)) bad(`generations ${o.gen}; expected an integer >= 0 (--gen)`);
  if (!Number.isFinite(o.seed)) bad(`seed ${o.seed}; expected a finite number (--seed)`);
  for (const [name, p] of [['crossoverProb', o.crossoverProb], ['mutationProb', o.mutationProb]] as const)
    if (p !== undefined && !(p >= 0 && p <= 1)) bad(`${name} = ${p}; expected a probability in [0, 1]`);
  if (o.concurrency !== undefined && !(Number.isInteger(o.concurrency) && o.concurrency >= 1)) bad(`concurrency ${o.concurrency}; expected an integer >= 1`);
}

function checkGenome(o: Nsga2Options, g: number[], where: 'initial' | 'canonicalize'): number[] {
  const ok = g.length === o.genes.length && g.every((v, i) => Number.isInteger(v) && v >= 0 && v < (o.genes[i] as number));
  if (ok) return g;
  if (where === 'initial')
    throw userError('E_DSE', `initial genome [${g.join(', ')}] does not fit the genes: expected ${o.genes.length} integers, gene i in [0, cardinality_i) with cardinalities [${o.genes.join(', ')}]`);
  return internalError(`canonicalize returned [${g.join(', ')}], outside the gene ranges [${o.genes.join(', ')}]`);
}

function internalError(msg: string): never {
  throw new Error(`internal error: ${msg}`);
}
