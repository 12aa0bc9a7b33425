/** The Verilog emitter's view: every number the templates print (widths, configuration-table rows, memory sizes),
 *  computed from the schedule (src/hw/schedule.ts). Pure: no files. */
import { userError } from '../../errors.js';
import { groupsOf, type Schedule, type Step, type WindowGeometry } from '../../hw/schedule.js';
import { chunkOf, chunkTaps, elementRate } from '../../hw/fold.js';
import type { MacNode } from '../../hw/plan.js';
import type { ClipNode } from '../../hw/plan.js';
import { walkSteps } from '../../hw/layout.js';
import type { QAveragePoolNode, QMulNode, QSumNode, QTableNode, QThresholdNode } from '../../ir/types.js';
import { isBipolar } from '../../ir/bipolar.js';

export type MultiplierKind = 'exact' | 'netlist' | 'table';

/** Bits that hold every value in [0, n] as an unsigned number (at least 1). */
export function bitsFor(n: number): number {
  return Math.max(1, Math.ceil(Math.log2(n + 1)));
}

/** Address bits of a memory of `depth` words (at least 1). */
export function addressBits(depth: number): number {
  return Math.max(1, Math.ceil(Math.log2(depth)));
}

export interface RomView {
  readonly file: string;
  readonly depth: number;
  readonly aw: number;
}

export interface WalkerConfig {
  readonly outer: number; readonly oh: number; readonly ow: number; readonly cin: number; readonly kh: number; readonly kw: number;
  readonly ktot: number; readonly idle: number; readonly p: number; readonly lastLanes: number;
  /** Items per input-plane advance, the plane advance, the channel-base advance within and after a plane group, and
   *  whether the lanes run over groups (each lane its own bank). */
  readonly blocks: number; readonly planeStep: number; readonly obFull: number; readonly obLast: number; readonly overGroups: 0 | 1;
  readonly h: number; readonly w: number; readonly ph: number; readonly pw: number; readonly phe: number; readonly pwe: number;
  readonly sh: number; readonly sw: number; readonly dh: number; readonly dw: number;
  readonly shw: number; readonly dhw: number; readonly phw: number; readonly hw: number;
  /** Tap lanes (SIMD lanes of a tile, taps of the window unit): each chunk's first tap, its address terms and its
   *  tap count (`ktot` is the chunk length Kc). */
  readonly taps: readonly TapStart[];
}

export interface TapStart {
  readonly lane: number;
  readonly ci: number; readonly ky: number; readonly kx: number;
  readonly cio: number; readonly kyo: number; readonly kyow: number; readonly kxo: number;
  readonly n: number;
}

/** Where each of `lanes` tap lanes starts walking the K = c*kh*kw taps of an output, in chunks (fold.ts). */
export function tapStarts(g: WindowGeometry, k: number, simd: number, lanes: number): TapStart[] {
  return Array.from({ length: lanes }, (_, s) => {
    const { first, count } = chunkTaps(k, simd, s);
    const t = count > 0 ? first : 0;
    const ci = Math.floor(t / (g.kh * g.kw)), ky = Math.floor(t / g.kw) % g.kh, kx = t % g.kw;
    return { lane: s, ci, ky, kx, cio: ci * g.h * g.w, kyo: ky * g.dh, kyow: ky * g.dh * g.w, kxo: kx * g.dw, n: count };
  });
}

/** Walker configuration of a tile step (outer loop = channel groups) or a window step (outer loop = planes);
 *  `tapLanes` = the unit's tap lanes (a tile's S, the window unit's W). */
export function walkerConfig(step: Step, lanes: number, tapLanes = 1): WalkerConfig {
  const g: WindowGeometry = step.geometry!;
  const tile = step.unit === 'tile';
  const outer = tile ? groupsOf(step) : step.windowLanes?.planes ?? step.channels;
  const it = step.items;
  const planes = tile
    ? { blocks: it!.mode === 'groups' ? 1 : it!.blocks, planeStep: it!.planeStep, obFull: lanes, obLast: it!.mode === 'groups' ? lanes : it!.lastLanes, overGroups: (it!.mode === 'groups' ? 1 : 0) as 0 | 1 }
    : { blocks: 1, planeStep: g.h * g.w, obFull: 1, obLast: 1, overGroups: 0 as const };
  const simd = step.simd ?? 1, kc = chunkOf(step.k, simd);
  return {
    outer, oh: g.oh, ow: g.ow, cin: g.c, kh: g.kh, kw: g.kw, ktot: kc,
    // The walker idles so that the serializer keeps up; a wide step writes all lanes at once (no serializer wait).
    idle: tile && !step.wide ? Math.max(0, lanes - kc) : 0, p: step.positions, lastLanes: tile ? it!.lastLanes : 0, ...planes,
    h: g.h, w: g.w, ph: g.ph, pw: g.pw, phe: g.phe, pwe: g.pwe, sh: g.sh, sw: g.sw, dh: g.dh, dw: g.dw,
    shw: g.sh * g.w, dhw: g.dh * g.w, phw: g.ph * g.w, hw: g.h * g.w,
    taps: tapStarts(g, step.k, simd, Math.max(tapLanes, simd)),
  };
}

