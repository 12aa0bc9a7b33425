/** Weight-sharing exploration: NSGA-II (../nsga2.ts) over the index width and granularity of every layer
 *  (./space.ts), minimising top-1 error and weight memory (docs/sharing.md).
 *  Proxy first (./proxy.ts): the first generation (the unshared design, uniform designs, and one-layer designs that
 *  measure each layer's sensitivity) is measured in full; from then on a design is measured only if it could join
 *  the front: its proxy-predicted top-1 plus the proxy's margin must not be beaten by a measured front design of no
 *  more memory. Other designs keep their predicted top-1 (they are dominated by a measured design, so they never
 *  reach the front) and cost no evaluation. A measured design is raced, as in ../approx/explore.ts: measured on 1,
 *  2, 4, ... chunks and stopped once its top-1 plus three standard errors is beaten by a fully measured front design
 *  of no more memory. Decisions use only designs of earlier generations, so the run is deterministic. */
import { runNsga2, type Design, type EvaluationContext } from '../nsga2.js';
import { fitDropModel, type DropModel, type MeasuredPoint } from './proxy.js';
import type { LayerChoice } from './evaluator.js';
import type { ShareSpace } from './space.js';

/** Measures designs (a genome and its layer choices) on chunks of the evaluation set: SharingEvaluator in this
 *  thread, or jobs on a queue (./pool.ts). */
export interface AccuracyRunner {
  readonly chunkCount: number;
  /** Designs of a generation measured at once (default 1: the runner computes in this thread). The search is the
   *  same for any value: a design's decisions only read designs of earlier generations. */
  readonly concurrency?: number;
  evaluate(genome: readonly number[], choices: readonly LayerChoice[], first?: number, last?: number): Score | Promise<Score>;
}

interface Score {
  readonly correct: number;
  readonly count: number;
}

export interface ShareExploreOptions {
  readonly pop: number;
  readonly gen: number;
  readonly seed: number;
  /** Constraint: accuracy drop against the unshared design, in points. */
  readonly maxDrop?: number;
  readonly onGeneration?: (generation: number, generations: number, info: { evaluations: number; measured: number; best: SharedDesign | undefined }) => void;
}

export interface SharedDesign {
  readonly genome: readonly number[];
  /** Option key per layer ('' = not shared; e.g. '4c' = 4-bit indices per channel). */
  readonly keys: readonly string[];
  readonly top1: number;
  /** Measured (true) or predicted by the proxy (false). */
  readonly measured: boolean;
  /** Measured on the whole evaluation set (false: predicted, or stopped early by the racing rule). */
  readonly full: boolean;
  readonly predictedTop1: number | undefined;
  readonly memoryBits: number;
  /** Memory over the unshared design's. */
  readonly relativeMemory: number;
  /** Normalised clustering error per layer. */
  readonly errors: readonly number[];
}

export interface ShareExploreResult {
  readonly exactTop1: number;
  readonly designs: readonly SharedDesign[];
  readonly front: readonly SharedDesign[];
  /** Designs NSGA-II proposed (= archive size). */
  readonly evaluations: number;
  /** Designs measured (the unshared baseline included), on the full set or stopped early by racing, and designs
   *  scored by the proxy alone. */
  readonly accuracyEvaluations: number;
  readonly fullEvaluations: number;
  readonly proxyOnly: number;
  /** Images run through the golden model over the whole search, in evaluation-set equivalents. */
  readonly evaluationSets: number;
  readonly dropModel: DropModel | undefined;
  readonly seconds: number;
}

