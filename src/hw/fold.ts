/** How far the accelerator's units unroll (FINN's folding, hls4ml's reuse factor): each MAC tile has P x S
 *  multipliers, P output channels at once (`pe`, the lanes of --lanes) and S products per lane per cycle (`simd`,
 *  the taps of an output split into S chunks walked side by side); the window unit takes W taps per cycle. The
 *  schedule (schedule.ts), the cycle model (cycles.ts) and both emitters read one Folding, so they cannot disagree.
 *  Chunked taps: an output's K taps are cut into S chunks of Kc = ceil(K / S); SIMD lane s walks taps
 *  [s*Kc, min(K, (s+1)*Kc)), one per cycle, and its taps past K are masked (product and activation 0). */
import { userError } from '../errors.js';
import type { AcceleratorPlan } from './plan.js';

export interface TileFold {
  /** Output channels computed at once (lanes). */
  readonly pe: number;
  /** Products per lane per cycle (taps of one output walked side by side). */
  readonly simd: number;
  /** Wide write (--wide-write): the tile writes its P lanes' outputs in one cycle, one post-processing pipeline per
   *  lane, at one word of the P banks of its output memory (split by channel region, schedule.ts Memory.regions, or
   *  a lane-banked depthwise input, Memory.banks), so a step's period is Kc instead of max(Kc, P). Only the steps whose output memory allows it write wide (schedule.ts wideOutputs);
   *  the others serialize as before. Absent = false. */
  readonly wide?: boolean;
}

export interface Folding {
  /** Per plan tile index (length = plan.tiles.length). */
  readonly tiles: readonly TileFold[];
  /** Taps per cycle of the window unit (1 = one tap per cycle). */
  readonly window: number;
  /** Elements per cycle of the elementwise unit (QSum, QMul, Clip, QTable, QThreshold): E parallel pipelines, each
   *  reading its own replica of the input memories, writing E consecutive C-order codes per cycle into an output
   *  memory interleaved by address (schedule.ts Step.elements). Absent = 1. */
  readonly elementwise?: number;
  /** Output planes per cycle of the window unit (MaxPool, QAveragePool): V pipelines, pipeline v walking planes
   *  [v*G, (v+1)*G) (G = ceil(C/V)) with W tap lanes each (V*W replicas of the pooled memory), writing one word of
   *  each bank of an output memory split by plane region (schedule.ts Step.windowLanes). Absent = 1. */
  readonly windowLanes?: number;
}

/** Bounds of each factor: a tile's P x S multipliers, the window unit's taps. */
export const MAX_PE = 256;
export const MAX_SIMD = 64;
export const MAX_WINDOW = 64;
export const MAX_ELEMENTWISE = 16;
export const MAX_WINDOW_LANES = 16;

const checkFactor = (what: string, v: number, max: number): void => {
  if (!(Number.isInteger(v) && v >= 1 && v <= max)) throw userError('E_HW', `${what} ${v} must be an integer from 1 to ${max}`);
};

/** The same P x S on every tile, W taps in the window unit and E elements per cycle in the elementwise unit. */
export function uniformFolding(plan: AcceleratorPlan, pe: number, simd = 1, window = 1, wide = false, elementwise = 1, windowLanes = 1): Folding {
  checkFactor('pe (lanes)', pe, MAX_PE);
  checkFactor('simd', simd, MAX_SIMD);
  checkFactor('window taps', window, MAX_WINDOW);
  checkFactor('elementwise lanes', elementwise, MAX_ELEMENTWISE);
  checkFactor('window lanes', windowLanes, MAX_WINDOW_LANES);
  checkWindowPorts(window, windowLanes);
  return { tiles: plan.tiles.map(() => ({ pe, simd, ...(wide ? { wide } : {}) })), window, ...(elementwise > 1 ? { elementwise } : {}), ...(windowLanes > 1 ? { windowLanes } : {}) };
}

/** Elements per cycle of the elementwise unit (1 when the folding does not say). */
export function elementRate(f: Folding): number {
  return f.elementwise ?? 1;
}

/** The window unit's read lanes, V pipelines of W taps, each a replica of the pooled memory: at most MAX_WINDOW in
 *  all (the bound of W alone), so that the replicas stay a memory's handful, not hundreds. */
function checkWindowPorts(window: number, lanes: number): void {
  if (window * lanes > MAX_WINDOW) throw userError('E_HW', `window lanes ${lanes} x window taps ${window} = ${window * lanes} read ports of the pooled memory; at most ${MAX_WINDOW}: lower --window-lanes or --window-taps`);
}

/** Output planes per cycle of the window unit (1 when the folding does not say). */
export function windowLaneRate(f: Folding): number {
  return f.windowLanes ?? 1;
}

/** Checks a folding against a plan (one fold per tile, factors in range). */
export function checkFolding(plan: AcceleratorPlan, f: Folding): Folding {
  if (f.tiles.length !== plan.tiles.length) throw userError('E_HW', `the folding has ${f.tiles.length} tile(s); the plan of '${plan.name}' has ${plan.tiles.length}`);
  f.tiles.forEach((t, i) => {
    checkFactor(`tile ${i}: pe`, t.pe, MAX_PE);
    checkFactor(`tile ${i}: simd`, t.simd, MAX_SIMD);
  });
  checkFactor('window taps', f.window, MAX_WINDOW);
  checkFactor('elementwise lanes', elementRate(f), MAX_ELEMENTWISE);
  checkFactor('window lanes', windowLaneRate(f), MAX_WINDOW_LANES);
  checkWindowPorts(f.window, windowLaneRate(f));
  return f;
}

/** Taps per chunk when K taps are split over S lanes. */
export function chunkOf(k: number, simd: number): number {
  return Math.ceil(k / simd);
}

/** The taps SIMD lane s walks: [first, first + count), count 0 when K is too short for it. */
export function chunkTaps(k: number, simd: number, s: number): { first: number; count: number } {
  const kc = chunkOf(k, simd);
  const first = s * kc;
  return { first, count: Math.max(0, Math.min(k, first + kc) - first) };
}

/** SIMD lanes that walk at least one tap: ceil(K / Kc). */
export function busyChunks(k: number, simd: number): number {
  return Math.ceil(k / chunkOf(k, simd));
}

/** The folding as build.json records it. */
export function foldingRecord(f: Folding): { tiles: { pe: number; simd: number; wide?: boolean }[]; window: number; elementwise: number; windowLanes: number } {
  return { tiles: f.tiles.map((t) => ({ pe: t.pe, simd: t.simd, ...(t.wide ? { wide: true } : {}) })), window: f.window, elementwise: elementRate(f), windowLanes: windowLaneRate(f) };
}

/** Multipliers of a folding: sum over tiles of P x S. */
export function multiplierCount(f: Folding): number {
  return f.tiles.reduce((a, t) => a + t.pe * t.simd, 0);
}
