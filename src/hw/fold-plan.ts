/** The folding solver on a plan: `--target-cycles N` chooses P x S per tile, the tiles' sharing of layers and the
 *  window unit's taps per cycle for the fewest multipliers whose predicted cycles meet N. Cycles come from the cycle
 *  model alone (schedule.ts + cycles.ts at each candidate fold; no simulation), so the plan it prints is the plan
 *  that `adequate verify` then confirms cycle for cycle. The optimizer itself is fold-solver.ts.
 *  Candidates: P from the values where some layer's item count ceil(M / P) changes (up to MAX_PE), S likewise from
 *  ceil(K / S) (up to MAX_SIMD), W from the pooling windows' tap counts. A layer's cycles at (P, S) are its step's at
 *  P (one schedule per P) with the S its step takes at S (one schedule per S: a step may run fewer SIMD lanes than
 *  its tile has), so the tables cost |P| + |S| schedules, not |P| x |S|. */
import { isUserError, userError } from '../errors.js';
import type { Graph } from '../ir/types.js';
import { predictCycles, stepCycles, type InferenceCycles } from './cycles.js';
import { MAX_ELEMENTWISE, MAX_PE, MAX_SIMD, MAX_WINDOW, MAX_WINDOW_LANES, multiplierCount, type Folding } from './fold.js';
import { multiplierLowerBound, solveFolding, type Fold, type FoldProblem, type FoldSolution } from './fold-solver.js';
import { bindMultipliers } from '../passes/bind-multipliers.js';
import { planAccelerator, type AcceleratorPlan, type MacNode } from './plan.js';
import { scheduleAccelerator, type Step } from './schedule.js';
import type { StreamWidth } from './stream.js';

export interface FoldTarget {
  /** Cycles per inference to meet (Infinity: none, with objective 'cycles'). */
  readonly cycles: number;
  /** 'multipliers' (default): the fewest that meet `cycles`; 'cycles': the fastest plan within maxMultipliers. */
  readonly objective?: 'multipliers' | 'cycles';
  /** Bound on the multipliers of all tiles (from --max-dsps, or the user's own). */
  readonly maxMultipliers?: number;
  /** Each tile's utilization at least this (fold-solver.ts); 0 = none. */
  readonly minUtilization?: number;
  /** The stream beats (--stream-width): the load and stream cycles the plan pays (undefined: one code per beat). */
  readonly streamWidth?: StreamWidth;
  /** Wide-write tiles (--wide-write, TileFold.wide): every tile of the plan writes its lanes in one cycle where the
   *  output memory allows it, and the cycles of each candidate are those of wide steps. */
  readonly wideWrite?: boolean;
  /** Elementwise lanes to plan with (Folding.elementwise); undefined: the solver picks them. */
  readonly elementwise?: number;
  /** Window lanes to plan with (Folding.windowLanes); undefined: the solver picks them. */
  readonly windowLanes?: number;
  /** Overlapped steps (--overlap, overlap.ts): the plan must meet `cycles` with its steps overlapped. */
  readonly overlap?: boolean;
}

export interface FoldedLayer {
  readonly name: string;
  readonly tile: number;
  readonly pe: number;
  readonly simd: number;
  readonly cycles: number;
  readonly macs: number;
  readonly utilization: number;
}

export interface FoldedPlan {
  /** The input graph with the chosen tile of every conv/dense layer recorded (attribute `tile`). */
  readonly graph: Graph;
  readonly plan: AcceleratorPlan;
  readonly folding: Folding;
  readonly cycles: InferenceCycles;
  readonly layers: readonly FoldedLayer[];
  readonly multipliers: number;
  readonly target: number;
}