export async function exploreSharing(space: ShareSpace, runner: AccuracyRunner, opts: ShareExploreOptions): Promise<ShareExploreResult> {
  const t0 = performance.now();
  const L = space.layers.length;
  const choicesOf = (genome: readonly number[]) => space.options(genome).map((o): LayerChoice => ({ key: o.key, shared: o.shared }));
  let images = 0, accuracyEvaluations = 1, fullEvaluations = 1;
  const measure = async (genome: readonly number[], choices: readonly LayerChoice[], first: number, last: number) => {
    const r = await runner.evaluate(genome, choices, first, last);
    images += r.count;
    return r;
  };
  const unshared = Array<number>(2 * L).fill(0);
  const exact = await measure(unshared, choicesOf(unshared), 0, runner.chunkCount);
  const exactTop1 = exact.correct / exact.count;
  const decoded = new Map<string, SharedDesign & { generation: number }>();
  const models = new Map<number, DropModel>();
  const fullFront = (ctx: EvaluationContext) => ctx.front.map((d) => decoded.get(d.key)).filter((d): d is SharedDesign & { generation: number } => d !== undefined && d.full);
  // The proxy for generation g, fitted on the designs fully measured in earlier generations that lose at most four
  // times the allowed drop (at least 1 point): the region the front lives in. Far worse designs (1-bit layers) would
  // only bend a linear fit and inflate its margin; the proxy still predicts large drops for them.
  const relevantDrop = Math.max(0.01, (4 * (opts.maxDrop ?? 0.5)) / 100);
  const modelFor = (generation: number): DropModel => {
    let m = models.get(generation);
    if (!m) {
      const points: MeasuredPoint[] = [...decoded.values()].filter((d) => d.full && d.generation < generation && exactTop1 - d.top1 <= relevantDrop).map((d) => ({ errors: d.errors, drop: exactTop1 - d.top1 }));
      models.set(generation, (m = fitDropModel(points, L, 1 / exact.count)));
    }
    return m;
  };
  // Racing: 1, 2, 4, ... chunks; stop when a fully measured front design with no more memory beats the upper bound.
  const race = async (genome: readonly number[], choices: readonly LayerChoice[], memoryBits: number, ctx: EvaluationContext) => {
    const rivals = fullFront(ctx).filter((f) => f.memoryBits <= memoryBits);
    let correct = 0, count = 0, done = 0;
    for (let stage = 1; ; stage = Math.min(2 * stage, runner.chunkCount)) {
      const r = await measure(genome, choices, done, stage);
      [correct, count, done] = [correct + r.correct, count + r.count, stage];
      if (done >= runner.chunkCount) return { top1: correct / count, full: true };
      const p = correct / count;
      const upper = p + 3 * Math.sqrt(Math.max(p * (1 - p), 1 / count) / count);
      if (rivals.some((f) => f.top1 > upper)) return { top1: p, full: false };
    }
  };
  const evaluate = async (genome: readonly number[], ctx: EvaluationContext) => {
    const options = space.options(genome);
    const memoryBits = options.reduce((s, o) => s + o.bits, 0);
    const relativeMemory = memoryBits / space.plainBits;
    const errors = options.map((o) => o.error);
    let predictedTop1: number | undefined, measured = true;
    if (ctx.generation > 0) {
      const model = modelFor(ctx.generation);
      predictedTop1 = exactTop1 - model.predict(errors);
      const optimistic = predictedTop1 + model.margin;
      measured = !fullFront(ctx).some((f) => f.memoryBits <= memoryBits && f.top1 > optimistic);
    }
    let top1 = predictedTop1 ?? exactTop1, full = false;
    if (measured) {
      await new Promise((resolve) => setImmediate(resolve)); // measuring is synchronous: let timers and I/O run between designs
      ({ top1, full } = await race(genome, options.map((o) => ({ key: o.key, shared: o.shared })), memoryBits, ctx));
      accuracyEvaluations++;
      if (full) fullEvaluations++;
    }
    decoded.set(genome.join(','), { genome, keys: options.map((o) => o.key), top1, measured, full, predictedTop1, memoryBits, relativeMemory, errors, generation: ctx.generation });
    const drop = 100 * (exactTop1 - top1);
    return { objectives: [1 - top1, relativeMemory], violation: opts.maxDrop !== undefined ? Math.max(0, drop - opts.maxDrop) : 0 };
  };
  const result = await runNsga2({
    genes: space.genes,
    objectives: 2,
    evaluate,
    pop: opts.pop,
    gen: opts.gen,
    seed: opts.seed,
    initial: seeds(space),
    canonicalize: (g) => space.canonicalize(g),
    concurrency: runner.concurrency ?? 1,
    onGeneration: (info) => {
      const front = info.front.map((d: Design) => decoded.get(d.key)!).filter((d) => d.full);
      opts.onGeneration?.(info.generation, info.generations, { evaluations: info.evaluations, measured: accuracyEvaluations, best: smallestWithin(front, exactTop1, opts.maxDrop ?? 0.5) });
    },
  });
  const designs = result.archive.map((d) => decoded.get(d.key)!);
  const front = result.front.map((d) => decoded.get(d.key)!).filter((d) => d.full).sort((a, b) => a.memoryBits - b.memoryBits);
  return {
    exactTop1, designs, front, evaluations: result.evaluations, accuracyEvaluations, fullEvaluations, proxyOnly: designs.filter((d) => !d.measured).length,
    evaluationSets: +(images / exact.count).toFixed(2),
    dropModel: models.get(Math.max(...models.keys())), seconds: (performance.now() - t0) / 1000,
  };
}

/** The first generation: the unshared design, every uniform index width at the first granularity (and at 2 to 4
 *  bits at the others), and one-layer designs (2 and 4 bits) that measure each layer's sensitivity. */
function seeds(space: ShareSpace): number[][] {
  const L = space.layers.length;
  const uniform = (bits: number, g: number) => Array.from({ length: 2 * L }, (_, i) => (i % 2 === 0 ? bits : g));
  const out = [Array<number>(2 * L).fill(0)];
  for (let b = 1; b <= space.maxBits; b++) out.push(uniform(b, 0));
  for (let g = 1; g < space.granularities.length; g++) for (const b of [2, 3, 4]) if (b <= space.maxBits) out.push(uniform(b, g));
  for (let l = 0; l < L; l++)
    for (const b of [2, 4]) {
      if (b > space.maxBits) continue;
      const g = Array<number>(2 * L).fill(0);
      g[2 * l] = b;
      out.push(g);
    }
  return out;
}

/** The smallest-memory design that loses at most `maxDrop` points against the unshared design. */
export function smallestWithin(designs: readonly SharedDesign[], exactTop1: number, maxDrop: number): SharedDesign | undefined {
  return designs.filter((d) => d.full && 100 * (exactTop1 - d.top1) <= maxDrop + 1e-9).sort((a, b) => a.memoryBits - b.memoryBits || b.top1 - a.top1)[0];
}
