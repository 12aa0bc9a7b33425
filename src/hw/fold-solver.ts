/** The folding solver's optimizer: which tile runs each conv/dense layer and how many multipliers each tile has
 *  (P output channels x S products per cycle), for the fewest multipliers whose cycles meet a target.
 *  It sees the accelerator only as a table: the cycles of every MAC layer at every candidate fold, computed by the
 *  caller from the cycle model (src/hw/fold-plan.ts), plus the cycles that no fold changes. So it cannot disagree
 *  with the cycle model, and it is tested against exhaustive enumeration on small tables.
 *  Why this shape: steps run one after another, so an inference's cycles are the sum of its steps' cycles, and
 *  every tile exists at once, so the multipliers are the sum of the tiles' P x S. For a fixed assignment of layers
 *  to tiles that is a multiple-choice knapsack, solved exactly by merging each tile's Pareto front of (multipliers,
 *  cycles). Assignments are searched greedily: start from one tile per layer and merge the pair of tiles that
 *  saves the most multipliers, while a merge costs none (fewer tiles also mean fewer walkers, serializers and
 *  requantization pipelines); the one-tile assignment is always tried too. */

export interface Fold {
  readonly pe: number;
  readonly simd: number;
}

export interface FoldLayer {
  readonly name: string;
  /** Layers of different keys never share a tile (their multipliers differ). */
  readonly key: string;
  /** A tile the layer must run on (the approximate binding fixed it); layers without one may be regrouped. */
  readonly tile?: number;
  /** Multiply-accumulates of the layer (for utilization). */
  readonly macs: number;
  /** Cycles of the layer's step at each candidate fold (same order as FoldProblem.candidates); Infinity where the
   *  fold cannot run it. */
  readonly cycles: readonly number[];
}

export interface FoldProblem {
  readonly candidates: readonly Fold[];
  readonly layers: readonly FoldLayer[];
  /** Cycles no fold changes: input load, output stream, window, elementwise and copy steps. */
  readonly fixedCycles: number;
  /** Cycles per inference to meet. */
  readonly target: number;
  /** Upper bound on the multipliers of all tiles together. */
  readonly maxMultipliers?: number;
  /** 'multipliers' (default): the fewest multipliers that meet the target. 'cycles': the fewest cycles within
   *  maxMultipliers (the target is then only an upper bound, Infinity for none). */
  readonly objective?: 'multipliers' | 'cycles';
  /** Each tile's utilization (its layers' MACs / their cycles x P x S) at least this: a tile is not allowed to idle
   *  most of its multipliers on some layers to be fast on others. Per tile, so that it stays additive (and the
   *  whole plan's utilization is then at least as high). 0 = none. */
  readonly minUtilization?: number;
}

export interface FoldTile {
  readonly fold: Fold;
  /** Indices into FoldProblem.layers, in layer order. */
  readonly layers: readonly number[];
}

export interface FoldSolution {
  readonly tiles: readonly FoldTile[];
  readonly multipliers: number;
  /** Cycles per inference, fixed cycles included. */
  readonly cycles: number;
  /** Whether it meets the target (and the multiplier bound); else it is the fastest plan found. */
  readonly feasible: boolean;
}

/** One point of a tile's (or tiles') Pareto front: multipliers, cycles, and the candidate picked for the last tile
 *  merged in, with the point of the tiles before it (the picks are read back only for the chosen point: copying
 *  them into every merged point made the merges allocation-bound). */
interface Point {
  readonly cost: number;
  readonly cycles: number;
  readonly pick: number;
  readonly before?: Point;
}

function picksOf(p: Point): number[] {
  const out: number[] = [];
  for (let q: Point | undefined = p; q; q = q.before) out.push(q.pick);
  return out.reverse();
}

export function solveFolding(problem: FoldProblem): FoldSolution {
  const groups = initialGroups(problem);
  const fixed = groups.filter((g) => g.fixed);
  let free = groups.filter((g) => !g.fixed).map((g) => g.layers);
  const evaluate = (freeGroups: readonly (readonly number[])[]) => bestOf(problem, [...fixed.map((g) => g.layers), ...freeGroups]);
  let best = evaluate(free);
  // One tile per key as a second start: the greedy merge may stop early where a single big merge would pay.
  const byKey = new Map<string, number[]>();
  for (const g of free) for (const l of g) byKey.set(problem.layers[l]!.key, [...(byKey.get(problem.layers[l]!.key) ?? []), l]);
  const merged = [...byKey.values()].map((ls) => ls.sort((a, b) => a - b));
  const single = evaluate(merged);
  for (;;) {
    let next: { groups: number[][]; solution: FoldSolution } | undefined;
    for (let i = 0; i < free.length; i++) {
      for (let j = i + 1; j < free.length; j++) {
        if (problem.layers[free[i]![0]!]!.key !== problem.layers[free[j]![0]!]!.key) continue;
        const groupsIJ = free.filter((_, k) => k !== i && k !== j).map((g) => [...g]);
        groupsIJ.push([...free[i]!, ...free[j]!].sort((a, b) => a - b));
        const s = evaluate(groupsIJ);
        if (better(problem, s, next?.solution ?? best)) next = { groups: groupsIJ, solution: s };
      }
    }
    if (!next) break;
    free = next.groups;
    best = next.solution;
  }
  return better(problem, single, best) ? single : best;
}