/** The fewest-multiplier folding of `graph`'s accelerator that meets `target`; E_HW (a user error) when no fold
 *  within the bounds meets it, naming the fastest plan's cycles.
 *  With overlapped steps the optimizer still sums the steps (its knapsack needs additive cycles), so the overlap is
 *  counted by a search over the serial target it is given: from the target itself (every serial plan that meets it
 *  meets it overlapped too) up, the slack the overlap leaves added to the serial target while the overlapped plan
 *  still meets the target, bisecting between the last serial target that did and the first that did not, at most
 *  OVERLAP_SOLVES solves; the plan kept is the one with the fewest multipliers (then the fewest cycles) that meets
 *  the target overlapped. A heuristic on top of the exact serial optimizer: it finds the plans the serial optimizer
 *  would choose for some looser target, not every plan the overlap allows. */
export function solveFoldPlan(graph: Graph, target: FoldTarget): FoldedPlan {
  if (!target.overlap || target.objective === 'cycles') return withOverlap(solveSerial(graph, target), target);
  let best = withOverlap(solveSerial(graph, target), target);
  let lo = target.cycles, loSlack = target.cycles - best.cycles.total;
  let hi: number | undefined;
  for (let n = 1; n < OVERLAP_SOLVES; n++) {
    const next = hi === undefined ? lo + loSlack : Math.floor((lo + hi) / 2);
    if (next <= lo || (hi !== undefined && next >= hi)) break;
    let plan: FoldedPlan | undefined;
    try {
      plan = withOverlap(solveSerial(graph, { ...target, cycles: next }), target);
    } catch (e) {
      // A serial target no fold meets (E_HW): treat it as one that misses.
      if (!isUserError(e)) throw e;
      plan = undefined;
    }
    if (plan && plan.cycles.total <= target.cycles) {
      if (plan.multipliers < best.multipliers || (plan.multipliers === best.multipliers && plan.cycles.total < best.cycles.total)) best = plan;
      lo = next;
      loSlack = target.cycles - plan.cycles.total;
    } else hi = next;
  }
  return best;
}

/** Solves of the serial optimizer the overlap search may make (about 0.1 s each on LeNet-5). */
export const OVERLAP_SOLVES = 10;

/** A serial plan with the cycles of its overlapped steps when the target asks for them (the target kept). */
function withOverlap(p: FoldedPlan, target: FoldTarget): FoldedPlan {
  if (!target.overlap) return p;
  return { ...p, cycles: predictCycles(scheduleAccelerator(p.plan, p.folding, target.streamWidth), { overlap: true }), target: target.cycles };
}

