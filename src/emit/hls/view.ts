/** The view of the HLS templates: every number the emitted C++ holds, computed from the accelerator plan. The
 *  templates (templates/hls/) only print it. */
import { userError } from '../../errors.js';
import { hostInterface, interfaceLines } from '../../hw/interface.js';
import type { AcceleratorPlan, ClipNode, PlanLayer } from '../../hw/plan.js';
import { layerSegments, type CopySegment } from '../../hw/layout.js';
import { windowOf, type WindowGeometry } from '../../hw/schedule.js';
import { streamFormat, type StreamFormat, type StreamPort, type StreamWidth } from '../../hw/stream.js';
import type { TunedPlan } from '../../hw/plan-tuned.js';
import type { QAveragePoolNode, MaxPoolNode, QMulNode, QSumNode, QTableNode, QThresholdNode } from '../../ir/types.js';
import { allocateMemory } from './memory.js';
import { tileViews, typeBits, type MacLayerView, type TileView } from './tiles.js';
import type { HlsOptions } from './index.js';

/** A pooling layer: its window over every plane (channel), and for average pooling the zero point, whether padding
 *  counts in the divisor, and the rounding. */
export interface PoolLayerView extends WindowGeometry {
  readonly inOff: number;
  readonly outOff: number;
  readonly zero: number;
  readonly includePad: boolean;
  readonly halfEven: boolean;
}

/** One input of a QSum: offset, zero point, multiplier and its strides over the (4-D) output index. */
export interface SumTermView {
  readonly off: number;
  readonly zero: number;
  readonly mult: number;
  readonly strides: readonly number[];
}

export interface LayerView {
  readonly index: number;
  readonly name: string;
  readonly op: string;
  readonly outOff: number;
  readonly outSize: number;
  readonly mac?: MacLayerView & { readonly tile: number };
  readonly maxPool?: PoolLayerView;
  readonly avgPool?: PoolLayerView;
  readonly sum?: { readonly dims: readonly number[]; readonly terms: readonly SumTermView[]; readonly shift: number; readonly zo: number; readonly lo: number; readonly hi: number; readonly halfEven: boolean };
  readonly mul?: { readonly dims: readonly number[]; readonly terms: readonly SumTermView[]; readonly mant: number; readonly shift: number; readonly zo: number; readonly lo: number; readonly hi: number; readonly halfEven: boolean };
  readonly table?: { readonly inOff: number; readonly size: number; readonly inMin: number; readonly values: readonly number[] };
  readonly threshold?: ThresholdView;
  /** Layout layers: the copy unit's segments (src/hw/layout.ts), each with the offset of the buffer it reads. */
  readonly copy?: readonly (CopySegment & { readonly inOff: number })[];
  readonly reshape: boolean;
  /** Where the testbench finds this layer's expected codes in a row of layers.txt. */
  readonly traceOffset: number;
}

/** A stream port of adequate_top: where its buffer lies in the activation memory and its code type. */
export interface StreamPortView {
  readonly off: number;
  readonly size: number;
  readonly bits: number;
  readonly signed: boolean;
  /** Bits per stream beat, codes per beat (lanes of `laneBits`), beats per frame (src/hw/stream.ts). */
  readonly streamBits: number;
  readonly laneBits: number;
  readonly codes: number;
  readonly beats: number;
  readonly shape: string;
}

/** What every HLS build's shared files (adequate.h, tb.cpp, Makefile, README.md, run_hls.tcl) read, integer or tuned. */
export interface HlsBuildView {
  readonly model: string;
  readonly lanes: number;
  readonly part: string;
  readonly clockNs: number;
  readonly memSize: number;
  readonly memBits: number;
  readonly memSigned: boolean;
  readonly input: StreamPortView;
  readonly output: StreamPortView;
  /** Codes of every layer output of one inference (a row of layers.txt). */
  readonly traceSize: number;
  readonly hasMaxPool: boolean;
  readonly macs: number;
  /** How the host makes the input codes and reads the output codes (comment lines of adequate.h). */
  readonly interface: readonly string[];
}

/** A buffer as the memory and the stream ports see it: its name, element count, code range and shape. */
interface CodeBuffer {
  readonly name: string;
  readonly size: number;
  readonly min: number;
  readonly max: number;
  readonly shape: readonly number[];
}

/** The HLS top's stream beats: without a width, one code per beat of its bits rounded up to whole bytes; with one,
 *  src/hw/stream.ts's lanes. E_USAGE when the codes do not fit the width. */
