/** The Verilog accelerator's schedule: which hardware unit runs each layer of the plan, with which window geometry,
 *  and which physical memory holds each activation buffer. The Verilog emitter's view and the cycle model
 *  (cycles.ts) both read it, so the RTL and its predicted cycle counts come from one description.
 *  Units: one MAC tile per plan tile (QConv, QGemm), one window unit (MaxPool, QAveragePool) and one elementwise unit
 *  (QSum, QTable, QThreshold) shared by every layer of that kind. Reshape costs nothing: its output aliases its input memory
 *  (C order is unchanged). A Concat places its inputs inside its output's memory where the layout allows
 *  (src/hw/concat-placement.ts): a placed input's producer writes it at its offset there (Step.outputBase), its readers
 *  read it there (Step.inputBases), and the Concat copies only the other inputs, or is no step at all when every input
 *  is placed. Every other buffer gets its own memory (one RAM per layer output), so a residual QSum can read any
 *  earlier buffer. */
import { userError } from '../errors.js';
import { window3 } from '../golden/window.js';
import { broadcastSegments, layerSegments, type CopySegment } from './layout.js';
import { concatPlacements, placedRoot, type Placement } from './concat-placement.js';
import { busyChunks, checkFolding, elementRate, uniformFolding, windowLaneRate, type Folding } from './fold.js';
import type { AcceleratorPlan, PlanBuffer, PlanLayer } from './plan.js';
import { streamFormat, type StreamFormat, type StreamWidth } from './stream.js';

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
  /** The plan buffer whose storage it is, at offset 0 (aliases: reshapes of it; a Concat's output when inputs are
   *  placed in it). */
  readonly buffer: PlanBuffer;
  readonly aliases: readonly string[];
  /** Concat inputs placed inside it (src/hw/concat-placement.ts), each from element `at`, in the order written. */
  readonly placed: readonly { readonly buffer: string; readonly at: number }[];
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
  /** Banks of a stream memory interleaved by address (src/hw/stream.ts): the input memory when a beat carries B > 1
   *  codes (the loader writes B codes per cycle), the output memory when an output beat does (the streamer reads
   *  them in one cycle). Code a is word a div B of bank a mod B (B a power of two, so the address's low bits pick the
   *  bank); `size` is then the words per bank. 1 = not interleaved. */
  readonly interleave: number;
  /** Banks of a memory split by channel region (the output of a wide-write tile step, Step.wide): bank j holds
   *  channels [j*G, (j+1)*G) (G = regionChannels), channel c at position p at word (c - j*G)*Pos + p, so the P lanes
   *  of item g (channels j*G + g) write word g*Pos + p of every bank in one cycle, and a reader's C-order address
   *  a = c*Pos + p is bank j = the last with a >= j*`size`, word a - j*`size` (regionWord). `size` is then the
   *  words per bank, G*Pos. 1 = not split. */
  readonly regions: number;
  /** Channels per region (G = ceil(M / P)); 0 when not split. */
  readonly regionChannels: number;
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
  /** Memories read (in node input order; a Concat's placed inputs are not read) and written. */
  readonly inputs: readonly number[];
  readonly output: number;
  /** Offset of each input (per entry of `inputs`) and of the output inside its memory: the element where a Concat
   *  input placed in its Concat's memory starts; 0 for every other buffer. The top adds them to the unit's addresses. */
  readonly inputBases: readonly number[];
  readonly outputBase: number;
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
  /** Tile steps: the P lanes' outputs are written in one cycle (TileFold.wide, and the output memory allows it:
   *  wideOutputs), at one word of every bank: 'regions', a memory split by channel region (lane j of item g computes
   *  channel j*G + g, laneChannel); 'banks', a lane-banked depthwise input (Memory.banks: lane j of item g computes
   *  channel g*P + j, which bank j holds at word g*positions + p already). */
  readonly wide?: 'regions' | 'banks';
  /** Tile steps: products per lane per cycle (the tile's S; 1 for a depthwise layer on banked memory); window
   *  steps: taps per cycle (W). Taps per output are walked in chunks of ceil(k / simd). */
  readonly simd?: number;
  /** Elementwise steps: elements per cycle (Folding.elementwise where the output memory allows it, eltwiseLanes):
   *  lane e of the unit reads element i*E + e from replica e of each input memory and the E codes are written in one
   *  cycle into the output memory, interleaved by address (Memory.interleave, a power of two >= E, so any E
   *  consecutive addresses lie in distinct banks). 1 (or absent) = one element per cycle. */
  readonly elements?: number;
  /** Elementwise steps writing a lane-banked depthwise input at L elements per cycle (Folding.elementwise >= L):
   *  the elements are walked channel-major, lane e taking channel g*L + e at position p (C-order address
   *  (g*L + e)*positions + p, its own replica) and writing word g*positions + p of bank e, all L banks in one cycle
   *  as a wide tile step does: ceil(channels / L) * positions cycles of lanes. */
  readonly eltBanks?: { readonly channels: number; readonly positions: number };
  /** Window steps of V > 1 pipelines (Folding.windowLanes where the output memory allows it, windowLanesOf):
   *  pipeline v walks planes [v*G, (v+1)*G), G = `planes`, reading its W tap lanes from replicas v*W .. v*W + W - 1
   *  of the pooled memory, and the V outputs of one cycle are written at word (plane - v*G)*positions + p of bank v
   *  of the output memory, split by plane region (Memory.regions = V, regionChannels = G). V = ceil(C / G). */
  readonly windowLanes?: { readonly lanes: number; readonly planes: number };
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
  /** The stream beats (--stream-width). */
  readonly stream: StreamFormat;
  readonly memories: readonly Memory[];
  readonly memoryOf: ReadonlyMap<string, number>;
  readonly steps: readonly Step[];
  readonly input: number;
  readonly output: number;
}

