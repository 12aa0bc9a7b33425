/** The cycle model of the Verilog accelerator: the exact clock cycles of every layer step and of one inference, from
 *  the first input beat accepted to the last output beat (input beats back to back, no output back-pressure). The
 *  Verilator testbench counts the same span; verification compares the two for every inference.
 *  The schedule is data-independent, so the count is a closed form per step (docs/hardware.md, "Cycles"):
 *  - MAC tile of L lanes (P in fold.ts) x S products per lane, G items (schedule.ts TileItems: ceil(M / L) for
 *    group 1; group * ceil(M/group / L) with lanes over the channels of a group; ceil(M / L) for a depthwise layer
 *    with lanes over groups), P positions, K taps per output (C/group * KH * KW) walked in S chunks of
 *    Kc = ceil(K / S) taps side by side, period T = max(Kc, L) cycles per item and position (the walker idles
 *    L - Kc cycles after each when Kc < L, so the serializer keeps up):
 *      (G*P - 1)*T + Kc  cycles of taps, then TILE_DRAIN + (lanes busy in the last item) cycles until its last
 *    write (the S products of a lane are added in the multiply stage's register-to-accumulator path, no stage);
 *    a wide step (schedule.ts Step.wide: one post-processing pipeline per lane, the P outputs written in one cycle)
 *    has no serializer to wait for: period T = Kc and the drain is TILE_DRAIN + 1 (the one cycle in which the
 *    serializer stage hands all P sums on, as a serializer with one lane busy does);
 *  - window unit, C planes of P positions, K taps, W taps per cycle: C*P*ceil(K/W) + WINDOW_DRAIN; with V pipelines
 *    (schedule.ts Step.windowLanes) each walks G = ceil(C/V) planes side by side: G*P*ceil(K/W) + WINDOW_DRAIN;
 *  - elementwise unit, N elements, E per cycle (schedule.ts Step.elements): ceil(N / E) + ELTWISE_DRAIN; into a
 *    lane-banked memory of C channels of P positions at L per cycle (Step.eltBanks): ceil(C / L) * P + ELTWISE_DRAIN;
 *  - copy unit, N elements over all its segments (they follow one another without a gap): N + COPY_DRAIN; a Concat
 *    copies only its inputs not placed in its memory (schedule.ts), and one whose inputs are all placed is no step;
 *  each step's count runs from the cycle its start pulse is seen to the cycle the next step's is (or streaming
 *  starts); an inference adds the input beats (ceil(N_in / codes per beat)), the output beats (ceil(N_out / codes
 *  per beat)) and one cycle for the first read of the output.
 *  Overlapped steps (--overlap, overlap.ts): a step starts at max(previous start + its offset, end of the step before
 *  the previous), and the run lasts until the last step to finish; the load and the stream stay serial. */
import { chunkOf, multiplierCount } from './fold.js';
import { overlapTimeline, stepOffsets, type StepOffset } from './overlap.js';
import { groupsOf, type Schedule, type Step } from './schedule.js';

/** Cycles from a tile's last tap to its done: the RAM/ROM read, multiply, accumulate, shadow, channel-ROM read,
 *  zero-point correction and three requantization stages, plus the controller's step change. */
export const TILE_DRAIN = 8;
/** Window unit: read, fold, divide, round and write, plus the step change. */
export const WINDOW_DRAIN = 5;
/** Elementwise unit: counter, read, weighted sum, rounding, write, plus the step change. */
export const ELTWISE_DRAIN = 4;
/** Copy unit: counters, read, write, plus the step change. */
export const COPY_DRAIN = 3;

export interface StepCycles {
  readonly step: number;
  readonly name: string;
  readonly op: string;
  readonly unit: string;
  readonly cycles: number;
  readonly macs: number;
  /** MACs / (cycles x pe x simd) for MAC steps; undefined for others. */
  readonly utilization?: number;
  /** MAC steps: the tile's output channels at once and products per lane per cycle. */
  readonly pe?: number;
  readonly simd?: number;
  /** The bound set by channel grouping alone: M / (ceil(M/L) * L) when K >= L. */
  readonly groupingBound?: number;
}

