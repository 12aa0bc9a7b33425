/** Overlapped steps (--overlap): a step may start before the previous one has finished when it runs on another unit
 *  and the data allow it. The offset from one step's start to the next's is computed here, statically and exactly,
 *  from the two steps' address walks: every unit's schedule is data-independent, so the cycle (counted from the
 *  step's start pulse, cycle 0) in which it presents each read address to a RAM and asserts each write is a closed
 *  form of its loop counters (the walkers of templates/verilog/adq_walker.v.hbs, the copy and elementwise counters).
 *  Rule, for an earlier step E and the next step L (docs/hardware.md, "Overlapped steps"):
 *  - L runs on another unit than E (a tile index is its own unit);
 *  - every memory either touches is a plain RAM (no lane banks, channel regions or stream interleave: those keep the
 *    shared buses of the serial top), and neither is a wide-write step;
 *  - L writes no memory E reads or writes (WAR, WAW), and no memory is read by both (one read port per memory);
 *  - RAW: for every address a of E's output memory that E writes and L reads, L's read cycle comes after E's write
 *    cycle: start_L + r_L(a) >= start_E + w_E(a) + 1 (the RAM registers the write at the end of the write cycle, and
 *    a read in that same cycle returns the old word), so offset >= max_a (w_E(a) + 1 - r_L(a)), at least 1.
 *  Otherwise the offset is E's whole step (serial). At most two steps run at once: a step also waits until the one
 *  before the previous has finished, so start_{i+1} = max(start_i + offset_i, end_{i-1}) (end = start + the step's
 *  cycles, cycles.ts). The input load and the output stream stay serial: the loader follows s_axis_tvalid, whose
 *  stalls no static offset can foresee. */
import { chunkOf, chunkTaps } from './fold.js';
import { laneChannel, type Memory, type Schedule, type Step } from './schedule.js';

/** Cycles from a tile's last tap of an item-position to the write of its lane j: read, multiply, accumulate, the
 *  serializer (lane j leaves it j cycles later), the channel ROM, correction and three requantization stages
 *  (adq_tile: q4_v). */
const TILE_WRITE_DELAY = 8;
/** Window unit: last tap to write (fold, divide, round). */
const WINDOW_WRITE_DELAY = 4;
/** Elementwise unit: read to write. */
const ELTWISE_WRITE_DELAY = 3;
/** Copy unit: read to write. */
const COPY_WRITE_DELAY = 2;

/** Receives one access: the memory, the word address inside it (C order, with the step's base added), the cycle
 *  from the step's start pulse, and the read port (0, or the replica r read by tap lane r; writes: 0). */
export type AccessSink = (mem: number, addr: number, cycle: number, port: number) => void;

/** Every read address whose data the step uses (padding taps and masked tap lanes read nothing), with its cycle. */
export function forEachRead(st: Step, sink: AccessSink): void {
  switch (st.unit) {
    case 'tile':
    case 'window': {
      const g = st.geometry!, tile = st.unit === 'tile';
      const simd = st.simd ?? 1, kc = chunkOf(st.k, simd);
      // A window step of V pipelines walks G planes; pipeline v reads plane v*G + item from replicas v*W + s.
      const pipes = st.windowLanes?.lanes ?? 1, planes = st.windowLanes?.planes ?? st.channels;
      const items = tile ? st.items!.count : planes;
      // Period per item-position: the tile waits for its serializer (max(Kc, P)) unless it writes wide.
      const period = tile && !st.wide ? Math.max(kc, st.pe!) : kc;
      const mem = st.inputs[0]!, base = st.inputBases[0]!;
      const khw = g.kh * g.kw, hw = g.h * g.w;
      const chunks = Array.from({ length: simd }, (_, s) => ({ lane: s, ...chunkTaps(st.k, simd, s) }));
      for (let it = 0; it < items; it++) {
        for (let v = 0; v < pipes; v++) {
          if (!tile && v * planes + it >= st.channels) continue;
          const plane = tile ? Math.floor(it / st.items!.blocks) * st.items!.planeStep : (v * planes + it) * hw;
          for (let oy = 0; oy < g.oh; oy++) {
            for (let ox = 0; ox < g.ow; ox++) {
              const q = (it * g.oh + oy) * g.ow + ox;
              for (const { lane, first, count } of chunks) {
                for (let t = 0; t < count; t++) {
                  const tap = first + t, ci = Math.floor(tap / khw), ky = Math.floor(tap / g.kw) % g.kh, kx = tap % g.kw;
                  const iy = oy * g.sh - g.ph + ky * g.dh, ix = ox * g.sw - g.pw + kx * g.dw;
                  if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.w) continue;
                  sink(mem, base + plane + ci * hw + iy * g.w + ix, 1 + q * period + t, v * simd + lane);
                }
              }
            }
          }
        }
      }
      return;
    }
    case 'eltwise':
      for (let i = 0; i < st.channels; i++) st.inputs.forEach((m, k) => sink(m, st.inputBases[k]! + i, 1 + i, 0));
      return;
    case 'copy': {
      let e = 0;
      for (const seg of st.segments!) {
        walkSegment(seg.dims, seg.rstrides, (off) => sink(st.inputs[seg.port]!, st.inputBases[seg.port]! + seg.rbase + off, 1 + e++, 0));
      }
      return;
    }
  }
}