/** A lower bound on the multipliers of any plan that meets the target: the fewest multipliers c such that the
 *  layers meet it when each may take any fold of at most c multipliers (its own tile, free of charge). A real plan's
 *  largest tile is such a c, and its multipliers are at least its largest tile's. The bound ignores the multiplier
 *  bound and the utilization floor (it relaxes them), so it holds with them too; Infinity when no fold meets it.
 *  The folding plan uses it to skip solves that cannot beat the plan it has (src/hw/fold-plan.ts). */
export function multiplierLowerBound(problem: Omit<FoldProblem, 'maxMultipliers' | 'objective' | 'minUtilization'>): number {
  const order = problem.candidates.map((c, i) => ({ cost: c.pe * c.simd, i })).sort((a, b) => a.cost - b.cost);
  const fastest = problem.layers.map(() => Infinity);
  let sum = Infinity;
  for (let k = 0; k < order.length; k++) {
    const { cost, i } = order[k]!;
    problem.layers.forEach((l, j) => (fastest[j] = Math.min(fastest[j]!, l.cycles[i]!)));
    // Candidates of one cost enter together.
    if (order[k + 1]?.cost === cost) continue;
    sum = fastest.reduce((a, c) => a + c, problem.fixedCycles);
    if (sum <= problem.target) return cost;
  }
  return Infinity;
}

/** Whether a is better than b: feasible first; then by the objective (fewer multipliers, or fewer cycles), then by
 *  the other, then fewer tiles. Infeasible plans compare by cycles. */
function better(problem: FoldProblem, a: FoldSolution, b: FoldSolution): boolean {
  if (a.feasible !== b.feasible) return a.feasible;
  const byCycles = !a.feasible || problem.objective === 'cycles';
  const [a1, b1, a2, b2] = byCycles ? [a.cycles, b.cycles, a.multipliers, b.multipliers] : [a.multipliers, b.multipliers, a.cycles, b.cycles];
  if (a1 !== b1) return a1 < b1;
  if (a.tiles.length !== b.tiles.length) return a.tiles.length < b.tiles.length;
  return a2 < b2;
}

/** Layers grouped by fixed tile (bound layers) or one group per free layer. */
function initialGroups(problem: FoldProblem): { fixed: boolean; layers: number[] }[] {
  const fixedTiles = new Map<number, number[]>();
  const out: { fixed: boolean; layers: number[] }[] = [];
  problem.layers.forEach((l, i) => {
    if (l.tile === undefined) out.push({ fixed: false, layers: [i] });
    else fixedTiles.set(l.tile, [...(fixedTiles.get(l.tile) ?? []), i]);
  });
  for (const [, ls] of [...fixedTiles].sort((a, b) => a[0] - b[0])) out.push({ fixed: true, layers: ls });
  return out;
}

/** The exact best folds of a fixed assignment: the tiles' Pareto fronts merged. Partial sums over the target are
 *  dropped as they come (cycles only add up), which keeps the fronts small; when nothing meets the target the
 *  answer is the fastest plan, each tile at its fastest fold. */