/** Widths shared by every module: NW (addresses, counters, signed offsets), DW (a code as a signed number). */
export function designWidths(s: Schedule): { nw: number; dw: number } {
  let big = 1;
  // Buffer sizes too: an interleaved memory's `size` is per bank, but its readers address all its codes.
  for (const m of s.memories) big = Math.max(big, m.size, m.interleave > 1 ? m.buffer.size : 0);
  for (const step of s.steps) {
    if (!step.geometry) continue;
    const c = walkerConfig(step, step.pe ?? s.lanes);
    const g = step.unit === 'tile' ? groupsOf(step) : 1;
    const { taps, ...scalars } = c;
    // A window step's V pipelines read up to V*G planes (the last one's planes past C included).
    if (step.windowLanes) big = Math.max(big, step.windowLanes.lanes * step.windowLanes.planes * step.geometry.h * step.geometry.w);
    big = Math.max(big, ...Object.values(scalars).map(Math.abs), ...taps.flatMap((t) => [t.cio, t.kyow, t.n]), c.h + c.phe, c.w + c.pwe, c.ktot * g, step.channels * step.positions, step.channels + s.lanes);
  }
  // The elementwise unit's counter runs up to N + E.
  for (const step of s.steps) if (step.unit === 'eltwise') big = Math.max(big, step.channels + elementRate(s.folding));
  const nw = bitsFor(big) + 2;
  if (nw > 30) throw userError('E_HW', `'${s.plan.name}' needs ${nw}-bit addresses; the Verilog units support buffers and weight memories of up to 2^28 words`);
  // One bit above the widest code's signed width, so every code extends with a non-empty replication.
  const dw = Math.max(...s.memories.map((m) => m.bits + (m.signed ? 0 : 1))) + 1;
  return { nw, dw: Math.max(dw, 10) };
}

/** A tile's weight format: bits per weight code in the ROM and whether codes are two's complement. Codes narrower
 *  than 8 bits (QONNX models: 1 to 7-bit weights) are stored at their own width, `wBits` of the widest layer.
 *  Bipolar weights (every code -1 or +1, BipolarQuant) take one bit: 1 = -1, 0 = +1; a lane then negates or passes
 *  the activation instead of multiplying. */
export function weightFormat(steps: readonly Step[]): { wb: number; signed: boolean; bipolar: boolean } {
  const dtypes = new Set(steps.map((st) => st.layer.weights!.dtype));
  const bipolar = steps.every((st) => isBipolar(st.layer.node as MacNode, st.layer.weights!));
  if (bipolar) return { wb: 1, signed: true, bipolar };
  const bits = Math.max(...steps.map((st) => (st.layer.node as MacNode).attrs.wBits));
  if (dtypes.size === 1 && dtypes.has('uint8')) return { wb: Math.min(8, bits), signed: false, bipolar };
  if (dtypes.size === 1 && dtypes.has('int8')) return { wb: Math.min(8, bits), signed: true, bipolar };
  return { wb: 17, signed: true, bipolar };
}

/** How a tile decodes a shared layer's weights: each lane has a codebook table addressed by {row, index}; the row
 *  is the channel group (channel granularity; kernel granularity on dense layers), the (group, input channel) pair
 *  (kernel granularity on convolutions), or absent (one codebook for the layer or network). */
export type CodebookRows = 'single' | 'group' | 'kernel';

export interface SharedView {
  readonly granularity: string;
  readonly indexBits: number;
  readonly rows: CodebookRows;
  /** Per multiplier j = p*S + s: its lane's table and the Verilog expression of the row (empty for 'single'); the
   *  row's bits, the table depth and the lane file prefix. */
  readonly decode: readonly { j: number; p: number; s: number; row: string }[];
  readonly rowBits: number;
  readonly depth: number;
  readonly prefix: string;
}

