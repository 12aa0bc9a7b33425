/** The Verilog accelerator's schedule: which hardware unit runs each layer of the plan, with which window geometry,
 *  and which physical memory holds each activation buffer. The Verilog emitter's view and the cycle model
 *  (cycles.ts) both read it, so the RTL and its predicted cycle counts come from one description.
 *  Units: one MAC tile per plan tile (QConv, QGemm), one window unit (MaxPool, QAveragePool) and one elementwise unit
 *  (QSum, QTable, QThreshold) shared by every layer of that kind. Reshape costs nothing: its output aliases its input memory
 *  (C order is unchanged). Every other buffer gets its own memory (one RAM per layer output), so a residual QSum can
 *  read any earlier buffer. */
import { userError } from '../errors.js';
import { window3 } from '../golden/window.js';
import { broadcastSegments, layerSegments, type CopySegment } from './layout.js';
import { busyChunks, checkFolding, uniformFolding, type Folding } from './fold.js';
import type { AcceleratorPlan, PlanBuffer, PlanLayer } from './plan.js';

export type UnitKind = 'tile' | 'window' | 'eltwise' | 'copy';

/** A sliding window as the hardware walks it: 2-D (1-D windows have H = KH = 1). A dense layer is a 1x1 window over
 *  a 1x1 image with K input channels. Pads: begin (ph, pw) and end (phe, pwe). */
export interface WindowGeometry {
  readonly c: number;
  readonly h: number;
  readonly w: number;
  readonly oh: number;
  readonly ow: number;
  readonly kh: number;
  readonly kw: number;
  readonly sh: number;
  readonly sw: number;
  readonly dh: number;
  readonly dw: number;
  readonly ph: number;
  readonly pw: number;
  readonly phe: number;
  readonly pwe: number;
}

export interface Memory {
  readonly index: number;
  /** The first plan buffer stored in it (aliases: reshapes of it). */
  readonly buffer: PlanBuffer;
  readonly aliases: readonly string[];
  /** Words per bank (banked memories) or in all. */
  readonly size: number;
  readonly bits: number;
  readonly signed: boolean;
  /** Banks of a lane-interleaved memory (the input of a depthwise layer that runs lanes over channels): channel c
   *  at position p is word (c div L) * P + p of bank c mod L, so the L lanes read L channels in one cycle. 1 = a
   *  plain memory in C order. */
  readonly banks: number;
  /** Read ports: replicas of the memory, each written identically by the one writer and read at its own address
   *  (SIMD lane s of a tile, tap s of the window unit). 1 = one RAM. */
  readonly ports: number;
}

export interface Step {
  /** Position among the steps (Reshape layers are not steps). */
  readonly index: number;
  readonly layer: PlanLayer;
  readonly unit: UnitKind;
  /** Tile index for unit 'tile'. */
  readonly tile?: number;
  /** Index of this step among its unit's steps (the row of the unit's configuration table). */
  readonly slot: number;
  /** Memories read (in node input order) and written. */
  readonly inputs: readonly number[];
  readonly output: number;
  /** The buffer written: the layer's output, or (a broadcast copy before a QSum) a buffer the plan does not have. */
  readonly buffer: string;
  /** Copy steps: the segments walked one after another (src/hw/layout.ts). */
  readonly segments?: readonly CopySegment[];
  /** Tile steps: how lanes map to output channels (tileItems). */
  readonly items?: TileItems;
  /** Window walked: conv/pool geometry, or the dense layer as a 1x1 window. Absent for elementwise steps. */
  readonly geometry?: WindowGeometry;
  /** Output channels (tile), planes (window) or elements (eltwise). */
  readonly channels: number;
  /** Reduction length per output: C*KH*KW (tile), KH*KW (window), 1 (eltwise). */
  readonly k: number;
  /** Output positions per channel. */
  readonly positions: number;
  /** Tile steps: output channels at once (the tile's P). */
  readonly pe?: number;
  /** Tile steps: products per lane per cycle (the tile's S; 1 for a depthwise layer on banked memory); window
   *  steps: taps per cycle (W). Taps per output are walked in chunks of ceil(k / simd). */
  readonly simd?: number;
}

