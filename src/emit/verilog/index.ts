/** Verilog emitter: writes the tiled accelerator of a plan (docs/hardware.md) into a build folder:
 *  rtl/ (the design, from templates/verilog/), rtl/mem/ ($readmemh ROM contents), tb/ (the Verilator C++ harness and
 *  an Icarus Verilog testbench, from testbenches/), verilator.f, Makefile, adequate.core (FuseSoC) and synth.ys. */
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { userError } from '../../errors.js';
import { yieldToSignals } from '../../io/atomic-dir.js';
import { hostInterface, interfaceLines } from '../../hw/interface.js';
import type { StreamWidth } from '../../hw/stream.js';
import type { AcceleratorPlan } from '../../hw/plan.js';
import { groupsOf, scheduleAccelerator, type Schedule, type Step } from '../../hw/schedule.js';
import { getMultiplier, toVerilog, type Multiplier } from '../../multipliers/index.js';
import type { QTableNode } from '../../ir/types.js';
import { multiplierKind as sharedKind } from '../multiplier-impl.js';
import type { MultiplierImpl } from '../build-dir.js';
import { activationTableRom, thresholdRom, channelRom, multiplierRom, sharedRoms, weightRomPieces } from './memories.js';
import { render } from './render.js';
import { chunkOf, type Folding } from '../../hw/fold.js';
import { predictCycles } from '../../hw/cycles.js';
import type { StepOffset } from '../../hw/overlap.js';
import { bitsFor, codebookRows, copyView, designWidths, eltwiseSlotView, tileSlotView, weightFormat, windowSlotView, type MultiplierKind } from './view.js';

export interface VerilogOptions {
  readonly lanes: number;
  /** P x S per tile and the window unit's taps (fold.ts); absent: `lanes` lanes, one product per lane per cycle. */
  readonly folding?: Folding;
  readonly part: string;
  readonly clockNs: number;
  readonly multiplierImpl: MultiplierImpl;
  readonly library?: string;
  /** Bits per stream beat (src/hw/stream.ts); undefined: one code per beat. */
  readonly streamWidth?: StreamWidth;
  /** Overlapped steps (--overlap, src/hw/overlap.ts): a step starts before the previous one has finished where it
   *  runs on another unit and the data allow it; absent or false: one step after another. */
  readonly overlap?: boolean;
}

/** Name of the top module and of the Verilator model's executable. */
export const TOP_MODULE = 'adequate_top';
export const SIM_BINARY = 'Vadequate_top';

/** The design's Verilog files in compile order (relative to the build folder), for a schedule's units. */
function designFiles(tiles: readonly TileView[], hasWindow: boolean, hasEltwise: boolean, hasCopy: boolean): string[] {
  return [
    'rtl/adq_ram.v', 'rtl/adq_rom.v', 'rtl/adq_round_shift.v', 'rtl/adq_walker.v', 'rtl/adq_requant.v',
    ...tiles.filter((t) => t.multiplier === 'netlist').map((t) => `rtl/${t.moduleName}.v`),
    ...tiles.map((t) => `rtl/adq_tile_${t.index}.v`),
    ...(hasWindow ? ['rtl/adq_window.v'] : []),
    ...(hasEltwise ? ['rtl/adq_eltwise.v'] : []),
    ...(hasCopy ? ['rtl/adq_copy.v'] : []),
    'rtl/adequate_top.v',
  ];
}

