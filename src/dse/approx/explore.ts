/** ALWANN exploration: NSGA-II over tile multipliers and the layer-to-tile assignment of a quantized network,
 *  minimising top-1 error and multiplier energy (arXiv 1907.07229; docs/approx.md).
 *  Genome: T genes (the library index of each tile's multiplier) then N genes (the tile of each layer). Canonical form
 *  (so equivalent designs share one archive entry): ordered mode sorts the layer tiles (consecutive layers share a
 *  tile, tiles in network order); tiles are relabelled in order of first use, tiles with the same multiplier merged,
 *  unused tiles set to the exact multiplier. Racing: a design is measured on 1, 2, 4, ... chunks of the evaluation set
 *  and stopped as soon as its error, minus three standard errors, is beaten by a fully measured front design of no
 *  more energy (docs/approx.md). With `refine`, a Pareto local search follows (src/dse/local-search.ts): one tile's
 *  multiplier one step along the cost order, or one layer moved, measured on the same search images. */
import { runNsga2, type Design, type EvaluationContext } from '../nsga2.js';
import { refineFront } from '../local-search.js';
import { nonDominatedSort } from '../pareto.js';
import type { LayerBinding } from '../../passes/bind-multipliers.js';
import { meanProductError, weightMap, type Compensation, type WeightUpdateMode } from './weight-update.js';
import type { DesignRunner, DesignScore } from './pool.js';

export interface Candidate {
  /** Library id; the first candidate is the exact multiplier (bound as "no multiplier"). */
  readonly id: string;
  readonly signed: boolean;
  readonly relativePower: number;
  readonly table: Int32Array;
}

export interface LayerInfo {
  readonly name: string;
  readonly macs: number;
  /** Activation-code histogram of the layer's input (index a & 255), for histogram-weighted weight updates. */
  readonly histogram: Float64Array;
  /** The layer's weight code range. */
  readonly weightRange: [number, number];
}

export interface ExploreOptions {
  readonly tiles: number;
  readonly mode: 'free' | 'ordered';
  readonly pop: number;
  readonly gen: number;
  readonly seed: number;
  readonly weightUpdate: WeightUpdateMode;
  /** Constraint: accuracy drop against the exact design, in percentage points. */
  readonly maxDrop?: number;
  readonly maxEnergy?: number;
  /** Steps of Pareto local search after NSGA-II (0: none; docs/approx.md). */
  readonly refine?: number;
  readonly onGeneration?: (generation: number, generations: number, evaluations: number, best: ExploredDesign | undefined) => void;
  /** After every refinement step. */
  readonly onRefineStep?: (step: number, steps: number, evaluations: number, best: ExploredDesign | undefined) => void;
  /** After every measured design (the first generation alone measures every seed: tens of seconds). */
  readonly onDesign?: (designs: number) => void;
}

export interface ExploredDesign {
  readonly genome: readonly number[];
  /** Library index per layer (0 = exact). */
  readonly perLayer: readonly number[];
  readonly tiles: readonly number[];
  readonly layerTile: readonly number[];
  readonly top1: number;
  /** Mean over the measured samples of the squared difference between the design's output and the exact design's
   *  (0 for the exact design): how far the design strays, measured on every sample. */
  readonly outputError: number;
  readonly relativeEnergy: number;
  /** Measured on the whole evaluation set (false: rejected on the subset). */
  readonly full: boolean;
}

export interface ExploreResult {
  readonly exactTop1: number;
  readonly designs: readonly ExploredDesign[];
  readonly front: readonly ExploredDesign[];
  /** The exact design (every layer exact), a seed of the first generation: the reference, which may not be on the
   *  front when an approximate design measures as well. */
  readonly exact: ExploredDesign;
  readonly evaluations: number;
  readonly fullEvaluations: number;
  /** What the local search after NSGA-II did: its steps, the designs it evaluated, and how many of the final front
   *  are among them. */
  readonly refinement: { readonly steps: number; readonly designs: number; readonly frontDesigns: number };
  readonly seconds: number;
}