export function hlsStream(plan: { readonly input: CodeBuffer; readonly output: CodeBuffer }, width: StreamWidth | undefined): StreamFormat {
  const port = (b: CodeBuffer) => ({ size: b.size, bits: typeBits([b.min, b.max]) });
  const input = port(plan.input), output = port(plan.output);
  return streamFormat(width, input, output, { input: Math.ceil(input.bits / 8) * 8, output: Math.ceil(output.bits / 8) * 8 });
}

/** The same for a word-length-tuned plan (its buffers hold codes of their formats). */
export function tunedHlsStream(plan: TunedPlan, width: StreamWidth | undefined): StreamFormat {
  return hlsStream(plan, width);
}

/** The activation memory's code type (wide enough for every buffer) and each stream port's view of its buffer. */
export function memoryTypes(buffers: Iterable<CodeBuffer>, off: (name: string) => number, stream: StreamFormat) {
  const range: [number, number] = [0, 0];
  for (const b of buffers) [range[0], range[1]] = [Math.min(range[0], b.min), Math.max(range[1], b.max)];
  const io = (b: CodeBuffer, p: StreamPort): StreamPortView => {
    const bits = typeBits([b.min, b.max]);
    return { off: off(b.name), size: b.size, bits, signed: b.min < 0, streamBits: p.bits, laneBits: p.laneBits, codes: p.codes, beats: p.beats, shape: b.shape.join('x') };
  };
  return { memBits: typeBits(range), memSigned: range[0] < 0, input: (b: CodeBuffer) => io(b, stream.input), output: (b: CodeBuffer) => io(b, stream.output) };
}

/** Read replicas of the activation memory for a SIMD tile: its S lanes read S activations per cycle, lane 0 from
 *  the memory itself, lane s > 0 from replica s - 1 of the span [lo, lo + size) that holds every buffer the tile's
 *  layers read by chunks; every write into the span also writes the replicas (what the Verilog accelerator does per
 *  memory). */
export interface ReadReplicasView {
  readonly tile: number;
  readonly count: number;
  readonly lo: number;
  readonly size: number;
}

export interface HlsView extends HlsBuildView {
  /** Elementwise lanes (Folding.elementwise) as the UNROLL factor of the elementwise loops (QSum, QMul, QTable,
   *  QThreshold); false for one element per iteration. */
  readonly eltUnroll: number | false;
  /** Window lanes (Folding.windowLanes) as the UNROLL factor of the pooling functions' planes loops; false for one
   *  plane at a time. */
  readonly winUnroll: number | false;
  /** Tiles, each with whether its SIMD lanes read replicas (`replicas`). */
  readonly tiles: readonly (TileView & { readonly replicated: boolean })[];
  /** Per SIMD tile (S > 1), its read replicas. */
  readonly replicas: readonly ReadReplicasView[];
  readonly layers: readonly LayerView[];
  readonly hasAvgPool: boolean;
  readonly hasCopy: boolean;
}