function solveSerial(graph: Graph, target: FoldTarget): FoldedPlan {
  if (!((Number.isInteger(target.cycles) && target.cycles > 0) || target.cycles === Infinity)) throw userError('E_USAGE', `--target-cycles ${target.cycles} must be a positive integer`);
  const base = planAccelerator(graph);
  const macLayers = base.layers.filter((l) => l.node.op === 'QConv' || l.node.op === 'QGemm');
  const bound = (l: (typeof macLayers)[number]) => (l.node as MacNode).attrs.tile !== undefined;
  const steps1 = macSteps(scheduleAccelerator(base, 1).steps);
  const peValues = useful(macLayers.map((l) => steps1.get(l.name)!.channels), MAX_PE);
  const simdValues = useful(macLayers.map((l) => steps1.get(l.name)!.k), MAX_SIMD);
  const wide = target.wideWrite ? { wide: true } : {};
  const atPe = new Map(peValues.map((pe) => [pe, macSteps(scheduleAccelerator(base, { tiles: base.tiles.map(() => ({ pe, simd: 1, ...wide })), window: 1 }).steps)]));
  const simdAt = new Map(simdValues.map((simd) => [simd, macSteps(scheduleAccelerator(base, { tiles: base.tiles.map(() => ({ pe: 1, simd })), window: 1 }).steps)]));
  // Depthwise layers read banked memories (one bank per lane) only when every tile has the same P (schedule.ts):
  // such models are solved once per common P, so that each layer's table holds the cycles it really gets.
  const banked = scheduleAccelerator(base, 2).memories.some((m) => m.banks > 1);
  const peSets = banked ? peValues.map((pe) => [pe]) : [peValues];
  const layersOf = (candidates: readonly Fold[]) =>
    macLayers.map((l) => {
      const node = l.node as MacNode;
      return {
        name: l.name,
        key: `${node.attrs.multiplier ?? 'exact'}|${l.weights!.dtype}`,
        ...(bound(l) ? { tile: l.tile! } : {}),
        macs: l.macs,
        cycles: candidates.map((c) => stepCycles({ ...atPe.get(c.pe)!.get(l.name)!, simd: simdAt.get(c.simd)!.get(l.name)!.simd ?? 1 })),
      };
    });
  const windows = useful(base.layers.filter((l) => l.node.op === 'MaxPool' || l.node.op === 'QAveragePool').map((l) => steps1.get(l.name)?.k ?? 1), MAX_WINDOW);
  // The layers' cycle tables depend on the P values only, not on the window taps: built once per set of P.
  const tables = peSets.map((pes) => {
    const candidates = pes.flatMap((pe) => simdValues.map((simd) => ({ pe, simd })));
    // A banked model's elementwise steps into lane-banked memories take P lanes when E >= P: their cycles depend on
    // the common P, so its fixed cycles are those at that P.
    return { candidates, layers: layersOf(candidates), pe: banked ? pes[0]! : 1 };
  });
  // Elementwise lanes: the values where some elementwise step's ceil(N / E) changes.
  // (and, for a banked model, the values of P: an elementwise step into a lane-banked memory takes P lanes when E >= P)
  const elementValues = target.elementwise !== undefined ? [target.elementwise] : [...new Set([...useful(scheduleAccelerator(base, 1).steps.filter((s) => s.unit === 'eltwise').map((s) => s.channels), MAX_ELEMENTWISE), ...(banked ? peValues.filter((pe) => pe <= MAX_ELEMENTWISE) : [])])].sort((a, b) => a - b);
  // Window lanes: the values where some pooling step's ceil(C / V) changes.
  const pools = base.layers.filter((l) => l.node.op === 'MaxPool' || l.node.op === 'QAveragePool').map((l) => steps1.get(l.name)!.channels);
  const vValues = target.windowLanes !== undefined ? [target.windowLanes] : useful(pools, MAX_WINDOW_LANES);
  const laneValues = vValues.length ? vValues : [1];
  type Pick = { solution: FoldSolution; window: number; elementwise: number; windowLanes: number };
  let best: Pick | undefined;
  const eValues = elementValues.length ? elementValues : [1];
  const objective = target.objective ?? 'multipliers';
  // The optimizer's answer depends on a table and the fixed cycles only: (W, V, E) that leave the same fixed cycles
  // (a pool as fast at more taps and fewer planes) share one solve.
  const byFixed = tables.map(() => new Map<number, FoldSolution>());
  for (const window of windows.length ? windows : [1]) {
    const fixed = new Map<string, number>();
    for (const [ti, { candidates, layers, pe }] of tables.entries()) {
      const fixedAt = (v: number, e: number) => fixed.get(`${v},${e},${pe}`) ?? fixed.set(`${v},${e},${pe}`, otherCycles(base, window, e, pe, target.streamWidth, v)).get(`${v},${e},${pe}`)!;
      const solved = new Map<string, Pick>();
      // Whether no plan at (V, E) can have fewer than `than` multipliers (the lower bound of fold-solver.ts): such
      // solves are skipped, which changes no answer (a plan of more multipliers never wins the multipliers
      // objective) and saves most solves of a model solved once per common P.
      const cannotBeat = (windowLanes: number, elementwise: number, than: number) =>
        objective === 'multipliers' && multiplierLowerBound({ candidates, layers, fixedCycles: fixedAt(windowLanes, elementwise), target: target.cycles }) > than;
      const solve = (windowLanes: number, elementwise: number) => {
        const hit = solved.get(`${windowLanes},${elementwise}`);
        if (hit) return hit;
        const fixedCycles = fixedAt(windowLanes, elementwise), known = byFixed[ti]!.get(fixedCycles);
        const problem: FoldProblem = { candidates, layers, fixedCycles, target: target.cycles, ...(target.maxMultipliers !== undefined ? { maxMultipliers: target.maxMultipliers } : {}), minUtilization: target.minUtilization ?? 0, objective };
        const solution = known ?? solveFolding(problem);
        byFixed[ti]!.set(fixedCycles, solution);
        const next = { solution, window, elementwise, windowLanes };
        solved.set(`${windowLanes},${elementwise}`, next);
        return next;
      };
      // The most elementwise and window lanes leave the MAC layers the most cycles: the fewest multipliers (and the
      // fastest plan). Fewer lanes only raise the fixed cycles, so the multipliers a plan needs fall as V or E grows:
      // a binary search finds the smallest V that needs no more at the most E, then one the smallest E at that V
      // (improves prefers them: lanes cost pipelines).
      // At most MAX_WINDOW read lanes in the window unit (V*W, fold.ts).
      const lanesAt = laneValues.filter((v) => v * window <= MAX_WINDOW);
      const vMax = lanesAt.at(-1) ?? 1, eMax = eValues.at(-1)!;
      // The most lanes leave the fewest fixed cycles: when even they cannot beat the best plan, no (V, E) can.
      if (best?.solution.feasible && cannotBeat(vMax, eMax, best.solution.multipliers)) continue;
      let pick = solve(vMax, eMax);
      if (objective === 'multipliers' && pick.solution.feasible) {
        // The smallest value whose plan needs no more multipliers than `pick`; `lanes` maps a value to its (V, E).
        const smallest = (values: readonly number[], lanes: (x: number) => [number, number]): number => {
          const fits = (x: number) => {
            const [v, e] = lanes(x);
            if (cannotBeat(v, e, pick.solution.multipliers)) return false;
            const s = solve(v, e).solution;
            return s.feasible && s.multipliers <= pick.solution.multipliers;
          };
          let lo = 0, hi = values.length - 1;
          while (lo < hi) {
            const mid = (lo + hi) >> 1;
            if (fits(values[mid]!)) hi = mid;
            else lo = mid + 1;
          }
          return values[lo]!;
        };
        const v = lanesAt.length ? smallest(lanesAt, (x) => [x, eMax]) : 1;
        const e = smallest(eValues, (x) => [v, x]);
        const low = solve(v, e);
        if (improves(low, pick, objective)) pick = low;
      }
      // Windows in increasing order: among equal plans the fewest window taps (each costs a replica of the pooled
      // memory).
      if (!best || improves(pick, best, objective)) best = pick;
    }
  }
  const { solution, window, elementwise, windowLanes } = best!;
  if (!solution.feasible) throw userError('E_HW', `no folding of '${base.name}' meets ${target.cycles} cycles per inference${target.maxMultipliers !== undefined ? ` within ${target.maxMultipliers} multipliers` : ''}: the fastest plan found takes ${solution.cycles} cycles with ${solution.multipliers} multipliers; raise the target${target.maxMultipliers !== undefined ? ' or the bound' : ''}${target.wideWrite ? '' : ', or let the Verilog tiles write all their lanes in one cycle (--wide-write)'}`);
  const tileOf = new Map<string, number>();
  solution.tiles.forEach((t, i) => t.layers.forEach((l) => tileOf.set(macLayers[l]!.name, i)));
  // The assignment is recorded in the IR (each conv/dense layer's `tile`, as the approximate binding records it), so
  // the build's copy of the IR, and `adequate verify` planning from it, have the same tiles.
  const tiled = bindMultipliers.run(graph, { layers: new Map(macLayers.map((l) => [l.name, { multiplier: (l.node as MacNode).attrs.multiplier, tile: tileOf.get(l.name)! }])) }).graph;
  const plan = planAccelerator(tiled);
  // planAccelerator numbers tiles in order of first use, as the solution lists them.
  const folding: Folding = { tiles: plan.tiles.map((t) => ({ ...solution.tiles[t.index]!.fold, ...wide })), window, ...(elementwise > 1 ? { elementwise } : {}), ...(windowLanes > 1 ? { windowLanes } : {}) };
  const cycles = predictCycles(scheduleAccelerator(plan, folding, target.streamWidth));
  // The optimizer's sum and the cycle model of the final plan are two computations of one number.
  if (cycles.total !== solution.cycles) throw new Error(`internal error: the folding solver predicted ${solution.cycles} cycles, the cycle model of its plan ${cycles.total}`);
  const byName = new Map(cycles.steps.map((s) => [s.name, s]));
  const foldedLayers = macLayers.map((l): FoldedLayer => {
    const s = byName.get(l.name)!, t = tileOf.get(l.name)!, f = folding.tiles[t]!;
    return { name: l.name, tile: t, pe: f.pe, simd: s.simd ?? f.simd, cycles: s.cycles, macs: s.macs, utilization: s.utilization ?? 0 };
  });
  return { graph: tiled, plan, folding, cycles, layers: foldedLayers, multipliers: multiplierCount(folding), target: target.cycles };
}