/** The memories as build.json records them (`memories`): words (per bank), bits, lane banks (Memory.banks) and
 *  address-interleaved banks (Memory.interleave), the buffers stored at offset 0 (a layer output and its Reshapes)
 *  and the Concat inputs placed inside it with their offsets. */
export interface MemoryRecord {
  readonly memory: number;
  readonly words: number;
  readonly bits: number;
  readonly banks: number;
  readonly interleave: number;
  /** Channel-region banks (Memory.regions) and their channels each; absent when not split. */
  readonly regions?: number;
  readonly regionChannels?: number;
  readonly buffers: readonly string[];
  readonly placed: readonly { readonly buffer: string; readonly at: number }[];
}

export function memoryRecords(s: Schedule): MemoryRecord[] {
  return s.memories.map((m) => ({ memory: m.index, words: m.size, bits: m.bits, banks: m.banks, interleave: m.interleave, ...(m.regions > 1 ? { regions: m.regions, regionChannels: m.regionChannels } : {}), buffers: m.aliases, placed: m.placed }));
}

/** The Verilog top's beats without --stream-width: one 8-bit input code, one output code in 32 bits. */
export const VERILOG_STREAM_ORIGINAL = { input: 8, output: 32 } as const;

/** The Verilog top's stream beats at `width` bits (E_USAGE when the codes do not fit it). */
export function verilogStream(plan: AcceleratorPlan, width: StreamWidth | undefined): StreamFormat {
  return streamFormat(width, plan.input, plan.output, VERILOG_STREAM_ORIGINAL);
}

/** Schedules a plan on a folding (a number L: L lanes, one product per lane per cycle, on every tile; one window
 *  tap per cycle), with stream beats of `streamWidth` bits (undefined: one code per beat). Throws E_HW for layers
 *  the RTL does not implement. `placeConcats` false: every Concat copies all its inputs (the schedule before
 *  placement, kept to measure what placement saves). */