interface TileView {
  readonly index: number;
  readonly lanes: number;
  readonly laneList: readonly number[];
  /** SIMD lanes S (products per lane per cycle), S > 1, S - 1 extra read ports, and the multipliers p*S + s. */
  readonly simd: number;
  readonly multi: boolean;
  readonly simdX: number;
  readonly simdList: readonly number[];
  readonly macList: readonly { p: number; sl: number; j: number; id: string }[];
  readonly laneTerms: readonly { p: number; terms: readonly { sl: number; j: number; id: string }[] }[];
  readonly multipliers: number;
  readonly nw: number;
  readonly dw: number;
  readonly slotBits: number;
  readonly multiplier: MultiplierKind;
  readonly multiplierText: string;
  readonly moduleName: string;
  readonly tableFile: string;
  readonly signed: boolean;
  readonly wb: number;
  readonly ws: number;
  readonly bipolar: boolean;
  readonly chanWidth: number;
  /** Bits of an exact product of a DW-bit activation and a WB-bit weight when weights are narrower than 8 bits (a
   *  narrower multiplier than the 32-bit one); 0 = the 32-bit product. */
  readonly productBits: number;
  readonly slots: ReturnType<typeof tileSlotView>[];
  readonly record?: Multiplier;
  /** Some layer runs lanes over groups (a wide read port, one activation sum per lane). */
  readonly depthwise: boolean;
  /** Some layer writes a banked memory (word and lane outputs). */
  readonly bankWriter: boolean;
  readonly wideWriter: boolean;
  /** Writes a word address beside the C-order one (bank writer or wide writer). */
  readonly wordWriter: boolean;
  readonly laneList1: readonly number[];
  readonly laneListDesc: readonly number[];
  readonly laneBits: number;
}

function multiplierKind(id: string | undefined, impl: MultiplierImpl, library: string | undefined): { kind: MultiplierKind; record?: Multiplier } {
  if (id === undefined) return { kind: 'exact' };
  const record = getMultiplier(id, library);
  if (impl === 'netlist' && !record.netlist) throw userError('E_HW', `multiplier '${id}' has no gate-level netlist in the library; emit with --mult-impl table (or auto)`);
  const kind = sharedKind(record, impl, 0) as 'table' | 'netlist';
  const [lo, hi] = record.signed ? [-32768, 32767] : [0, 65535];
  for (const p of record.table) if (p < lo || p > hi) throw userError('E_MULT', `multiplier '${id}' has a product ${p} outside the 16-bit ${record.signed ? 'signed' : 'unsigned'} range; the hardware multiplier output is 16 bits`);
  return { kind, record };
}

/** The build's synthesis script without DSP48 cells (`adequate synth --no-dsp`): every multiplier in LUTs. */
export const NODSP_SCRIPT = 'synth-nodsp.ys';

export interface VerilogDesign {
  readonly schedule: Schedule;
  readonly files: Map<string, string>;
  /** Files too long to hold as one string (the weight ROMs: a VGG-19's largest is 25 M words), as their text in
   *  pieces, computed while they are written. */
  readonly streamed: Map<string, () => Iterable<Uint8Array>>;
}

/** Everything the build folder holds, as (relative path, text) pairs. Pure apart from reading the templates and
 *  the multiplier library. */