export interface InferenceCycles {
  readonly lanes: number;
  /** Multipliers of all tiles: sum of pe x simd. */
  readonly multipliers: number;
  readonly load: number;
  readonly steps: readonly StepCycles[];
  readonly stream: number;
  readonly total: number;
  readonly macs: number;
  /** MACs / sum over MAC steps of cycles x pe x simd. */
  readonly macUtilization: number;
  /** Overlapped steps (--overlap): each step's start from the run's first cycle, its offset from the previous step
   *  (index i: step i+1), the run's cycles and what it would take serially (the sum of the steps). */
  readonly overlap?: { readonly starts: readonly number[]; readonly offsets: readonly StepOffset[]; readonly run: number; readonly serialRun: number };
}

export interface CycleOptions {
  /** Steps overlap where the data allow (overlap.ts). */
  readonly overlap?: boolean;
}

/** Cycles of one step; `lanes` is the P of a tile step scheduled without a folding (steps carry their own). */
export function stepCycles(step: Step, lanes?: number): number {
  switch (step.unit) {
    case 'tile': {
      const items = groupsOf(step);
      const kc = chunkOf(step.k, step.simd ?? 1);
      const period = step.wide ? kc : Math.max(kc, step.pe ?? lanes!);
      return (items * step.positions - 1) * period + kc + TILE_DRAIN + (step.wide ? 1 : step.items!.lastLanes);
    }
    case 'window':
      return (step.windowLanes?.planes ?? step.channels) * step.positions * chunkOf(step.k, step.simd ?? 1) + WINDOW_DRAIN;
    case 'eltwise':
      if (step.eltBanks) return Math.ceil(step.eltBanks.channels / step.elements!) * step.eltBanks.positions + ELTWISE_DRAIN;
      return Math.ceil(step.channels / (step.elements ?? 1)) + ELTWISE_DRAIN;
    case 'copy':
      return step.channels + COPY_DRAIN;
    default: {
      const _exhaustive: never = step.unit;
      return _exhaustive;
    }
  }
}

export function predictCycles(s: Schedule, options: CycleOptions = {}): InferenceCycles {
  const L = s.lanes;
  const steps = s.steps.map((st): StepCycles => {
    const cycles = stepCycles(st);
    const broadcast = st.buffer !== st.layer.output;
    const base = { step: st.index, name: broadcast ? `${st.layer.name} (broadcast)` : st.layer.name, op: broadcast ? 'Broadcast' : st.layer.node.op, unit: st.unit === 'tile' ? `tile ${st.tile}` : st.unit, cycles, macs: broadcast ? 0 : st.layer.macs };
    if (st.unit !== 'tile') return base;
    // The tile's multipliers: a depthwise step on banked memory runs simd 1 but its tile still has P x S.
    const fold = s.folding.tiles[st.tile!]!;
    return { ...base, pe: fold.pe, simd: fold.simd, utilization: st.layer.macs / (cycles * fold.pe * fold.simd), groupingBound: st.channels / (groupsOf(st) * fold.pe) };
  });
  // One beat per cycle each way (src/hw/stream.ts): ceil(N_in / B_in) input beats, ceil(N_out / B_out) output beats and
  // the output memory's first read.
  const load = s.stream.input.beats, stream = s.stream.output.beats + 1;
  const macSteps = steps.filter((x) => x.utilization !== undefined);
  const macs = macSteps.reduce((a, x) => a + x.macs, 0);
  const macSlots = macSteps.reduce((a, x) => a + x.cycles * x.pe! * x.simd!, 0);
  const serialRun = steps.reduce((a, x) => a + x.cycles, 0);
  let overlap: InferenceCycles['overlap'];
  if (options.overlap) {
    const cycles = steps.map((x) => x.cycles), offsets = stepOffsets(s, cycles);
    overlap = { ...overlapTimeline(cycles, offsets), offsets, serialRun };
  }
  return {
    lanes: L,
    multipliers: multiplierCount(s.folding),
    load,
    steps,
    stream,
    total: load + (overlap ? overlap.run : serialRun) + stream,
    macs,
    macUtilization: macSlots > 0 ? macs / macSlots : 0,
    ...(overlap ? { overlap } : {}),
  };
}