/** How a tile step's output channels are cut into items (one item = one pass over every position with up to L
 *  lanes busy). Convolutions with groups: the lanes take L output channels of one group at a time (`channels`: items
 *  group-major, `blocks` items per group, the input planes of a group advance after its last block), or, for a
 *  depthwise layer (one input and one output channel per group) whose input memory is banked, L groups at a time
 *  (`groups`: each lane reads its own channel from its own bank). Group-1 layers are `channels` with one group. */
export interface TileItems {
  readonly mode: 'channels' | 'groups';
  readonly count: number;
  readonly blocks: number;
  /** Output channels per group (channels mode). */
  readonly perGroup: number;
  /** Lanes busy in the last item of a group (channels mode) or in the last item (groups mode). */
  readonly lastLanes: number;
  /** Input address advance per group (channels: C/group planes; groups: one plane of the banked memory). */
  readonly planeStep: number;
}

export interface Schedule {
  readonly plan: AcceleratorPlan;
  /** The P of every tile when they agree (the banks of banked memories), else the largest (deprecated: read
   *  `folding`). */
  readonly lanes: number;
  readonly folding: Folding;
  readonly memories: readonly Memory[];
  readonly memoryOf: ReadonlyMap<string, number>;
  readonly steps: readonly Step[];
  readonly input: number;
  readonly output: number;
}

/** Schedules a plan on a folding (a number L: L lanes, one product per lane per cycle, on every tile; one window
 *  tap per cycle). Throws E_HW for layers the RTL does not implement. */
export function scheduleAccelerator(plan: AcceleratorPlan, fold: Folding | number): Schedule {
  const folding = typeof fold === 'number' ? uniformFolding(plan, fold) : checkFolding(plan, fold);
  const pes = new Set(folding.tiles.map((t) => t.pe));
  const lanes = Math.max(...pes);
  // Banked memories need one bank count for the writer (a tile or the elementwise unit) and the reader: only when
  // every tile has the same P.
  const banked = pes.size === 1 ? bankedInputs(plan) : new Set<string>();
  const memories: Memory[] = [];
  const memoryOf = new Map<string, number>();
  const aliases = new Map<number, string[]>();
  const addMemory = (b: PlanBuffer): number => {
    const index = memories.length;
    const banks = banked.has(b.name) ? lanes : 1;
    memories.push({ index, buffer: b, aliases: [], size: banks > 1 ? Math.ceil(b.shape[1]! / lanes) * (b.size / b.shape[1]!) : b.size, bits: b.bits, signed: b.dtype !== 'uint8', banks, ports: 1 });
    aliases.set(index, [b.name]);
    memoryOf.set(b.name, index);
    return index;
  };
  addMemory(plan.input);
  const steps: Step[] = [];
  const slots = new Map<string, number>();
  const addStep = (layer: PlanLayer, ins: number[], output: number, buffer: string, shape: ReturnType<typeof stepShape>) => {
    const key = shape.unit === 'tile' ? `tile${layer.tile}` : shape.unit;
    const slot = slots.get(key) ?? 0;
    slots.set(key, slot + 1);
    const { unit, geometry, channels, k, positions, segments, items } = shape;
    const fold = unit === 'tile' ? { pe: folding.tiles[layer.tile!]!.pe, simd: items!.mode === 'groups' ? 1 : folding.tiles[layer.tile!]!.simd } : unit === 'window' ? { simd: folding.window } : {};
    steps.push({ index: steps.length, layer, unit, ...(unit === 'tile' ? { tile: layer.tile! } : {}), slot, inputs: ins, output, buffer, ...(geometry ? { geometry } : {}), ...(segments ? { segments } : {}), ...(items ? { items } : {}), channels, k, positions, ...fold });
  };
  for (const layer of plan.layers) {
    const out = plan.buffers.get(layer.output)!;
    const ins = layer.inputs.map((n) => memoryOf.get(n)!);
    if (layer.node.op === 'Reshape') {
      memoryOf.set(layer.output, ins[0]!);
      aliases.get(ins[0]!)!.push(layer.output);
      continue;
    }
    if (layer.node.op === 'QSum' || layer.node.op === 'QMul') {
      // A QSum/QMul input of another shape is first broadcast into a buffer of the output's shape by the copy unit.
      layer.inputs.forEach((name, i) => {
        const b = plan.buffers.get(name)!;
        if (b.size === out.size) return;
        const wide: PlanBuffer = { ...b, name: `${layer.output}.broadcast${i}`, shape: out.shape, size: out.size };
        const mem = addMemory(wide);
        addStep(layer, [ins[i]!], mem, wide.name, copyShape(broadcastSegments(layer.name, b.shape, out.shape, 0)));
        ins[i] = mem;
      });
    }
    const output = addMemory(out);
    const pe = layer.tile !== undefined ? folding.tiles[layer.tile]!.pe : lanes;
    addStep(layer, ins, output, layer.output, stepShape(plan, layer, pe, banked.has(layer.inputs[0]!)));
  }
  // Replicas: as many read ports as the widest step reading the memory has busy chunks (lanes whose chunk lies
  // wholly past K read nothing).
  const ports = memories.map(() => 1);
  for (const st of steps) if (st.simd !== undefined) for (const m of st.inputs) ports[m] = Math.max(ports[m]!, busyChunks(st.k, st.simd));
  return {
    plan,
    lanes,
    folding,
    memories: memories.map((m) => ({ ...m, aliases: aliases.get(m.index)!, ports: ports[m.index]! })),
    memoryOf,
    steps,
    input: 0,
    output: memoryOf.get(plan.output.name)!,
  };
}