/** Every write of the step (address inside its output memory, with the output base) and its cycle. */
export function forEachWrite(st: Step, sink: AccessSink): void {
  const mem = st.output, base = st.outputBase;
  switch (st.unit) {
    case 'tile': {
      const it = st.items!, P = st.pe!, kc = chunkOf(st.k, st.simd ?? 1);
      const period = st.wide ? kc : Math.max(kc, P);
      for (let g = 0; g < it.count; g++) {
        const lanes = st.wide ? P : it.mode === 'groups' ? (g === it.count - 1 ? it.lastLanes : P) : g % it.blocks === it.blocks - 1 ? it.lastLanes : P;
        for (let p = 0; p < st.positions; p++) {
          const last = (g * st.positions + p) * period + kc;
          for (let j = 0; j < lanes; j++) {
            const c = laneChannel(st, P, g, j);
            if (c >= 0) sink(mem, base + c * st.positions + p, last + TILE_WRITE_DELAY + (st.wide ? 0 : j), 0);
          }
        }
      }
      return;
    }
    case 'window': {
      // V pipelines (Step.windowLanes) write plane v*G + q div positions of their q-th output in one cycle.
      const kc = chunkOf(st.k, st.simd ?? 1), pipes = st.windowLanes?.lanes ?? 1, n = (st.windowLanes?.planes ?? st.channels) * st.positions;
      for (let q = 0; q < n; q++) {
        for (let v = 0; v < pipes; v++) if (v * n + q < st.channels * st.positions) sink(mem, base + v * n + q, (q + 1) * kc + WINDOW_WRITE_DELAY, 0);
      }
      return;
    }
    case 'eltwise':
      for (let i = 0; i < st.channels; i++) sink(mem, base + i, 1 + i + ELTWISE_WRITE_DELAY, 0);
      return;
    case 'copy': {
      let e = 0;
      for (const seg of st.segments!) walkSegment(seg.dims, seg.wstrides, (off) => sink(mem, base + seg.wbase + off, 1 + e++ + COPY_WRITE_DELAY, 0));
      return;
    }
  }
}

/** C-order walk of a copy segment's index space: the offset sum i_d * stride_d of each element. */
function walkSegment(dims: readonly number[], strides: readonly number[], visit: (offset: number) => void): void {
  const [d0, d1, d2, d3] = dims as [number, number, number, number];
  const [s0, s1, s2, s3] = strides as [number, number, number, number];
  for (let a = 0; a < d0; a++) for (let b = 0; b < d1; b++) for (let c = 0; c < d2; c++) for (let d = 0; d < d3; d++) visit(a * s0 + b * s1 + c * s2 + d * s3);
}