/** Whether plan a beats plan b: feasible first, then the objective, then the other measure. Elementwise lanes cost
 *  E pipelines (each with the elementwise unit's adders, QMul product and ROMs): with the multipliers objective the
 *  smallest E whose plan needs no more multipliers wins, before cycles, so that E grows only while the elementwise
 *  steps are what keeps the target from fewer multipliers (on the critical path of the target), not to shave cycles
 *  off a plan that meets it already; with the cycles objective (the fastest plan) E counts after cycles and
 *  multipliers. */
export function improves(a: { solution: FoldSolution; elementwise: number; windowLanes?: number }, b: { solution: FoldSolution; elementwise: number; windowLanes?: number }, objective: 'multipliers' | 'cycles'): boolean {
  const x = a.solution, y = b.solution;
  // Lanes (window pipelines, then elementwise pipelines) count as one measure: fewer is better.
  const av = a.windowLanes ?? 1, bv = b.windowLanes ?? 1;
  const fewerLanes = av !== bv ? av < bv : a.elementwise < b.elementwise;
  if (x.feasible !== y.feasible) return x.feasible;
  if (!x.feasible || objective === 'cycles') return x.cycles < y.cycles || (x.cycles === y.cycles && (x.multipliers < y.multipliers || (x.multipliers === y.multipliers && fewerLanes)));
  if (x.multipliers !== y.multipliers) return x.multipliers < y.multipliers;
  if (a.elementwise !== b.elementwise || av !== bv) return fewerLanes;
  return x.cycles < y.cycles;
}