/** Standard errors of the racing rule's confidence bounds (docs/approx.md). */
const RACING_SIGMAS = 3;

export function canonicalize(genome: readonly number[], tiles: number, mode: 'free' | 'ordered'): number[] {
  const mults = genome.slice(0, tiles);
  let layerTile = genome.slice(tiles);
  if (mode === 'ordered') layerTile = [...layerTile].sort((a, b) => a - b);
  // Merge tiles with the same multiplier, then relabel tiles in order of first use.
  const byMult = new Map<number, number>();
  const merged = layerTile.map((t) => {
    const m = mults[t]!;
    if (!byMult.has(m)) byMult.set(m, t);
    return byMult.get(m)!;
  });
  const relabel = new Map<number, number>();
  for (const t of merged) if (!relabel.has(t)) relabel.set(t, relabel.size);
  const newMults = new Array<number>(tiles).fill(0);
  for (const [old, fresh] of relabel) newMults[fresh] = mults[old]!;
  return [...newMults, ...merged.map((t) => relabel.get(t)!)];
}

export function relativeEnergy(perLayer: readonly number[], layers: readonly LayerInfo[], library: readonly Candidate[]): number {
  const total = layers.reduce((s, l) => s + l.macs, 0);
  return layers.reduce((s, l, i) => s + l.macs * library[perLayer[i]!]!.relativePower, 0) / total;
}

export async function explore(runner: DesignRunner, layers: readonly LayerInfo[], library: readonly Candidate[], opts: ExploreOptions): Promise<ExploreResult> {
  const t0 = performance.now();
  const T = opts.tiles, N = layers.length;
  const exact = await runner.evaluate(Array<number>(N).fill(0));
  const exactTop1 = exact.correct / exact.count;
  const decoded = new Map<string, ExploredDesign>();
  let fullEvaluations = 0;
  const evaluate = async (genome: readonly number[], ctx: EvaluationContext) => {
    const tiles = genome.slice(0, T), layerTile = genome.slice(T);
    const perLayer = layerTile.map((t) => tiles[t]!);
    const energy = relativeEnergy(perLayer, layers, library);
    // Racing in stages (1, 2, 4, ... chunks, then all): after each stage, stop if a fully measured design of an
    // earlier generation with no more energy beats the error's lower bound (three standard errors); comparing only
    // with earlier generations keeps the outcome independent of completion order.
    // Two more reasons to stop early, both independent of other designs: the design breaks --max-energy (energy
    // needs no measurement; one stage gives its error for the constraint ranking), or its error's lower bound
    // already breaks --max-drop (it is infeasible for sure, and infeasible designs are ranked by how much they
    // violate, which the partial estimate gives).
    const overEnergy = opts.maxEnergy !== undefined && energy > opts.maxEnergy;
    let full = true, correct = 0, count = 0, outputError = 0, done = 0;
    for (let stage = 1; ; stage = Math.min(2 * stage, runner.chunkCount)) {
      const r = await runner.evaluate(perLayer, stage, done);
      [correct, count, outputError, done] = [correct + r.correct, count + r.count, outputError + r.outputError, stage];
      if (done >= runner.chunkCount) break;
      const e = 1 - correct / count;
      const margin = RACING_SIGMAS * Math.sqrt(Math.max(e * (1 - e), 1 / count) / count);
      const lower = e - margin;
      const surelyInfeasible = opts.maxDrop !== undefined && 100 * (exactTop1 - (1 - lower)) > opts.maxDrop;
      if (overEnergy || surelyInfeasible || ctx.front.some((d) => decoded.get(d.key)?.full && d.objectives[1]! <= energy && d.objectives[0]! < lower)) {
        full = false;
        break;
      }
    }
    const r: DesignScore = { correct, count, outputError };
    if (full) fullEvaluations++;
    const top1 = r.correct / r.count;
    decoded.set(genome.join(','), { genome, perLayer, tiles, layerTile, top1, outputError: r.outputError / r.count, relativeEnergy: energy, full });
    opts.onDesign?.(decoded.size);
    const drop = 100 * (exactTop1 - top1);
    const violation = (opts.maxDrop !== undefined ? Math.max(0, drop - opts.maxDrop) : 0) + (opts.maxEnergy !== undefined ? Math.max(0, energy - opts.maxEnergy) : 0);
    return { objectives: [1 - top1, energy], violation };
  };
  // Seeds: the exact design and every single-multiplier design (all layers on tile 0).
  const initial = library.map((_, m) => [m, ...Array<number>(T - 1).fill(0), ...Array<number>(N).fill(0)]);
  const result = await runNsga2({
    genes: [...Array<number>(T).fill(library.length), ...Array<number>(N).fill(T)],
    objectives: 2,
    evaluate,
    pop: opts.pop,
    gen: opts.gen,
    seed: opts.seed,
    initial,
    canonicalize: (g) => canonicalize(g, T, opts.mode),
    onGeneration: (info) => {
      const best = bestWithin(info.front.map((d: Design) => decoded.get(d.key)!).filter((d) => d.full), exactTop1, opts.maxDrop ?? 0.5);
      opts.onGeneration?.(info.generation, info.generations, info.evaluations, best);
    },
  });
  // Pareto local search around the front (src/dse/local-search.ts): the same evaluator, so the same search images
  // and racing rule; the designs join the archive before the front is taken.
  const order = powerOrder(library);
  const refined = await refineFront({
    archive: result.archive,
    neighbours: (g) => designNeighbours(g, T, order),
    canonicalize: (g) => canonicalize(g, T, opts.mode),
    evaluate,
    steps: opts.refine ?? 0,
    firstGeneration: result.generations + 1,
    onStep: (step, _added, evaluations, front) => {
      const best = bestWithin(front.map((d) => decoded.get(d.key)!).filter((d) => d.full), exactTop1, opts.maxDrop ?? 0.5);
      opts.onRefineStep?.(step, opts.refine ?? 0, evaluations, best);
    },
  });
  const designs = refined.archive.map((d) => decoded.get(d.key)!);
  const front = refined.front.map((d) => decoded.get(d.key)!).filter((d) => d.full).sort((a, b) => a.relativeEnergy - b.relativeEnergy);
  const fromNsga2 = new Set(result.archive.map((d) => d.key));
  const refinement = { steps: refined.steps, designs: refined.added, frontDesigns: front.filter((d) => !fromNsga2.has(d.genome.join(','))).length };
  const exactDesign = decoded.get(Array<number>(T + N).fill(0).join(','))!;
  return { exactTop1, designs, front, exact: exactDesign, evaluations: refined.archive.length, fullEvaluations, refinement, seconds: (performance.now() - t0) / 1000 };
}