export function codebookRows(step: Step): CodebookRows | undefined {
  const s = (step.layer.node as MacNode).attrs.sharing;
  if (!s) return undefined;
  if (s.granularity === 'network' || s.granularity === 'layer') return 'single';
  return s.granularity === 'kernel' && step.layer.node.op === 'QConv' ? 'kernel' : 'group';
}

/** Rows of each lane's codebook table. */
export function codebookRowCount(step: Step): number {
  const rows = codebookRows(step);
  return rows === 'single' ? 1 : rows === 'group' ? groupsOf(step) : groupsOf(step) * step.geometry!.c;
}

export interface TileSlotView {
  readonly slot: number;
  readonly shared: SharedView | false;
  readonly name: string;
  readonly cfg: WalkerConfig;
  readonly za: number; readonly zo: number; readonly lo: number; readonly hi: number;
  readonly halfEven: 0 | 1;
  readonly wrom: RomView;
  readonly crom: RomView;
  /** A wide step (schedule.ts Step.wide): its channel ROM holds one word of L lanes' constants per item, read at
   *  the item (sh_outer) instead of the channel. */
  readonly wide: 0 | 1;
}

export function tileSlotView(step: Step, lanes: number, simd = 1): TileSlotView {
  const a = (step.layer.node as MacNode).attrs;
  const cfg = walkerConfig(step, lanes, simd);
  const rows = codebookRows(step);
  let shared: SharedView | false = false;
  if (rows && a.sharing) {
    const rowBits = rows === 'single' ? 0 : addressBits(codebookRowCount(step));
    shared = {
      granularity: a.sharing.granularity,
      indexBits: a.sharing.indexBits,
      rows,
      decode: Array.from({ length: lanes * simd }, (_, j) => {
        const sl = j % simd;
        return { j, p: Math.floor(j / simd), s: sl, row: rows === 'single' ? '' : `${rows === 'group' ? 'outer1' : `krow1_${sl}`}[${rowBits - 1}:0]` };
      }),
      rowBits,
      depth: 2 ** (rowBits + a.sharing.indexBits),
      prefix: `rtl/mem/cb_s${step.index}_l`,
    };
  }
  return {
    slot: step.slot,
    shared,
    name: step.layer.name,
    cfg,
    za: a.aZeroPoint, zo: a.outZeroPoint, lo: a.lo, hi: a.hi,
    halfEven: a.rounding === 'half-even' ? 1 : 0,
    wrom: { file: `rtl/mem/w_s${step.index}.hex`, depth: cfg.outer * cfg.ktot, aw: addressBits(cfg.outer * cfg.ktot) },
    crom: step.wide ? { file: `rtl/mem/c_s${step.index}.hex`, depth: cfg.outer, aw: addressBits(cfg.outer) } : { file: `rtl/mem/c_s${step.index}.hex`, depth: step.channels, aw: addressBits(step.channels) },
    wide: step.wide ? 1 : 0,
  };
}

export interface WindowSlotView {
  readonly slot: number;
  readonly name: string;
  readonly cfg: WalkerConfig;
  readonly z: number;
  readonly avg: 0 | 1;
  readonly countPad: 0 | 1;
  readonly halfEven: 0 | 1;
  /** Read offset of each window pipeline (Step.windowLanes): v*G*H*W. */
  readonly offsets: readonly { v: number; off: number }[];
}

export function windowSlotView(step: Step, lanes: number, taps = 1, pipelines = 1): WindowSlotView {
  const node = step.layer.node;
  const avg = node.op === 'QAveragePool' ? (node as QAveragePoolNode) : undefined;
  const g = step.geometry!, planes = step.windowLanes?.planes ?? 0;
  return {
    slot: step.slot,
    name: step.layer.name,
    // Pipeline v's read offset: v*G planes (0 for every pipeline of a step that runs on one).
    offsets: Array.from({ length: pipelines }, (_, v) => ({ v, off: v * planes * g.h * g.w })),
    cfg: walkerConfig(step, lanes, taps),
    z: avg ? avg.attrs.zeroPoint : 0,
    avg: avg ? 1 : 0,
    countPad: avg?.attrs.countIncludePad ? 1 : 0,
    halfEven: avg?.attrs.rounding === 'half-even' ? 1 : 0,
  };
}