interface StepShape {
  readonly unit: UnitKind;
  readonly geometry?: WindowGeometry;
  readonly segments?: readonly CopySegment[];
  readonly items?: TileItems;
  readonly channels: number;
  readonly k: number;
  readonly positions: number;
}

/** A copy step: `channels` counts the elements written. */
function copyShape(segments: readonly CopySegment[]): StepShape {
  return { unit: 'copy', segments, channels: segments.reduce((a, s) => a + s.count, 0), k: 1, positions: 1 };
}

function stepShape(plan: AcceleratorPlan, layer: PlanLayer, lanes: number, lanesOverGroups: boolean): StepShape {
  const node = layer.node;
  const inShape = plan.buffers.get(layer.inputs[0]!)!.shape;
  const outShape = plan.buffers.get(layer.output)!.shape;
  switch (node.op) {
    case 'QConv': {
      const group = node.attrs.group;
      if (group !== 1 && node.attrs.sharing) throw userError('E_HW', `layer '${layer.name}' is a grouped convolution with shared weights; the Verilog tiles share weights of group-1 layers only (emit it as HLS C++, or share the other layers)`);
      const full = windowOf(layer.name, inShape, outShape, node.attrs);
      const g = { ...full, c: full.c / group }, M = outShape[1]!, perGroup = M / group;
      const plane = full.h * full.w;
      const items: TileItems = lanesOverGroups
        ? { mode: 'groups', count: Math.ceil(M / lanes), blocks: 1, perGroup, lastLanes: M - (Math.ceil(M / lanes) - 1) * lanes, planeStep: plane }
        : { mode: 'channels', count: group * Math.ceil(perGroup / lanes), blocks: Math.ceil(perGroup / lanes), perGroup, lastLanes: perGroup - (Math.ceil(perGroup / lanes) - 1) * lanes, planeStep: group === 1 ? 0 : g.c * plane };
      return { unit: 'tile', geometry: g, items, channels: M, k: g.c * g.kh * g.kw, positions: g.oh * g.ow };
    }
    case 'QGemm': {
      const K = inShape[1]!, M = outShape[1]!;
      const geometry: WindowGeometry = { c: K, h: 1, w: 1, oh: 1, ow: 1, kh: 1, kw: 1, sh: 1, sw: 1, dh: 1, dw: 1, ph: 0, pw: 0, phe: 0, pwe: 0 };
      const count = Math.ceil(M / lanes);
      return { unit: 'tile', geometry, items: { mode: 'channels', count, blocks: count, perGroup: M, lastLanes: M - (count - 1) * lanes, planeStep: 0 }, channels: M, k: K, positions: 1 };
    }
    case 'MaxPool':
    case 'QAveragePool': {
      const g = windowOf(layer.name, inShape, outShape, node.attrs);
      return { unit: 'window', geometry: { ...g, c: 1 }, channels: outShape[1]!, k: g.kh * g.kw, positions: g.oh * g.ow };
    }
    case 'QSum': {
      for (const i of node.inputs) {
        if (!plan.buffers.get(i)) throw userError('E_HW', `layer '${layer.name}' (QSum) adds the constant '${i}'; the Verilog elementwise unit adds activation buffers only`);
      }
      return { unit: 'eltwise', channels: plan.buffers.get(layer.output)!.size, k: 1, positions: 1 };
    }
    case 'QMul':
      for (const i of node.inputs) if (!plan.buffers.get(i)) throw userError('E_HW', `layer '${layer.name}' (QMul) multiplies by the constant '${i}'; the Verilog elementwise unit multiplies activation buffers only`);
      return { unit: 'eltwise', channels: plan.buffers.get(layer.output)!.size, k: 1, positions: 1 };
    case 'QThreshold':
      return { unit: 'eltwise', channels: plan.buffers.get(layer.output)!.size, k: 1, positions: 1 };
    case 'QTable':
    case 'Clip':
      return { unit: 'eltwise', channels: plan.buffers.get(layer.output)!.size, k: 1, positions: 1 };
    case 'Transpose':
    case 'Slice':
    case 'Split':
    case 'Concat':
      return copyShape(layerSegments(plan, layer));
    case 'Reshape':
      throw new Error('internal error: Reshape layers are aliases, not steps');
    default: {
      const _exhaustive: never = node;
      return _exhaustive;
    }
  }
}