export function verilogDesign(plan: AcceleratorPlan, options: VerilogOptions): VerilogDesign {
  const s = scheduleAccelerator(plan, options.folding ?? options.lanes, options.streamWidth);
  if (plan.input.bits > 8) throw userError('E_HW', `the input codes of '${plan.name}' have ${plan.input.bits} bits; the input stream carries 8-bit codes (quantize the input to 8 bits)`);
  const { nw, dw } = designWidths(s);
  const files = new Map<string, string>();
  const streamed = new Map<string, () => Iterable<Uint8Array>>();
  const stepsOf = (pred: (st: Step) => boolean) => s.steps.filter(pred);
  const slotCount = Math.max(1, ...[...new Set(s.steps.map((st) => `${st.unit}${st.tile ?? ''}`))].map((u) => s.steps.filter((st) => `${st.unit}${st.tile ?? ''}` === u).length));
  const slotBits = bitsFor(slotCount - 1);
  // The lanes of banked memories and the elementwise unit's bank counter: every tile's P (schedule.ts banks only
  // when they agree).
  const lanes = s.lanes;
  const laneBits = bitsFor(Math.max(1, lanes - 1));
  const banked = (mem: number) => s.memories[mem]!.banks > 1;

  const tiles: TileView[] = plan.tiles.map((tile) => {
    const steps = stepsOf((st) => st.unit === 'tile' && st.tile === tile.index);
    const { kind, record } = multiplierKind(tile.multiplier, options.multiplierImpl, options.library);
    const { wb, signed, bipolar } = weightFormat(steps);
    if (kind !== 'exact') {
      for (const st of steps) {
        const inMem = s.memories[st.inputs[0]!]!;
        if (wb !== 8 || inMem.bits !== 8) throw userError('E_HW', `layer '${st.layer.name}' runs on the 8x8 multiplier '${tile.multiplier}' but has ${inMem.bits}-bit activations and ${wb}-bit weights`);
      }
    }
    const ws = wb + (signed ? 0 : 1);
    const { pe, simd } = s.folding.tiles[tile.index]!;
    return {
      index: tile.index, lanes: pe, laneList: Array.from({ length: pe }, (_, j) => j), nw, dw, slotBits,
      simd, multi: simd > 1, simdX: Math.max(1, simd - 1), simdList: Array.from({ length: simd }, (_, j) => j),
      macList: Array.from({ length: pe * simd }, (_, j) => ({ p: Math.floor(j / simd), sl: j % simd, j, id: `${Math.floor(j / simd)}_${j % simd}` })),
      laneTerms: Array.from({ length: pe }, (_, p) => ({ p, terms: Array.from({ length: simd }, (_, sl) => ({ sl, j: p * simd + sl, id: `${p}_${sl}` })) })),
      multipliers: pe * simd,
      multiplier: kind,
      multiplierText: kind === 'exact' ? 'exact (*)' : `${tile.multiplier} as ${kind === 'netlist' ? 'its gate-level netlist' : 'a 65,536-entry product table'}`,
      moduleName: `adq_mul_t${tile.index}`,
      tableFile: `rtl/mem/mul_t${tile.index}.hex`,
      signed: kind === 'exact' ? signed : record!.signed,
      wb, ws, bipolar, chanWidth: 70 + ws, productBits: kind === 'exact' && wb < 8 ? dw + wb + 1 : 0,
      slots: steps.map((st) => tileSlotView(st, pe, simd)),
      ...(record ? { record } : {}),
      depthwise: steps.some((st) => st.items!.mode === 'groups'),
      bankWriter: steps.some((st) => s.memories[st.output]!.banks > 1),
      // Wide writes (schedule.ts Step.wide): P post-processing pipelines, all lanes written at one word.
      wideWriter: steps.some((st) => st.wide),
      wordWriter: steps.some((st) => s.memories[st.output]!.banks > 1 || st.wide),
      laneList1: Array.from({ length: pe - 1 }, (_, j) => j + 1),
      laneListDesc: Array.from({ length: pe }, (_, j) => pe - 1 - j),
      laneBits,
    };
  });
  for (const t of tiles) {
    files.set(`rtl/adq_tile_${t.index}.v`, render('templates', 'verilog/adq_tile.v.hbs', t));
    steps(s, t.index).forEach((st) => {
      if (codebookRows(st)) {
        const { indexRom, laneTables } = sharedRoms(st, t.lanes, t.wb, t.simd);
        files.set(`rtl/mem/w_s${st.index}.hex`, indexRom);
        laneTables.forEach((text, j) => files.set(`rtl/mem/cb_s${st.index}_l${j}.hex`, text));
      } else streamed.set(`rtl/mem/w_s${st.index}.hex`, () => weightRomPieces(st, t.lanes, t.wb, t.bipolar, t.simd));
      files.set(`rtl/mem/c_s${st.index}.hex`, channelRom(st, t.ws, t.lanes));
    });
    if (t.multiplier === 'table') files.set(t.tableFile, multiplierRom(t.record!.table));
    if (t.multiplier === 'netlist') {
      const r = t.record!;
      files.set(`rtl/${t.moduleName}.v`, render('templates', 'verilog/adq_mult.v.hbs', { moduleName: t.moduleName, id: r.id, description: r.source.description, body: toVerilog(r.netlist!, t.moduleName, `multiplier ${r.id}${r.source.citation ? ` from ${r.source.citation}; Copyright 2018 EHW@FIT, Brno University of Technology, MIT licence (multipliers/evoapprox/verilog/LICENSE.md in adequate)` : ''}`) }));
    }
  }

  const windowSteps = stepsOf((st) => st.unit === 'window');
  // The window unit's pipelines: the most any of its steps uses (schedule.ts Step.windowLanes).
  const winPipes = Math.max(1, ...windowSteps.map((st) => st.windowLanes?.lanes ?? 1));
  if (windowSteps.length > 0) {
    // Window sums hold up to `taps` centred codes of DW bits; counts up to `taps`.
    const taps = Math.max(...windowSteps.map((st) => st.k));
    const W = s.folding.window;
    files.set('rtl/adq_window.v', render('templates', 'verilog/adq_window.v.hbs', {
      nw, dw, slotBits, sumBits: dw + bitsFor(taps) + 1, countBits: bitsFor(taps) + 1, slots: windowSteps.map((st) => windowSlotView(st, lanes, W, winPipes)),
      taps: W, pipelines: winPipes, wideOut: winPipes > 1, multi: W * winPipes > 1, tapsX: Math.max(1, W * winPipes - 1), tapList: Array.from({ length: W }, (_, i) => ({ i, prev: i - 1 })), lastTap: W - 1,
    }));
  }
  const eltSteps = stepsOf((st) => st.unit === 'eltwise');
  const eltPorts = Math.max(1, ...eltSteps.map((st) => st.inputs.length));
  // The elementwise unit's lanes: the most elements per cycle any of its steps takes (schedule.ts Step.elements).
  const eltLanes = Math.max(1, ...eltSteps.map((st) => st.elements ?? 1));
  // Memories an elementwise step writes several codes per cycle into (interleaved by address), and the write bus's
  // lanes for them: the widest interleave, so that every bank's lane index (b - a) mod B selects inside it.
  const eltWritten = new Set(eltSteps.filter((st) => (st.elements ?? 1) > 1 && !st.eltBanks).map((st) => st.output));
  const eltBusLanes = Math.max(1, ...[...eltWritten].map((m) => s.memories[m]!.interleave));
  if (eltSteps.length > 0) {
    // A banked output (a depthwise layer's input): the positions per channel, for the word and bank counters.
    const planeOf = (st: Step) => (banked(st.output) ? s.memories[st.output]!.buffer.size / s.memories[st.output]!.buffer.shape[1]! : 0);
    // Thresholds lie in an input code's range or one past it: TW = DW + 1 bits hold them and the negated input.
    const tw = dw + 1;
    const slots = eltSteps.map((st) => eltwiseSlotView(st, eltPorts, planeOf(st), tw, eltLanes));
    // Lane e's code of input port p: the read port (lane 0) or replica e's (rd_data_x, port-major).
    const laneList = Array.from({ length: eltLanes }, (_, e) => ({ e, extra: e > 0, x: e - 1, ports: Array.from({ length: eltPorts }, (_, p) => ({ p, src: e === 0 ? `rd_data${p}` : `rd_data_x[${p * (eltLanes - 1) + e - 1}*DW +: DW]` })) }));
    files.set('rtl/adq_eltwise.v', render('templates', 'verilog/adq_eltwise.v.hbs', { nw, dw, slotBits, laneBits, lastLane: lanes - 1, bankWriter: eltSteps.some((st) => banked(st.output)), hasMul: eltSteps.some((st) => st.layer.node.op === 'QMul'), tw, hasThreshold: slots.some((v) => v.thresh), inputs: eltPorts, inputList: Array.from({ length: eltPorts }, (_, i) => i), slots, lanes: eltLanes, multi: eltLanes > 1, laneList, laneDesc: Array.from({ length: eltLanes }, (_, e) => eltLanes - 1 - e) }));
    for (const st of eltSteps) if (st.layer.node.op === 'QTable') files.set(`rtl/mem/t_s${st.index}.hex`, activationTableRom(st.layer.node as QTableNode, dw));
    for (const st of eltSteps) if (st.layer.node.op === 'QThreshold') files.set(`rtl/mem/h_s${st.index}.hex`, thresholdRom(st, tw));
  }
  const copySteps = stepsOf((st) => st.unit === 'copy');
  const copyPorts = Math.max(1, ...copySteps.map((st) => st.inputs.length));
  if (copySteps.length > 0) {
    const { slots, segments } = copyView(copySteps);
    files.set('rtl/adq_copy.v', render('templates', 'verilog/adq_copy.v.hbs', { nw, dw, slotBits, segBits: bitsFor(Math.max(1, segments.length - 1)), inputList: Array.from({ length: copyPorts }, (_, i) => i), slots, segments }));
  }
  for (const name of ['adq_ram', 'adq_rom', 'adq_round_shift', 'adq_walker', 'adq_requant']) files.set(`rtl/${name}.v`, render('templates', `verilog/${name}.v.hbs`, {}));

  const prefixOf = (st: Step) => (st.unit === 'tile' ? `t${st.tile}` : st.unit === 'window' ? 'win' : st.unit === 'copy' ? 'cpy' : 'elt');
  const units0 = [
    ...tiles.map((t) => ({ prefix: `t${t.index}`, module: `adq_tile_${t.index}`, steps: steps(s, t.index) })),
    ...(windowSteps.length ? [{ prefix: 'win', module: 'adq_window', steps: windowSteps }] : []),
    ...(eltSteps.length ? [{ prefix: 'elt', module: 'adq_eltwise', steps: eltSteps }] : []),
    ...(copySteps.length ? [{ prefix: 'cpy', module: 'adq_copy', steps: copySteps }] : []),
  ];
  // Tap lanes of each unit (a tile's S, the window unit's W): lane r >= 1 reads replica r of its step's input memory
  // over the extra read-address bus rd_addr_x (lanes past a memory's replicas are masked in the unit: zeros).
  const tapLanesOf = (prefix: string): number => (prefix === 'win' ? s.folding.window * winPipes : prefix === 'elt' ? eltLanes : tiles.find((t) => `t${t.index}` === prefix)?.simd ?? 1);
  const extraLanes = Math.max(0, ...units0.map((u) => tapLanesOf(u.prefix) - 1), ...s.memories.map((m) => m.ports - 1));
  const units = units0.map((u) => {
    const portCount = u.prefix === 'elt' ? eltPorts : u.prefix === 'cpy' ? copyPorts : 1;
    const tile = tiles.find((t) => `t${t.index}` === u.prefix);
    const wide = u.steps.filter((st) => banked(st.inputs[0]!)).map((st) => ({ step: st.index, mem: st.inputs[0]! }));
    const lanesX = tapLanesOf(u.prefix) - 1;
    return {
      prefix: u.prefix,
      module: u.module,
      ...(lanesX > 0 ? {
        // The elementwise unit's lanes read every input port's replica (port-major, as adq_eltwise unpacks them).
        multi: { lanes: lanesX, pad: (extraLanes - lanesX), width: lanesX * portCount },
        xreads: u.steps.map((st) => ({ step: st.index, parts: Array.from({ length: portCount }, (_, i) => portCount - 1 - i).flatMap((port) => Array.from({ length: lanesX }, (_, i) => lanesX - i).map((r) => (port < st.inputs.length && r < s.memories[st.inputs[port]!]!.ports ? `mem${st.inputs[port]!}_d${r}` : '{DW{1\'b0}}'))) })),
      } : { multi: false }),
      wide: tile?.depthwise ? wide : false,
      bankWriter: tile ? tile.bankWriter : u.prefix === 'elt' && u.steps.some((st) => banked(st.output)),
      wideWriter: tile?.wideWriter ? { lanes: tile.lanes } : u.prefix === 'elt' && eltLanes > 1 ? { lanes: eltLanes } : u.prefix === 'win' && winPipes > 1 ? { lanes: winPipes } : false,
      // The elementwise unit's lanes that hold an element (adq_eltwise wr_mask).
      maskWriter: u.prefix === 'elt' && eltLanes > 1 ? { lanes: eltLanes } : false,
      wordWriter: tile ? tile.wordWriter : (u.prefix === 'elt' && u.steps.some((st) => banked(st.output))) || (u.prefix === 'win' && winPipes > 1),
      steps: u.steps.map((st) => st.index),
      slotRows: u.steps.map((st) => ({ step: st.index, slot: st.slot })),
      ports: Array.from({ length: portCount }, (_, port) => ({
        port,
        portName: u.prefix === 'elt' || u.prefix === 'cpy' ? `rd_data${port}` : 'rd_data',
        reads: u.steps.filter((st) => port < st.inputs.length && !banked(st.inputs[port]!)).map((st) => ({ step: st.index, mem: st.inputs[port]! })),
      })),
    };
  });
  const counts = Math.max(plan.input.size, plan.output.size);
  const wideLanes = Math.max(lanes, windowSteps.some((st) => st.windowLanes) ? winPipes : 1);
  // Overlapped steps: each step's offset to the next (src/hw/overlap.ts) and, per plain memory, the steps that drive
  // its read port (with their tap lanes' replicas) and its write port while they run.
  const overlap = options.overlap ? predictCycles(s, { overlap: true }).overlap! : undefined;
  const ovPorts = (m: Schedule['memories'][number]) => {
    if (!overlap || m.banks > 1 || m.regions > 1 || m.interleave > 1) return false;
    return {
      reads: s.steps.filter((st) => st.inputs.includes(m.index)).map((st) => {
        const prefix = prefixOf(st), lanesX = tapLanesOf(prefix) - 1, base = st.inputBases[st.inputs.indexOf(m.index)]!;
        return { step: st.index, prefix, base, lanes: Array.from({ length: m.ports - 1 }, (_, i) => ({ r: i + 1, expr: i + 1 <= lanesX ? `${prefix}_raddr_x[${i}*NW +: NW]` : '{NW{1\'b0}}' })) };
      }),
      writes: s.steps.filter((st) => st.output === m.index).map((st) => ({ step: st.index, prefix: prefixOf(st), base: st.outputBase })),
    };
  };
  const top = {
    model: plan.name,
    interface: interfaceLines(hostInterface(plan, s.stream)),
    lanes,
    tileCount: tiles.length,
    nw, dw, slotBits,
    stepBits: bitsFor(Math.max(1, s.steps.length - 1)),
    memBits: bitsFor(Math.max(1, s.memories.length - 1)),
    cntBits: bitsFor(counts) + 1,
    inSize: plan.input.size,
    outSize: plan.output.size,
    ...streamView(s),
    inputMem: s.input,
    outputMem: s.output,
    inputSigned: s.memories[s.input]!.signed,
    lastStep: s.steps.length - 1,
    laneBits,
    // Wide writes: a tile's P lanes, or the elementwise unit's L lanes into a lane-banked memory (Step.eltBanks).
    anyWide: s.steps.some((st) => st.wide || st.eltBanks || st.windowLanes),
    // The wide write bus: a tile's P lanes, the elementwise unit's into a lane-banked memory, the window pipelines.
    wideLanes,
    eltBus: eltWritten.size > 0 ? { lanes: eltBusLanes } : false,
    bankList: Array.from({ length: lanes }, (_, j) => j),
    extraLanes,
    extraList: Array.from({ length: extraLanes }, (_, i) => ({ r: i + 1, lo: i })),
    overlap: overlap ? { counterBits: bitsFor(overlap.run) + 1 } : false,
    stepsDesc: [...s.steps].reverse().map((st) => ({ index: st.index, prefix: prefixOf(st) })),
    memories: s.memories.map((m) => ({
      ovPorts: ovPorts(m),
      replicas: Array.from({ length: m.ports - 1 }, (_, i) => i + 1),
      index: m.index, width: m.bits, depth: m.size, aw: Math.max(1, Math.ceil(Math.log2(m.size))), signed: m.signed, names: m.aliases.join(', '),
      placedText: m.placed.map((p) => `${p.buffer} at ${p.at}`).join(', '),
      // Placed Concat inputs (src/hw/concat-placement.ts): the offset each step reads this memory at, added to the
      // read address bus (and the tap lanes' replicas) while the step runs.
      readBases: s.steps.flatMap((st) => {
        const at = st.inputs.indexOf(m.index);
        return at >= 0 && st.inputBases[at]! > 0 ? [{ step: st.index, base: st.inputBases[at]! }] : [];
      }),
      banked: m.banks > 1, banks: m.banks, bankList: Array.from({ length: m.banks }, (_, j) => j), bankDesc: Array.from({ length: m.banks }, (_, j) => m.banks - 1 - j),
      interleaved: m.interleave > 1, interleave: m.interleave, lg: Math.log2(m.interleave), loader: m.index === s.input, eltWritten: eltWritten.has(m.index), memBits: bitsFor(Math.max(1, s.memories.length - 1)),
      // Split by channel region (schedule.ts Memory.regions): each read port (the RAM's and each replica's) decodes
      // its C-order address into a bank (address >= j * words, constants) and a word.
      regions: m.regions > 1 ? Array.from({ length: m.ports }, (_, r) => {
        const sfx = r === 0 ? '' : `${r}`, addr = r === 0 ? 'rd_addr' : `rd_addr_r${r}`, aw = Math.max(1, Math.ceil(Math.log2(m.size)));
        return {
          index: m.index, sfx, addr, aw, width: m.bits, depth: m.size, signed: m.signed, rb: bitsFor(Math.max(1, m.regions - 1)), nw, memBits: bitsFor(Math.max(1, s.memories.length - 1)),
          bounds: Array.from({ length: m.regions - 1 }, (_, j) => ({ bank: j + 1, base: (j + 1) * m.size })),
          banks: Array.from({ length: m.regions }, (_, j) => ({ bank: j, lo: j })),
        };
      }) : false,
      ilBanks: Array.from({ length: m.interleave }, (_, j) => ({ bank: j, lo: j * m.bits })),
      // Replicas of an interleaved memory (a SIMD first layer reading a wide-beat input): each the same banks.
      ilReplicas: m.interleave > 1 ? Array.from({ length: m.ports - 1 }, (_, i) => {
        const mem = { r: i + 1, index: m.index, width: m.bits, depth: m.size, aw: Math.max(1, Math.ceil(Math.log2(m.size))), lg: Math.log2(m.interleave), loader: m.index === s.input, eltWritten: eltWritten.has(m.index), memBits: bitsFor(Math.max(1, s.memories.length - 1)) };
        return { ...mem, banks: Array.from({ length: m.interleave }, (_, j) => ({ ...mem, bank: j, lo: j * m.bits })) };
      }) : [],
    })),
    steps: s.steps.map((st) => {
      const il = s.memories[st.output]!.interleave;
      return { index: st.index, name: st.buffer === st.layer.output ? st.layer.name : `${st.layer.name} (broadcast of an input)`, slot: st.slot, outputBase: st.outputBase, prefix: prefixOf(st), multi: units.find((u) => u.prefix === prefixOf(st))!.multi, output: st.output, banked: banked(st.output),
        ...(overlap ? overlapRow(overlap.offsets[st.index], s.steps.length) : {}),
        wideWrite: st.wide ? { pad: wideLanes - st.pe!, slice: false } : st.eltBanks ? { pad: Math.max(0, wideLanes - eltLanes), slice: eltLanes > wideLanes ? wideLanes : false } : st.windowLanes ? { pad: wideLanes - winPipes, slice: false } : false, eltWide: eltWritten.has(st.output) && st.unit === 'eltwise' ? { pad: eltBusLanes - eltLanes } : false, regionList: s.memories[st.output]!.regions > 1 ? Array.from({ length: s.memories[st.output]!.regions }, (_, j) => j) : false, interleaved: il > 1 ? Array.from({ length: il }, (_, j) => j) : false, unitText: st.unit === 'tile' ? `tile ${st.tile}` : `${st.unit} unit` };
    }),
    units,
    placedConcats: plan.layers.filter((l) => l.node.op === 'Concat' && !s.steps.some((st) => st.layer === l)).map((l) => l.name),
  };
  files.set('rtl/adequate_top.v', render('templates', 'verilog/adequate_top.v.hbs', top));

  const rtl = designFiles(tiles, windowSteps.length > 0, eltSteps.length > 0, copySteps.length > 0);
  const mems = [...files.keys(), ...streamed.keys()].filter((f) => f.startsWith('rtl/mem/')).sort();
  const project = { model: plan.name, top: TOP_MODULE, sim: SIM_BINARY, rtl, mems, inSize: plan.input.size, outSize: plan.output.size, ...streamView(s), part: options.part, clockNs: options.clockNs, lanes, tiles: tiles.map((t) => ({ index: t.index, module: `adq_tile_${t.index}` })) };
  files.set('tb/tb_main.cpp', render('testbenches', 'verilator/tb_main.cpp.hbs', project));
  files.set('tb/tb_top.v', render('testbenches', 'icarus/tb_top.v.hbs', project));
  files.set('verilator.f', render('templates', 'verilog/verilator.f.hbs', project));
  files.set('Makefile', render('templates', 'verilog/Makefile.hbs', project));
  files.set('adequate.core', render('templates', 'verilog/adequate.core.hbs', { ...project, name: coreName(plan.name) }));
  files.set('synth.ys', render('templates', 'verilog/synth.ys.hbs', { ...project, script: 'synth.ys', nodsp: false }));
  files.set(NODSP_SCRIPT, render('templates', 'verilog/synth.ys.hbs', { ...project, script: NODSP_SCRIPT, nodsp: true }));
  return { schedule: s, files, streamed };
}