export interface EltwiseSlotView {
  readonly slot: number;
  readonly name: string;
  readonly n: number;
  readonly table: 0 | 1;
  /** QMul: the product of the two centred inputs times `mant`, shifted by `shift` (= 31 + its shift). */
  readonly mul: 0 | 1;
  readonly mant: number;
  readonly halfEven: 0 | 1;
  readonly shift: number;
  readonly zo: number; readonly lo: number; readonly hi: number; readonly inMin: number;
  /** One term per input port (unused ports: z = 0, m = 0). */
  readonly terms: readonly { z: number; m: number }[];
  readonly rom: RomView;
  /** Positions per channel of a banked output (its word advances by this per L channels); 0 when not banked. */
  readonly plane: number;
  /** QThreshold: channel walk (inner elements per channel, channels), the threshold ROM (one word per channel:
   *  {direction is -1, T[L-1], ..., T[0]}, TW-bit thresholds), and the output code of each count 0..L. */
  readonly thresh: 0 | 1;
  readonly inner: number;
  readonly chans: number;
  readonly threshold?: { readonly rom: RomView; readonly width: number; readonly levels: readonly number[]; readonly countBits: number; readonly outs: readonly number[] };
  /** Elements per cycle of this layer (schedule.ts Step.elements). */
  readonly elements: number;
  /** Each lane's channel walk: where lane e starts (element e: inner = e mod inner, chan = (e div inner) mod chans)
   *  and how far every lane advances per cycle (E elements: r = E mod inner, q = (E div inner) mod chans). */
  readonly laneStarts: readonly { e: number; inner: number; chan: number }[];
  readonly advance: { r: number; q: number };
  /** Lanes the layer uses (e < its elements per cycle) and, channel-major into a lane-banked memory (Step.eltBanks:
   *  `bw`), each lane's address offset e * positions, the address step per group of L channels (L * positions), the
   *  channels and L. */
  readonly lanes: readonly { e: number; on: 0 | 1; off: number }[];
  readonly bw: 0 | 1;
  readonly gstep: number;
  readonly ctot: number;
  readonly glanes: number;
}

/** A layer's channel walk on `lanes` lanes taking E (its elements per cycle) elements per cycle. */
function laneWalk(e: number, lanes: number, inner: number, chans: number): Pick<EltwiseSlotView, 'laneStarts' | 'advance' | 'elements'> {
  return {
    elements: e,
    laneStarts: Array.from({ length: lanes }, (_, l) => ({ e: l, inner: l < e ? l % inner : 0, chan: l < e ? Math.floor(l / inner) % chans : 0 })),
    advance: { r: e % inner, q: Math.floor(e / inner) % chans },
  };
}

export function eltwiseSlotView(step: Step, ports: number, plane: number, tw = 0, lanes = 1): EltwiseSlotView {
  const view = eltwiseSlotBase(step, ports, plane, tw);
  const e = step.elements ?? 1, bw = step.eltBanks;
  const laneList = Array.from({ length: lanes }, (_, l) => ({ e: l, on: (l < e ? 1 : 0) as 0 | 1, off: bw && l < e ? l * bw.positions : 0 }));
  if (bw) {
    // Channel-major: one cycle per (group of L channels, position); the counter counts cycles, one per cycle.
    const groups = Math.ceil(bw.channels / e);
    return { ...view, n: groups * bw.positions, ...laneWalk(1, lanes, view.inner, view.chans), lanes: laneList, bw: 1, gstep: e * bw.positions, ctot: bw.channels, glanes: e };
  }
  return { ...view, ...laneWalk(e, lanes, view.inner, view.chans), lanes: laneList, bw: 0, gstep: 0, ctot: 0, glanes: 0 };
}