export function scheduleAccelerator(plan: AcceleratorPlan, fold: Folding | number, streamWidth?: StreamWidth, placeConcats = true): Schedule {
  if (typeof fold === 'number' && !(Number.isInteger(fold) && fold >= 1 && fold <= 256)) throw userError('E_HW', `lanes ${fold} must be an integer from 1 to 256`);
  const folding = typeof fold === 'number' ? uniformFolding(plan, fold) : checkFolding(plan, fold);
  const stream = verilogStream(plan, streamWidth);
  const pes = new Set(folding.tiles.map((t) => t.pe));
  const lanes = Math.max(...pes);
  // Banked memories need one bank count for the writer (a tile or the elementwise unit) and the reader: only when
  // every tile has the same P.
  const banked = pes.size === 1 ? bankedInputs(plan) : new Set<string>();
  const placements = placeConcats ? verilogPlacements(plan, banked, stream.output.codes > 1) : new Map<string, Placement>();
  const wide = wideOutputs(plan, folding, banked, placements);
  const eltLanes = eltwiseLanes(plan, elementRate(folding), placements, stream.output.codes);
  const winLanes = windowLanesOf(plan, windowLaneRate(folding), placements);
  // A lane-banked output takes L elements per cycle (channel-major, Step.eltBanks) when E >= L, else one.
  const eltStep = (buffer: string) => {
    if (!banked.has(buffer)) return { elements: eltLanes(buffer) };
    if (elementRate(folding) < lanes || lanes === 1) return { elements: 1 };
    const b = plan.buffers.get(buffer)!;
    return { elements: lanes, eltBanks: { channels: b.shape[1]!, positions: b.size / b.shape[1]! } };
  };
  const memories: Memory[] = [];
  const memoryOf = new Map<string, number>();
  /** Offset of a buffer inside its memory (placed Concat inputs; 0 when absent). */
  const baseOf = new Map<string, number>();
  const aliases = new Map<number, string[]>();
  const placedIn = new Map<number, { buffer: string; at: number }[]>();
  const addMemory = (b: PlanBuffer): number => {
    const index = memories.length;
    const banks = banked.has(b.name) ? lanes : 1;
    const interleave = b === plan.input ? stream.input.codes : 1;
    const size = banks > 1 ? Math.ceil(b.shape[1]! / lanes) * (b.size / b.shape[1]!) : Math.ceil(b.size / interleave);
    memories.push({ index, buffer: b, aliases: [], placed: [], size, bits: b.bits, signed: b.dtype !== 'uint8', banks, ports: 1, interleave, regions: 1, regionChannels: 0 });
    aliases.set(index, [b.name]);
    placedIn.set(index, []);
    memoryOf.set(b.name, index);
    return index;
  };
  // A layer output's memory: its own, or (a placed Concat input) the memory of the Concat output it lies in, made by
  // the first of its placed inputs' producers.
  const outputMemory = (b: PlanBuffer): number => {
    const { root, at } = placedRoot(placements, b.name);
    if (root === b.name) return memoryOf.get(b.name) ?? addMemory(b);
    const index = memoryOf.get(root) ?? addMemory(plan.buffers.get(root)!);
    memoryOf.set(b.name, index);
    baseOf.set(b.name, at);
    placedIn.get(index)!.push({ buffer: b.name, at });
    return index;
  };
  addMemory(plan.input);
  const steps: Step[] = [];
  const slots = new Map<string, number>();
  const addStep = (layer: PlanLayer, ins: number[], inputBases: number[], output: number, outputBase: number, buffer: string, shape: ReturnType<typeof stepShape>) => {
    const key = shape.unit === 'tile' ? `tile${layer.tile}` : shape.unit;
    const slot = slots.get(key) ?? 0;
    slots.set(key, slot + 1);
    const { unit, geometry, channels, k, positions, segments, items } = shape;
    const fold = unit === 'tile' ? { pe: folding.tiles[layer.tile!]!.pe, simd: items!.mode === 'groups' ? 1 : folding.tiles[layer.tile!]!.simd, ...(wide.has(buffer) ? { wide: wide.get(buffer)! } : {}) } : unit === 'window' ? { simd: folding.window, ...windowSplit(winLanes(buffer), channels) } : unit === 'eltwise' ? eltStep(buffer) : {};
    steps.push({ index: steps.length, layer, unit, ...(unit === 'tile' ? { tile: layer.tile! } : {}), slot, inputs: ins, output, inputBases, outputBase, buffer, ...(geometry ? { geometry } : {}), ...(segments ? { segments } : {}), ...(items ? { items } : {}), channels, k, positions, ...fold });
  };
  for (const layer of plan.layers) {
    const out = plan.buffers.get(layer.output)!;
    let ins = layer.inputs.map((n) => memoryOf.get(n)!);
    let inBases = layer.inputs.map((n) => baseOf.get(n) ?? 0);
    if (layer.node.op === 'Reshape') {
      memoryOf.set(layer.output, ins[0]!);
      baseOf.set(layer.output, inBases[0]!);
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
        addStep(layer, [ins[i]!], [inBases[i]!], mem, 0, wide.name, copyShape(broadcastSegments(layer.name, b.shape, out.shape, 0)));
        ins[i] = mem;
        inBases[i] = 0;
      });
    }
    const output = outputMemory(out), outputBase = baseOf.get(out.name) ?? 0;
    const pe = layer.tile !== undefined ? folding.tiles[layer.tile]!.pe : lanes;
    let shape = stepShape(plan, layer, pe, banked.has(layer.inputs[0]!));
    if (layer.node.op === 'Concat') {
      // The placed inputs are in place already: the Concat copies the others (their ports renumbered), or is no step.
      const copied = layer.inputs.flatMap((b, i) => (placements.get(b)?.into === layer.output ? [] : [i]));
      if (copied.length === 0) continue;
      shape = copyShape(shape.segments!.filter((sg) => copied.includes(sg.port)).map((sg) => ({ ...sg, port: copied.indexOf(sg.port) })));
      ins = copied.map((i) => ins[i]!);
      inBases = copied.map((i) => inBases[i]!);
    }
    addStep(layer, ins, inBases, output, outputBase, layer.output, shape);
  }
  // Replicas: as many read ports as the widest step reading the memory has busy chunks (lanes whose chunk lies
  // wholly past K read nothing).
  const ports = memories.map(() => 1);
  for (const st of steps) if (st.simd !== undefined) for (const m of st.inputs) ports[m] = Math.max(ports[m]!, busyChunks(st.k, st.simd));
  // An elementwise step of E lanes reads E replicas of each input (lane e: replica e).
  for (const st of steps) if ((st.elements ?? 1) > 1) for (const m of st.inputs) ports[m] = Math.max(ports[m]!, st.elements!);
  // A window step of V pipelines reads V*W replicas (pipeline v, tap lane s: replica v*W + s).
  for (const st of steps) if (st.windowLanes) for (const m of st.inputs) ports[m] = Math.max(ports[m]!, st.windowLanes.lanes * st.simd!);
  // The output memory (a Reshape's alias included) is interleaved for the streamer.
  const output = memoryOf.get(plan.output.name)!;
  if (output === 0 && stream.input.codes !== stream.output.codes) throw userError('E_HW', `'${plan.name}' streams its input memory out unchanged; give it a stream width with as many codes per input beat as per output beat`);
  // An elementwise step of E > 1 lanes writes its output memory interleaved by the power of two B >= E (or, the
  // streamed output, by the output beat's codes, which E does not exceed: eltwiseLanes).
  const eltInterleave = new Map(steps.filter((st) => (st.elements ?? 1) > 1 && !st.eltBanks).map((st) => [st.output, 2 ** Math.ceil(Math.log2(st.elements!))]));
  const interleaved = (m: Memory): Memory => {
    const b = Math.max(m.index === output && m.index !== 0 ? stream.output.codes : 1, eltInterleave.get(m.index) ?? 1);
    return b > 1 ? { ...m, interleave: b, size: Math.ceil(m.buffer.size / b) } : m;
  };
  // A wide step's output memory: P banks of G*Pos words, split by channel region.
  const regions = new Map(steps.filter((st) => st.wide === 'regions').map((st) => [st.output, { regions: st.pe!, regionChannels: st.items!.count, size: st.items!.count * st.positions }]));
  // A window step's of V pipelines: V banks of G*Pos words, split by plane region.
  for (const st of steps) if (st.windowLanes) regions.set(st.output, { regions: st.windowLanes.lanes, regionChannels: st.windowLanes.planes, size: st.windowLanes.planes * st.positions });
  const split = (m: Memory): Memory => (regions.has(m.index) ? { ...m, ...regions.get(m.index)! } : m);
  return {
    plan,
    lanes,
    folding,
    stream,
    memories: memories.map((m) => split(interleaved({ ...m, aliases: aliases.get(m.index)!, placed: placedIn.get(m.index)!, ports: ports[m.index]! }))),
    memoryOf,
    steps,
    input: 0,
    output,
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

/** The output channel lane j computes in item i of a tile step, or -1 when the lane idles in it. Lanes run over
 *  consecutive channels (item i: i*L + j), except in a wide step into channel regions (Step.wide), whose lanes are strided by the item
 *  count G so that lane j writes only channel region j of the output memory (item i: j*G + i). */
export function laneChannel(step: Step, lanes: number, item: number, j: number): number {
  const it = step.items!;
  if (step.wide === 'regions') {
    const c = j * it.count + item;
    return c < step.channels ? c : -1;
  }
  if (it.mode === 'groups') return item * lanes + j < step.channels ? item * lanes + j : -1;
  const group = Math.floor(item / it.blocks), inGroup = (item % it.blocks) * lanes + j;
  return inGroup < it.perGroup ? group * it.perGroup + inGroup : -1;
}

/** Bank and word of C-order element `a` of a memory split by channel region (Memory.regions): the read adapter's
 *  decode in the top. Plain memories: bank 0, word a. */
export function regionWord(m: Memory, a: number): { bank: number; word: number } {
  if (m.regions <= 1) return { bank: 0, word: a };
  const bank = Math.min(m.regions - 1, Math.floor(a / m.size));
  return { bank, word: a - bank * m.size };
}

/** Outputs of layers that wide-write tiles (TileFold.wide) write in one cycle per item-position: group-1 conv and
 *  Gemm layers with P > 1 whose output memory is a lane-banked depthwise input ('banks': its layout already puts an
 *  item's P channels at one word of the P banks) or a plain RAM in C order written by them alone ('regions'): not
 *  the streamed output (a Reshape alias of it included: interleaved for wide beats, or read
 *  from address 0 by the streamer), not placed in a Concat's memory nor holding placed inputs. Their readers keep
 *  C-order addresses; the top's read adapter finds the region. */
function wideOutputs(plan: AcceleratorPlan, folding: Folding, banked: ReadonlySet<string>, placements: ReadonlyMap<string, Placement>): Map<string, 'regions' | 'banks'> {
  const reshapeOf = new Map(plan.layers.filter((l) => l.node.op === 'Reshape').map((l) => [l.output, l.inputs[0]!]));
  const source = (b: string): string => (reshapeOf.has(b) ? source(reshapeOf.get(b)!) : b);
  const streamed = source(plan.output.name);
  const placedInto = new Set([...placements.values()].map((p) => p.into));
  const out = new Map<string, 'regions' | 'banks'>();
  for (const l of plan.layers) {
    if (l.tile === undefined || !folding.tiles[l.tile]!.wide || folding.tiles[l.tile]!.pe === 1) continue;
    if (!(l.node.op === 'QGemm' || (l.node.op === 'QConv' && l.node.attrs.group === 1))) continue;
    const b = l.output;
    if (banked.has(b)) out.set(b, 'banks');
    else if (b !== streamed && !placements.has(b) && !placedInto.has(b)) out.set(b, 'regions');
  }
  return out;
}

/** Elements per cycle of each elementwise step's output buffer at E lanes (Folding.elementwise): E where the
 *  output memory can take E codes per cycle, interleaved by address, and 1 where its layout is another: the input
 *  of a depthwise layer that may be lane-banked (bankedInputs, whether or not the tiles' P agree, so that the
 *  rate does not depend on P), a Concat's memory (placed inputs, read at offsets), or a placed input. The streamed output
 *  with wide beats is interleaved by the beat's codes already: E at most that many. */
function eltwiseLanes(plan: AcceleratorPlan, e: number, placements: ReadonlyMap<string, Placement>, outCodes: number): (buffer: string) => number {
  if (e === 1) return () => 1;
  const { fixed, streamed } = fixedLayouts(plan, placements);
  return (b) => {
    if (fixed(b) || !plan.buffers.has(b)) return 1;
    return b === streamed && outCodes > 1 ? Math.min(e, outCodes) : e;
  };
}

/** The buffers whose memory layout a multi-lane writer cannot choose (a depthwise layer's possibly lane-banked
 *  input, a placed Concat input, a Concat's memory holding placed inputs), and the buffer streamed out (through
 *  Reshapes). */
function fixedLayouts(plan: AcceleratorPlan, placements: ReadonlyMap<string, Placement>): { fixed: (buffer: string) => boolean; streamed: string } {
  const reshapeOf = new Map(plan.layers.filter((l) => l.node.op === 'Reshape').map((l) => [l.output, l.inputs[0]!]));
  const source = (b: string): string => (reshapeOf.has(b) ? source(reshapeOf.get(b)!) : b);
  const placedInto = new Set([...placements.values()].map((p) => p.into));
  const candidates = bankedInputs(plan);
  return { fixed: (b) => candidates.has(b) || placements.has(b) || placedInto.has(b), streamed: source(plan.output.name) };
}

/** Pipelines of a window step over C planes at V lanes: G = ceil(C / V) planes each, ceil(C / G) pipelines busy
 *  (absent when that is 1). */
function windowSplit(v: number, c: number): { windowLanes?: { lanes: number; planes: number } } {
  const g = Math.ceil(c / Math.min(v, c)), lanes = Math.ceil(c / g);
  return lanes > 1 ? { windowLanes: { lanes, planes: g } } : {};
}

/** Output planes per cycle of each window step's output buffer at V lanes (Folding.windowLanes): V where the output
 *  memory can be split by plane region (a plain RAM in C order that this step alone writes: not a possible
 *  lane-banked depthwise input, not the streamed output, not placed in a Concat's memory nor holding placed inputs),
 *  else 1. */
function windowLanesOf(plan: AcceleratorPlan, v: number, placements: ReadonlyMap<string, Placement>): (buffer: string) => number {
  if (v === 1) return () => 1;
  const { fixed, streamed } = fixedLayouts(plan, placements);
  return (b) => (fixed(b) || b === streamed ? 1 : v);
}

/** The Concat placements of the Verilog accelerator: the shared rule (src/hw/concat-placement.ts) where the memories
 *  involved are plain RAMs read and written in C order: not a banked memory (a depthwise layer's input), not the
 *  output memory when it is interleaved for wide output beats (`wideOutput`), not the output buffer (streamed from
 *  address 0), and only between buffers of one word format. The top reads all of a step's ports over one address
 *  bus, adding one base per memory, so no step may read two buffers of one memory at different offsets: placements
 *  that would make one are refused, and the rule is run again without them. */
function verilogPlacements(plan: AcceleratorPlan, banked: ReadonlySet<string>, wideOutput: boolean): Map<string, Placement> {
  const reshapeOf = new Map(plan.layers.filter((l) => l.node.op === 'Reshape').map((l) => [l.output, l.inputs[0]!]));
  const source = (b: string): string => (reshapeOf.has(b) ? source(reshapeOf.get(b)!) : b);
  const streamed = source(plan.output.name);
  const refused = new Set<string>();
  for (;;) {
    const placements = concatPlacements(plan, (b, into) => {
      const x = plan.buffers.get(b)!, y = plan.buffers.get(into)!;
      return !refused.has(b) && !banked.has(b) && !banked.has(into) && b !== streamed && !(wideOutput && into === streamed) && x.bits === y.bits && x.dtype === y.dtype;
    });
    const conflicts = new Set<string>();
    for (const l of plan.layers) {
      if (l.node.op === 'Reshape') continue;
      const out = plan.buffers.get(l.output)!;
      // What the step reads over the address bus: not a Concat's placed inputs, not the inputs a QSum/QMul reads from
      // their broadcast copies.
      const read = l.inputs.map(source).filter((b) => placements.get(b)?.into !== l.output && !((l.node.op === 'QSum' || l.node.op === 'QMul') && plan.buffers.get(b)!.size !== out.size));
      const at = new Map<string, Set<number>>();
      for (const b of read) {
        const r = placedRoot(placements, b);
        at.set(r.root, (at.get(r.root) ?? new Set()).add(r.at));
      }
      for (const b of read) if (at.get(placedRoot(placements, b).root)!.size > 1 && placements.has(b)) conflicts.add(b);
    }
    if (conflicts.size === 0) return placements;
    for (const b of conflicts) refused.add(b);
  }
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