/** A step's row of the overlap table: the next step starts offset cycles after it (offM1 = offset - 1), or when it
 *  is done (serial). The last step has no successor. */
function overlapRow(next: StepOffset | undefined, count: number): { offM1: number; serial: 0 | 1; offText: string } {
  if (!next) return { offM1: 0, serial: 1, offText: count > 1 ? 'the last step' : 'the only step' };
  return next.serial ? { offM1: 0, serial: 1, offText: `the next step when this one is done (${next.reason})` } : { offM1: next.offset - 1, serial: 0, offText: `the next step ${next.offset} cycles after this one (${next.reason})` };
}

/** What the top, the Verilator harness and the Icarus testbench print about the stream beats (src/hw/stream.ts). */
function streamView(s: Schedule) {
  const { input, output } = s.stream, out = s.memories[s.output]!;
  const outWide = output.codes > 1;
  return {
    inBits: input.bits, inCodes: input.codes, inBeats: input.beats, inLast: input.lastCodes, inWide: input.codes > 1, inPartial: input.lastCodes < input.codes,
    outBits: output.bits, outCodes: output.codes, outBeats: output.beats, outLast: output.lastCodes, outWide, outPartial: output.lastCodes < output.codes,
    outNarrow: output.laneBits === 8, outLaneBits: output.laneBits, outLg: Math.log2(output.codes) || 0, outWidth: out.bits, outSigned: out.signed,
    // Lanes of an output beat, most significant first; those past the frame's last code in the last beat are zero.
    outLanes: Array.from({ length: output.codes }, (_, i) => output.codes - 1 - i).map((lane) => ({ lane, padded: lane >= output.lastCodes })),
    // The output memory's decoded read port, unread by the streamer when it takes raw codes (a unit may read it).
    outUnread: outWide || output.laneBits === 8,
  };
}