/** Library indices from the lowest to the highest cost (ties by index). */
export function powerOrder(library: readonly Candidate[]): number[] {
  return library.map((_, i) => i).sort((a, b) => library[a]!.relativePower - library[b]!.relativePower || a - b);
}

/** The designs one small change away from `genome` (not canonical, possibly repeated): a used tile's multiplier
 *  replaced by the next cheaper or next costlier one of the library (`order`: indices by cost); one layer moved to
 *  another tile (an unused tile holds the exact multiplier); one layer moved to an unused tile holding the
 *  multiplier next to its own in cost (a layer gets its own step of accuracy without moving its tile-mates). */
export function designNeighbours(genome: readonly number[], tiles: number, order: readonly number[]): number[][] {
  const mults = genome.slice(0, tiles), layerTile = genome.slice(tiles);
  const rank = new Map(order.map((m, r) => [m, r]));
  const adjacent = (m: number) => [order[rank.get(m)! - 1], order[rank.get(m)! + 1]].filter((x): x is number => x !== undefined);
  const used = new Set(layerTile);
  const unused = mults.map((_, t) => t).find((t) => !used.has(t));
  const out: number[][] = [];
  for (const t of used)
    for (const m of adjacent(mults[t]!)) out.push([...mults.map((x, k) => (k === t ? m : x)), ...layerTile]);
  layerTile.forEach((t, i) => {
    for (let u = 0; u < tiles; u++) if (u !== t) out.push([...mults.map((x, k) => (k === u && !used.has(u) ? 0 : x)), ...layerTile.map((x, j) => (j === i ? u : x))]);
    if (unused !== undefined)
      for (const m of adjacent(mults[t]!)) out.push([...mults.map((x, k) => (k === unused ? m : x)), ...layerTile.map((x, j) => (j === i ? unused : x))]);
  });
  return out;
}