export function hlsView(plan: AcceleratorPlan, options: HlsOptions): HlsView {
  const mem = allocateMemory(plan);
  const off = (b: string) => mem.offsets.get(b)!;
  const { tiles, calls } = tileViews(plan, (t) => options.folding?.tiles[t] ?? { pe: options.lanes, simd: 1 }, mem.offsets, options.multiplierImpl, options.library);
  let traceSize = 0;
  const layers = plan.layers.map((layer): LayerView => {
    const outSize = plan.buffers.get(layer.output)!.size;
    const base = { index: layer.index, name: layer.name, op: layer.node.op, outOff: off(layer.output), outSize, reshape: false, traceOffset: traceSize };
    traceSize += outSize;
    const n = layer.node;
    switch (n.op) {
      case 'QConv':
      case 'QGemm':
        return { ...base, mac: { ...calls.get(layer.index)!, tile: layer.tile! } };
      case 'MaxPool':
        return { ...base, maxPool: poolView(plan, layer, n, 0, false, false, off) };
      case 'QAveragePool':
        return { ...base, avgPool: poolView(plan, layer, n, n.attrs.zeroPoint, n.attrs.countIncludePad, n.attrs.rounding === 'half-even', off) };
      case 'QSum':
        return { ...base, sum: sumView(plan, layer, n, off) };
      case 'Clip':
        return { ...base, sum: clipView(plan, layer, n, off) };
      case 'QMul':
        return { ...base, mul: mulView(plan, layer, n, off) };
      case 'Transpose':
      case 'Slice':
      case 'Split':
      case 'Concat':
        // A Concat copies only the inputs not placed inside its output (memory.ts).
        return { ...base, copy: layerSegments(plan, layer).filter((sg) => !(n.op === 'Concat' && mem.placed.has(layer.inputs[sg.port]!))).map((sg) => ({ ...sg, inOff: off(layer.inputs[sg.port]!) })) };
      case 'QTable':
        return { ...base, table: tableView(layer, n, off, plan.buffers.get(layer.inputs[0]!)!.size) };
      case 'QThreshold':
        return { ...base, threshold: thresholdView(plan, layer, n, off) };
      case 'Reshape':
        return { ...base, reshape: true };
      default: {
        const _exhaustive: never = n;
        return _exhaustive;
      }
    }
  });
  const stream = hlsStream(plan, options.streamWidth);
  const types = memoryTypes(plan.buffers.values(), off, stream);
  const replicas = readReplicas(plan, tiles, calls, off);
  const { memBits, memSigned } = types;
  return {
    model: plan.name, lanes: options.lanes, part: options.part, clockNs: options.clockNs,
    memSize: mem.size, memBits, memSigned,
    input: types.input(plan.input), output: types.output(plan.output), tiles: tiles.map((t) => ({ ...t, replicated: replicas.some((r) => r.tile === t.index) })), replicas, layers,
    eltUnroll: (options.folding?.elementwise ?? 1) > 1 ? options.folding!.elementwise! : false,
    winUnroll: (options.folding?.windowLanes ?? 1) > 1 ? options.folding!.windowLanes! : false,
    traceSize, hasMaxPool: layers.some((l) => l.maxPool), hasAvgPool: layers.some((l) => l.avgPool), hasCopy: layers.some((l) => (l.copy?.length ?? 0) > 0),
    macs: plan.layers.reduce((s, l) => s + l.macs, 0),
    interface: interfaceLines(hostInterface(plan, stream)),
  };
}

/** The replicas each SIMD tile needs: S - 1 copies of the span of the buffers its layers read by chunks (a depthwise
 *  layer reads one tap per cycle per lane and needs none). */
function readReplicas(plan: AcceleratorPlan, tiles: readonly TileView[], calls: ReadonlyMap<number, MacLayerView>, off: (b: string) => number): ReadReplicasView[] {
  const replicas: ReadReplicasView[] = [];
  for (const tile of tiles) {
    if (tile.simd === 1) continue;
    let lo = Infinity, hi = -Infinity;
    for (const index of tile.layers) {
      if (calls.get(index)!.overGroups) continue;
      const input = plan.layers[index]!.inputs[0]!;
      lo = Math.min(lo, off(input));
      hi = Math.max(hi, off(input) + plan.buffers.get(input)!.size);
    }
    if (hi > lo) replicas.push({ tile: tile.index, count: tile.simd - 1, lo, size: hi - lo });
  }
  return replicas;
}

function poolView(plan: AcceleratorPlan, layer: PlanLayer, n: MaxPoolNode | QAveragePoolNode, zero: number, includePad: boolean, halfEven: boolean, off: (b: string) => number): PoolLayerView {
  const window = windowOf(layer.name, plan.buffers.get(layer.inputs[0]!)!.shape, plan.buffers.get(layer.output)!.shape, n.attrs);
  return { ...window, inOff: off(layer.inputs[0]!), outOff: off(layer.output), zero, includePad, halfEven };
}

/** An elementwise layer's output walked as 4 nested dimensions, and the strides of an input over them (0 along the
 *  dimensions it is broadcast). */
function elementwiseDims(plan: AcceleratorPlan, layer: PlanLayer): number[] {
  const outShape = plan.buffers.get(layer.output)!.shape;
  if (outShape.length > 4) throw userError('E_HW', `layer '${layer.name}' works on ${outShape.length}-D tensors; the HLS elementwise unit handles up to 4 dimensions`);
  return [...Array<number>(4 - outShape.length).fill(1), ...outShape];
}

function inputStrides(plan: AcceleratorPlan, layer: PlanLayer, name: string, dims: readonly number[]): number[] {
  if (!plan.buffers.has(name)) throw userError('E_HW', `layer '${layer.name}' (${layer.node.op}) reads the constant '${name}'; the HLS elementwise unit reads activation buffers only`);
  const shape = plan.buffers.get(name)!.shape;
  const full = [...Array<number>(4 - shape.length).fill(1), ...shape];
  const strides = [0, 0, 0, 0];
  let s = 1;
  for (let d = 3; d >= 0; d--) {
    strides[d] = full[d] === 1 && dims[d] !== 1 ? 0 : s;
    s *= full[d]!;
  }
  return strides;
}