function steps(s: Schedule, tile: number): Step[] {
  return s.steps.filter((st) => st.unit === 'tile' && st.tile === tile);
}

/** A FuseSoC VLNV name part: letters, digits, underscores. */
function coreName(model: string): string {
  return model.replace(/[^A-Za-z0-9_]/g, '_').replace(/^([^A-Za-z])/, 'm$1') || 'model';
}

/** Writes the Verilog project into `dir` (an empty temporary folder); returns the relative paths written. Yields
 *  between files, so an interrupt's cleanup (writeDirAtomically) can run. */
export async function emitVerilog(plan: AcceleratorPlan, options: VerilogOptions, dir: string): Promise<string[]> {
  const { files, streamed } = verilogDesign(plan, options);
  for (const [path, text] of files) {
    await yieldToSignals();
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  for (const [path, pieces] of streamed) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    const fd = openSync(join(dir, path), 'w');
    try {
      for (const piece of pieces()) {
        await yieldToSignals();
        writeSync(fd, piece);
      }
    } finally {
      closeSync(fd);
    }
  }
  return [...files.keys(), ...streamed.keys()];
}

/** Bits of each tile's weight ROMs (lanes x weight width x words; shared layers: their index ROMs and codebooks are
 *  not counted here), for `adequate synth`'s report: weights narrower than 8 bits take their own width. */
export function weightRomBits(plan: AcceleratorPlan, fold: Folding | number): { tile: number; wb: number; bits: number }[] {
  const s = scheduleAccelerator(plan, fold);
  return plan.tiles.map((t) => {
    const on = steps(s, t.index);
    const { wb } = weightFormat(on);
    const { pe, simd } = s.folding.tiles[t.index]!;
    return { tile: t.index, wb, bits: on.reduce((sum, st) => sum + pe * simd * wb * groupsOf(st) * chunkOf(st.k, st.simd ?? 1), 0) };
  });
}