function eltwiseSlotBase(step: Step, ports: number, plane: number, tw: number): Omit<EltwiseSlotView, 'laneStarts' | 'advance' | 'elements' | 'lanes' | 'bw' | 'gstep' | 'ctot' | 'glanes'> {
  const node = step.layer.node as QSumNode | QMulNode | QTableNode | ClipNode | QThresholdNode;
  const base = { slot: step.slot, name: step.layer.name, n: step.channels, mul: 0 as const, mant: 0, plane, thresh: 0 as const, inner: 1, chans: 1 };
  const idle = Array.from({ length: ports }, () => ({ z: 0, m: 0 }));
  if (node.op === 'QThreshold') {
    const shape = thresholdShape(step);
    const L = shape.levels, idle2 = { table: 0 as const, halfEven: 0 as const, shift: 0, zo: 0, lo: 0, hi: 0, inMin: 0, terms: idle, rom: { file: '', depth: 1, aw: 1 } };
    return {
      ...base, ...idle2, thresh: 1, inner: shape.inner, chans: shape.chans,
      threshold: {
        rom: { file: `rtl/mem/h_s${step.index}.hex`, depth: shape.chans, aw: addressBits(shape.chans) },
        width: L * tw + 1, levels: Array.from({ length: L }, (_, j) => j), countBits: bitsFor(L),
        outs: Array.from({ length: L + 1 }, (_, j) => node.attrs.outBase + node.attrs.outStep * j),
      },
    };
  }
  if (node.op === 'QTable') {
    const entries = node.attrs.table.length;
    return { ...base, table: 1, halfEven: 0, shift: 0, zo: 0, lo: 0, hi: 0, inMin: node.attrs.inMin, terms: idle, rom: { file: `rtl/mem/t_s${step.index}.hex`, depth: entries, aw: addressBits(entries) } };
  }
  if (node.op === 'QMul') {
    const a = node.attrs;
    if (31 + a.shift < 0) throw userError('E_HW', `layer '${step.layer.name}' (QMul) scales its products up by 2^${-(31 + a.shift)}; the Verilog elementwise unit only shifts right`);
    const terms = idle.map((t, i) => (i < 2 ? { z: a.zeroPoints[i]!, m: 0 } : t));
    // |(a - za) * (b - zb) * m| < 2^67 (17-bit centred codes, 31-bit mantissa), so a shift from 72 on rounds to 0.
    return { ...base, mul: 1, mant: a.mantissa, table: 0, halfEven: a.rounding === 'half-even' ? 1 : 0, shift: Math.min(31 + a.shift, 72), zo: a.outZeroPoint, lo: a.lo, hi: a.hi, inMin: 0, terms, rom: { file: '', depth: 1, aw: 1 } };
  }
  if (node.op === 'Clip') {
    // A clamp on codes: the weighted sum of one term x * 1, shifted by 0, saturated to the code bounds.
    const terms = idle.map((t, i) => (i === 0 ? { z: 0, m: 1 } : t));
    return { ...base, table: 0, halfEven: 0, shift: 0, zo: 0, lo: node.attrs.min!, hi: node.attrs.max!, inMin: 0, terms, rom: { file: '', depth: 1, aw: 1 } };
  }
  const a = node.attrs;
  const terms = idle.map((t, i) => (i < a.multipliers.length ? { z: a.zeroPoints[i]!, m: a.multipliers[i]! } : t));
  // |sum| < 2^44, so any shift from 48 on rounds to 0 (adq_round_shift needs t <= W).
  return { ...base, table: 0, halfEven: a.rounding === 'half-even' ? 1 : 0, shift: Math.min(a.shift, 48), zo: a.outZeroPoint, lo: a.lo, hi: a.hi, inMin: 0, terms, rom: { file: '', depth: 1, aw: 1 } };
}

/** A QThreshold step's channel walk (elements per channel run, channels) and threshold levels. */
export function thresholdShape(step: Step): { inner: number; chans: number; levels: number } {
  const t = step.layer.thresholds!;
  return { inner: t.inner, chans: t.chans, levels: t.values.shape[1]! };
}

export interface CopySegmentView {
  readonly id: number;
  readonly name: string;
  readonly port: number;
  readonly count: number;
  readonly d1: number; readonly d2: number; readonly d3: number;
  readonly rbase: number; readonly r0: number; readonly r1: number; readonly r2: number; readonly r3: number;
  readonly wbase: number; readonly w0: number; readonly w1: number; readonly w2: number; readonly w3: number;
  readonly last: 0 | 1;
}

/** The copy unit's rows: each step's first segment, and every segment (numbered across steps) with its address steps. */
export function copyView(steps: readonly Step[]): { slots: { slot: number; name: string; first: number }[]; segments: CopySegmentView[] } {
  const segments: CopySegmentView[] = [];
  const slots = steps.map((st) => {
    const first = segments.length;
    const list = st.segments!;
    list.forEach((seg, i) => {
      const { rstep, wstep } = walkSteps(seg);
      segments.push({
        id: segments.length, name: `${st.layer.name}${list.length > 1 ? ` input ${seg.port}` : ''}${st.buffer !== st.layer.output ? ' (broadcast)' : ''}`, port: seg.port, count: seg.count,
        d1: seg.dims[1]!, d2: seg.dims[2]!, d3: seg.dims[3]!,
        rbase: seg.rbase, r0: rstep[0]!, r1: rstep[1]!, r2: rstep[2]!, r3: rstep[3]!,
        wbase: seg.wbase, w0: wstep[0]!, w1: wstep[1]!, w2: wstep[2]!, w3: wstep[3]!,
        last: i === list.length - 1 ? 1 : 0,
      });
    });
    return { slot: st.slot, name: st.layer.name, first };
  });
  return { slots, segments };
}