/** The 2-D window geometry of a conv or pool layer (1-D windows lifted: H = KH = 1); E_HW for 3-D windows. */
export function windowOf(name: string, inShape: readonly number[], outShape: readonly number[], attrs: Parameters<typeof window3>[2]): WindowGeometry {
  if (attrs.kernelShape.length > 2) throw userError('E_HW', `layer '${name}' has a ${attrs.kernelShape.length}-D window; the hardware units (Verilog and HLS) walk 1-D and 2-D windows`);
  const w3 = window3(inShape, outShape, attrs);
  const r = attrs.kernelShape.length;
  const end = attrs.pads.slice(r);
  const [phe, pwe] = r === 2 ? [end[0]!, end[1]!] : [0, end[0]!];
  return {
    c: inShape[1]!, h: w3.in[1], w: w3.in[2], oh: w3.out[1], ow: w3.out[2], kh: w3.k[1], kw: w3.k[2],
    sh: w3.s[1], sw: w3.s[2], dh: w3.d[1], dw: w3.d[2], ph: w3.p[1], pw: w3.p[2], phe, pwe,
  };
}

/** Items of a tile step (passes over every position, tileItems). */
export function groupsOf(step: Step): number {
  return step.items!.count;
}

/** The output channel lane j computes in item i of a tile step, or -1 when the lane idles in it. */
export function laneChannel(step: Step, lanes: number, item: number, j: number): number {
  const it = step.items!;
  if (it.mode === 'groups') return item * lanes + j < step.channels ? item * lanes + j : -1;
  const group = Math.floor(item / it.blocks), inGroup = (item % it.blocks) * lanes + j;
  return inGroup < it.perGroup ? group * it.perGroup + inGroup : -1;
}

/** Buffers that are the input of depthwise layers running lanes over channels, in L banks: the depthwise input is
 *  written by a group-1 convolution (whose item i, lane j is channel i*L + j, so it writes bank j at word i*P + p)
 *  or by the elementwise unit (which counts position, bank and word beside its C-order index), and read by nothing
 *  but such depthwise layers (no Reshape alias, not the output). Others run one lane per group. */
function bankedInputs(plan: AcceleratorPlan): Set<string> {
  const depthwise = (l: PlanLayer) => l.node.op === 'QConv' && l.node.attrs.group > 1 && l.weights!.shape[0] === l.node.attrs.group && l.weights!.shape[1] === 1 && !l.node.attrs.sharing;
  const producer = new Map(plan.layers.map((l) => [l.output, l]));
  const out = new Set<string>();
  for (const l of plan.layers) {
    if (!depthwise(l)) continue;
    const b = l.inputs[0]!, p = producer.get(b);
    const writer = p && ((p.node.op === 'QConv' && p.node.attrs.group === 1) || ['QSum', 'QMul', 'QTable', 'Clip'].includes(p.node.op));
    if (!writer || b === plan.output.name) continue;
    if (plan.layers.every((r) => !r.inputs.includes(b) || depthwise(r))) out.add(b);
  }
  return out;
}