/** Why a step starts where it does relative to the previous one. */
export type OverlapReason = 'raw' | 'independent' | 'same-unit' | 'layout' | 'shared-memory' | 'unmodelled';

export interface StepOffset {
  /** Cycles from the previous step's start to this step's earliest start; the previous step's cycles when serial. */
  readonly offset: number;
  /** Serial: starts when the previous step is done (its done signal, not a count). */
  readonly serial: boolean;
  readonly reason: OverlapReason;
}

const unitKey = (st: Step): string => (st.unit === 'tile' ? `tile${st.tile}` : st.unit);
const plain = (m: Memory): boolean => m.banks === 1 && m.regions === 1 && m.interleave === 1;

/** The earliest start of step L after step E's start (E the step before L), with the rule above; `cyclesE` and
 *  `cyclesL` are the steps' cycles (cycles.ts; E's is the serial offset). */
export function stepOffset(s: Schedule, e: Step, l: Step, cyclesE: number, cyclesL: number): StepOffset {
  const serial = (reason: OverlapReason): StepOffset => ({ offset: cyclesE, serial: true, reason });
  if (unitKey(e) === unitKey(l)) return serial('same-unit');
  if (!walkAgrees(e, cyclesE) || !walkAgrees(l, cyclesL)) return serial('unmodelled');
  const touched = [...e.inputs, e.output, ...l.inputs, l.output];
  if (e.wide || l.wide || !touched.every((m) => plain(s.memories[m]!))) return serial('layout');
  if (e.inputs.includes(l.output) || e.output === l.output || e.inputs.some((m) => l.inputs.includes(m))) return serial('shared-memory');
  if (!l.inputs.includes(e.output)) return { offset: 1, serial: false, reason: 'independent' };
  const offset = rawOffset(s, e, l);
  return offset >= cyclesE ? serial('raw') : { offset, serial: false, reason: 'raw' };
}

/** Whether a step's modelled writes end where the cycle model (cycles.ts) says the step does: its last write in its
 *  last cycle. A unit whose schedule this module does not know (a change to a unit not followed here) fails it, and
 *  its steps then run serially instead of on a wrong offset. */
export function walkAgrees(st: Step, cycles: number): boolean {
  let last = -1;
  forEachWrite(st, (_m, _a, c) => {
    if (c > last) last = c;
  });
  return last === cycles - 1;
}

/** max over the addresses E writes and L reads of w_E(a) + 1 - r_L(a) (at least 1): from the last write cycle of each
 *  address and the first cycle L reads it. */
export function rawOffset(s: Schedule, e: Step, l: Step): number {
  const mem = e.output, words = s.memories[mem]!.size;
  const written = new Float64Array(words).fill(-Infinity);
  forEachWrite(e, (m, a, c) => {
    if (m === mem && c > written[a]!) written[a] = c;
  });
  let offset = 1;
  forEachRead(l, (m, a, c) => {
    if (m !== mem) return;
    const w = written[a]!;
    if (w + 1 - c > offset) offset = w + 1 - c;
  });
  return offset;
}

/** The offset of every step after the first from its predecessor (index i: step i+1 after step i). */
export function stepOffsets(s: Schedule, cycles: readonly number[]): StepOffset[] {
  return s.steps.slice(1).map((l, i) => stepOffset(s, s.steps[i]!, l, cycles[i]!, cycles[i + 1]!));
}

/** Start cycle of every step from the first's (the run's cycle 0) and the run's length (the last step to finish):
 *  start_{i+1} = max(start_i + offset_i, end_{i-1}). */
export function overlapTimeline(cycles: readonly number[], offsets: readonly StepOffset[]): { starts: number[]; run: number } {
  const starts: number[] = [];
  let run = 0;
  cycles.forEach((c, i) => {
    const start = i === 0 ? 0 : Math.max(starts[i - 1]! + offsets[i - 1]!.offset, i >= 2 ? starts[i - 2]! + cycles[i - 2]! : 0);
    starts.push(start);
    run = Math.max(run, start + c);
  });
  return { starts, run };
}