function macSteps(steps: readonly Step[]): Map<string, Step> {
  return new Map(steps.filter((s) => s.unit === 'tile' || s.unit === 'window').map((s) => [s.layer.name, s]));
}

/** 1..max values v at which ceil(n / v) changes for some n: the only ones worth trying (any other v does the same
 *  work in the same number of items as the next smaller useful value, with more hardware). */
export function useful(ns: readonly number[], max: number): number[] {
  const out = new Set<number>();
  for (const n of ns) {
    for (let items = 1; items <= n; items++) {
      const v = Math.ceil(n / items);
      if (v <= max) out.add(v);
      if (v === 1) break;
    }
  }
  return [...out].sort((a, b) => a - b);
}

/** Cycles of an inference that no tile fold changes (load, stream, window, elementwise and copy steps), with W
 *  window taps per cycle, V window lanes, E elementwise lanes, every tile at P (the lanes of banked memories) and the given stream
 *  beats. */
function otherCycles(plan: AcceleratorPlan, window: number, elementwise: number, pe: number, streamWidth: StreamWidth | undefined, windowLanes = 1): number {
  const c = predictCycles(scheduleAccelerator(plan, { tiles: plan.tiles.map(() => ({ pe, simd: 1 })), window, elementwise, windowLanes }, streamWidth));
  return c.total - c.steps.filter((s) => s.utilization !== undefined).reduce((a, s) => a + s.cycles, 0);
}