/** Weight maps and product errors of (layer, multiplier, compensation), computed once per search. */
export type BindingCache = Map<string, Pick<LayerBinding, 'weightMap' | 'productError'>>;

/** The layer bindings of a design (library index per layer), compensated as `compensation` asks: weight maps and,
 *  with `bias`, the product errors of the updated weights (bias correction, weight-update.ts), over the layer's
 *  activation histogram. */
export function designBindings(perLayer: readonly number[], layers: readonly LayerInfo[], library: readonly Candidate[], compensation: Compensation, cache: BindingCache = new Map(), layerTile?: readonly number[]): Map<string, LayerBinding> {
  const { weights, bias } = compensation;
  return new Map(layers.map((l, i): [string, LayerBinding] => {
    const c = library[perLayer[i]!]!;
    const tile = layerTile ? { tile: layerTile[i]! } : {};
    if (perLayer[i] === 0) return [l.name, { multiplier: undefined, ...tile }];
    const key = `${l.name}|${c.id}|${weights}|${bias}`;
    let found = cache.get(key);
    if (!found) {
      const map = weights === 'none' ? undefined : weightMap(c.table, c.signed, weights === 'histogram' ? l.histogram : undefined, l.weightRange);
      const productError = bias ? meanProductError(c.table, c.signed, l.histogram, map) : undefined;
      cache.set(key, (found = { ...(map ? { weightMap: map } : {}), ...(productError ? { productError } : {}) }));
    }
    return [l.name, { multiplier: c.id, ...found, ...tile }];
  }));
}

/** The choice's candidates by output error: among the fully measured approximate designs that cost less than the
 *  exact one and lose at most `maxDrop` points on the search images, those no other design beats in both energy and
 *  output error; of them, one per energy band (ratio^(k+1), ratio^k] (the one of least output error), most energy
 *  first. Why output error, not the search top-1: top-1 on a few hundred search images cannot tell a cheap design
 *  that flips many images one way and as many the other from a safe one, and a search that keeps the best-looking
 *  designs keeps the lucky ones; every sample adds to the output error, so designs ordered by it are ordered by how
 *  far they stray from the exact design, which the fixed-sequence test needs (the likeliest to pass first). */
export function outputErrorLadder(designs: readonly ExploredDesign[], exactTop1: number, maxDrop: number, ratio: number): ExploredDesign[] {
  const feasible = designs.filter((d) => d.full && d.perLayer.some((m) => m !== 0) && d.relativeEnergy < 1 && 100 * (exactTop1 - d.top1) <= maxDrop + 1e-9);
  const front = nonDominatedSort(feasible.map((d) => ({ objectives: [d.outputError, d.relativeEnergy] })))[0] ?? [];
  const best = new Map<number, ExploredDesign>();
  for (const d of front.map((i) => feasible[i]!)) {
    // On the front, less error means more energy: no two designs tie on error unless they tie on energy too.
    const band = Math.floor(Math.log(d.relativeEnergy) / Math.log(ratio));
    const b = best.get(band);
    if (!b || d.outputError < b.outputError) best.set(band, d);
  }
  return [...best.values()].sort((a, b) => b.relativeEnergy - a.relativeEnergy);
}

/** The lowest-energy design that loses at most `maxDrop` points against the exact design on the search images: the
 *  search's own view, shown while it runs. The design a user gets is chosen on other images (src/dse/selection.ts). */
export function bestWithin(designs: readonly ExploredDesign[], exactTop1: number, maxDrop: number): ExploredDesign | undefined {
  return designs.filter((d) => 100 * (exactTop1 - d.top1) <= maxDrop + 1e-9).sort((a, b) => a.relativeEnergy - b.relativeEnergy || b.top1 - a.top1)[0];
}
