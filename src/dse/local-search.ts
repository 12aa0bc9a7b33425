/** Pareto local search after a genetic search: refine a front by trying every neighbour of its designs.
 *  Why: NSGA-II samples the space; near the part of the front a choice will use, its front can be sparse (two
 *  designs far apart in cost with nothing between), and a single small change of a front design (one gene moved to
 *  an adjacent value) often gives a design that dominates it or fills the gap. Trying all such changes is cheap next
 *  to the genetic search, because a front holds few designs.
 *  Each step: the front designs not yet expanded give all their neighbours; the new ones (canonical form, not in the
 *  archive) are evaluated as one batch with the front before the batch as context, exactly like a generation of
 *  NSGA-II, and added to the archive. It stops after `steps` steps or when every front design has been expanded.
 *  Generic: the caller gives the neighbourhood and the evaluator (which sees nothing but the genome and the context,
 *  so the refinement measures on whatever data the evaluator measures on, never more). Deterministic: no
 *  randomness; batch order follows front order then neighbour order. */
import { genomeKey, type Design, type Evaluation, type EvaluationContext } from './nsga2.js';
import { paretoFront } from './pareto.js';

export interface RefineOptions {
  /** Every design evaluated so far (NSGA-II's archive); the front is taken from it. */
  readonly archive: readonly Design[];
  /** The neighbours of a genome (need not be canonical nor new: both are checked here). */
  readonly neighbours: (genome: readonly number[]) => readonly (readonly number[])[];
  readonly canonicalize: (genome: readonly number[]) => number[];
  readonly evaluate: (genome: readonly number[], ctx: EvaluationContext) => Evaluation | Promise<Evaluation>;
  /** Maximum steps (0: none). */
  readonly steps: number;
  /** Generation number of the first step's designs (NSGA-II's last generation + 1). */
  readonly firstGeneration: number;
  /** Which front designs to expand (default all): e.g. only the feasible, or those in a cost range. */
  readonly expand?: (d: Design) => boolean;
  readonly onStep?: (step: number, added: number, archiveSize: number, front: readonly Design[]) => void;
}

export interface RefineResult {
  /** The given archive followed by the designs the refinement evaluated. */
  readonly archive: readonly Design[];
  readonly front: readonly Design[];
  /** Designs the refinement evaluated. */
  readonly added: number;
  /** Steps that evaluated something. */
  readonly steps: number;
}

export async function refineFront(opts: RefineOptions): Promise<RefineResult> {
  const archive = [...opts.archive];
  const known = new Set(archive.map((d) => d.key));
  const expanded = new Set<string>();
  let added = 0, steps = 0;
  for (let step = 0; step < opts.steps; step++) {
    const front = paretoFront(archive);
    const batch: number[][] = [];
    const queued = new Set<string>();
    for (const d of front) {
      if (expanded.has(d.key) || (opts.expand && !opts.expand(d))) continue;
      expanded.add(d.key);
      for (const n of opts.neighbours(d.genome)) {
        const g = opts.canonicalize(n);
        const key = genomeKey(g);
        if (known.has(key) || queued.has(key)) continue;
        queued.add(key);
        batch.push(g);
      }
    }
    if (batch.length === 0) break;
    const generation = opts.firstGeneration + step;
    const ctx: EvaluationContext = { generation, front };
    // All in flight at once (the evaluator may spread them over workers); results kept in batch order.
    const results = await Promise.all(batch.map((g) => Promise.resolve(opts.evaluate(g, ctx))));
    batch.forEach((genome, i) => {
      const e = results[i]!;
      const v = e.violation ?? 0;
      const key = genomeKey(genome);
      archive.push({ genome, key, objectives: [...e.objectives], violation: v > 0 ? v : 0, generation });
      known.add(key);
    });
    added += batch.length;
    steps++;
    opts.onStep?.(step + 1, batch.length, archive.length, paretoFront(archive));
  }
  return { archive, front: paretoFront(archive), added, steps };
}