/** QSum: one term per input. */
function sumView(plan: AcceleratorPlan, layer: PlanLayer, n: QSumNode, off: (b: string) => number): NonNullable<LayerView['sum']> {
  const dims = elementwiseDims(plan, layer);
  const terms = n.inputs.map((name, i): SumTermView => ({ off: off(name), zero: n.attrs.zeroPoints[i]!, mult: n.attrs.multipliers[i]!, strides: inputStrides(plan, layer, name, dims) }));
  return { dims, terms, shift: n.attrs.shift, zo: n.attrs.outZeroPoint, lo: n.attrs.lo, hi: n.attrs.hi, halfEven: n.attrs.rounding === 'half-even' };
}

/** QThreshold: elements walked as (outer, channel, inner) with per-channel thresholds (rows of L, ascending) and
 *  direction; out = base + step * #{i : d * x >= T[c][i]} (ir/arithmetic.md 3c). */
export interface ThresholdView {
  readonly inOff: number;
  readonly outer: number;
  readonly channels: number;
  readonly inner: number;
  readonly levels: number;
  readonly base: number;
  readonly step: number;
  readonly rows: readonly number[];
  readonly direction: readonly number[];
}

function thresholdView(plan: AcceleratorPlan, layer: PlanLayer, n: QThresholdNode, off: (b: string) => number): ThresholdView {
  const shape = plan.buffers.get(layer.inputs[0]!)!.shape, ax = n.attrs.axis;
  const t = plan.graph.constants.get(n.inputs[1]!)!;
  const C = shape[ax]!, L = t.shape[1]!;
  const rows = Array.from({ length: C * L }, (_, i) => t.data[(t.shape[0] === 1 ? 0 : Math.floor(i / L)) * L + (i % L)]!);
  const direction = Array.from({ length: C }, (_, c) => n.attrs.direction[n.attrs.direction.length === 1 ? 0 : c]!);
  return {
    inOff: off(layer.inputs[0]!), outer: shape.slice(0, ax).reduce((a, b) => a * b, 1), channels: C, inner: shape.slice(ax + 1).reduce((a, b) => a * b, 1),
    levels: L, base: n.attrs.outBase, step: n.attrs.outStep, rows, direction,
  };
}

/** QMul: the two inputs (multiplier 1 each: the template multiplies the centred codes). */
function mulView(plan: AcceleratorPlan, layer: PlanLayer, n: QMulNode, off: (b: string) => number): NonNullable<LayerView['mul']> {
  const dims = elementwiseDims(plan, layer);
  const terms = n.inputs.map((name, i): SumTermView => ({ off: off(name), zero: n.attrs.zeroPoints[i]!, mult: 1, strides: inputStrides(plan, layer, name, dims) }));
  return { dims, terms, mant: n.attrs.mantissa, shift: n.attrs.shift, zo: n.attrs.outZeroPoint, lo: n.attrs.lo, hi: n.attrs.hi, halfEven: n.attrs.rounding === 'half-even' };
}

function tableView(layer: PlanLayer, n: QTableNode, off: (b: string) => number, size: number): NonNullable<LayerView['table']> {
  return { inOff: off(layer.inputs[0]!), size, inMin: n.attrs.inMin, values: n.attrs.table };
}

/** Clip on codes: a one-term sum x * 1 / 2^0 saturated to the code bounds. */
function clipView(plan: AcceleratorPlan, layer: PlanLayer, n: ClipNode, off: (b: string) => number): NonNullable<LayerView['sum']> {
  const shape = plan.buffers.get(layer.output)!.shape;
  if (shape.length > 4) throw userError('E_HW', `layer '${layer.name}' clamps a ${shape.length}-D tensor; the HLS elementwise unit handles up to 4 dimensions`);
  const dims = [...Array<number>(4 - shape.length).fill(1), ...shape];
  const strides = [dims[1]! * dims[2]! * dims[3]!, dims[2]! * dims[3]!, dims[3]!, 1];
  return { dims, terms: [{ off: off(layer.inputs[0]!), zero: 0, mult: 1, strides }], shift: 0, zo: 0, lo: n.attrs.min!, hi: n.attrs.max!, halfEven: false };
}