function bestOf(problem: FoldProblem, groups: readonly (readonly number[])[]): FoldSolution {
  const bound = problem.maxMultipliers ?? Infinity;
  const tileFronts = groups.map((g) => tileFront(problem, g));
  // The fewest cycles the tiles after each one can add: a partial sum that misses the target even with them is
  // dropped at once (the answer is the same; the fronts stay small).
  const rest = new Array<number>(groups.length + 1).fill(0);
  for (let t = groups.length - 1; t >= 0; t--) rest[t] = rest[t + 1]! + (tileFronts[t]!.at(-1)?.cycles ?? Infinity);
  let front: Point[] = [{ cost: 0, cycles: problem.fixedCycles, pick: -1 }];
  for (const [t, tf] of tileFronts.entries()) {
    if (front.length === 0) break;
    front = mergeFronts(front, tf, bound, problem.target - rest[t + 1]!);
  }
  // Sorted by cost ascending, cycles descending: the first point is the cheapest that meets the target, the last
  // the fastest within the bound.
  const pick = (problem.objective === 'cycles' ? front.at(-1) : front[0]) ?? fastest(problem, groups);
  if (!pick) return { tiles: [], multipliers: Infinity, cycles: Infinity, feasible: false };
  // The first pick is the start point's (fixed cycles, no tile).
  const picks = picksOf(pick).slice(1);
  const tiles = groups.map((g, t) => ({ fold: problem.candidates[picks[t]!]!, layers: [...g].sort((a, b) => a - b) }));
  tiles.sort((a, b) => a.layers[0]! - b.layers[0]!);
  return { tiles, multipliers: pick.cost, cycles: pick.cycles, feasible: front.length > 0 };
}

/** Every tile at its fastest fold (the fewest multipliers among equally fast ones). */
function fastest(problem: FoldProblem, groups: readonly (readonly number[])[]): Point | undefined {
  let total: Point = { cost: 0, cycles: problem.fixedCycles, pick: -1 };
  for (const g of groups) {
    const f = tileFront(problem, g).at(-1);
    if (!f) return undefined;
    total = { cost: total.cost + f.cost, cycles: total.cycles + f.cycles, pick: f.pick, before: total };
  }
  return total;
}

/** Tile fronts by problem and layer set: the greedy search evaluates the same groups many times. */
const fronts = new WeakMap<FoldProblem, Map<string, Point[]>>();

/** A tile's Pareto front over the candidates: multipliers up, cycles strictly down. */
function tileFront(problem: FoldProblem, layers: readonly number[]): Point[] {
  const cache = fronts.get(problem) ?? new Map<string, Point[]>();
  fronts.set(problem, cache);
  const key = layers.join(',');
  const hit = cache.get(key);
  if (hit) return hit;
  const points: Point[] = [];
  const macs = layers.reduce((a, l) => a + problem.layers[l]!.macs, 0), u = problem.minUtilization ?? 0;
  problem.candidates.forEach((c, i) => {
    const cycles = layers.reduce((a, l) => a + problem.layers[l]!.cycles[i]!, 0);
    if (Number.isFinite(cycles) && macs >= u * cycles * c.pe * c.simd) points.push({ cost: c.pe * c.simd, cycles, pick: i });
  });
  const front = pareto(points);
  cache.set(key, front);
  return front;
}

/** The Pareto front of every sum of a point of `a` and one of `b` within the multiplier bound and the cycle limit.
 *  Both fronts are sorted by cost ascending; multipliers are integers, so the sums go into one bucket per cost
 *  (the fewest cycles, the first pair in (a, b) order on ties, as a stable sort would keep), read back in cost
 *  order: |a| x |b| additions and no sort. */
function mergeFronts(a: readonly Point[], b: readonly Point[], bound: number, limit: number): Point[] {
  if (a.length === 0 || b.length === 0) return [];
  const lo = a[0]!.cost + b[0]!.cost, hi = Math.min(Math.floor(bound), a.at(-1)!.cost + b.at(-1)!.cost);
  if (hi < lo) return [];
  const n = hi - lo + 1;
  const cycles = new Float64Array(n).fill(Infinity);
  const fromA = new Int32Array(n), fromB = new Int32Array(n);
  for (let i = 0; i < a.length; i++) {
    const p = a[i]!;
    for (let j = 0; j < b.length; j++) {
      const q = b[j]!, c = p.cost + q.cost - lo;
      if (c >= n) break;
      const y = p.cycles + q.cycles;
      if (y <= limit && y < cycles[c]!) (cycles[c] = y, fromA[c] = i, fromB[c] = j);
    }
  }
  const out: Point[] = [];
  for (let c = 0; c < n; c++) {
    if (cycles[c]! === Infinity || (out.length > 0 && cycles[c]! >= out.at(-1)!.cycles)) continue;
    const q = b[fromB[c]!]!;
    out.push({ cost: c + lo, cycles: cycles[c]!, pick: q.pick, before: a[fromA[c]!]! });
  }
  return out;
}

/** Points no other point beats in both multipliers and cycles, by multipliers ascending. */
function pareto(points: Point[]): Point[] {
  points.sort((x, y) => x.cost - y.cost || x.cycles - y.cycles);
  const out: Point[] = [];
  for (const p of points) if (out.length === 0 || p.cycles < out.at(-1)!.cycles) out.push(p);
  return out;
}
