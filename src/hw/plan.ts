/** The accelerator view of a quantized IR: which nodes run in hardware, in which order, on which compute tile, reading
 *  and writing which activation buffers. The HLS C++ emitter, the Verilog emitter and the cycle model all read this
 *  one view, so they cannot disagree on what the accelerator is.
 *  What belongs to the accelerator (ir/arithmetic.md, "Where the accelerator ends"): every node between the graph
 *  input's QuantizeLinear and the output's DequantizeLinear. The host quantizes the input and dequantizes the output
 *  (and runs a trailing Softmax); the accelerator streams codes in and codes out, one inference at a time (batch 1).
 *  Tiles: a QConv/QGemm layer runs on the tile its `tile` attribute names (the approximate binding records it);
 *  without one, layers are grouped by multiplier (exact layers on one tile), tiles numbered in order of first use. */
import { userError } from '../errors.js';
import { rebatch } from '../ir/rebatch.js';
import { arithmeticOf } from '../ir/stats.js';
import type { CodeDType, DequantizeLinearNode, Graph, Node, QuantizeLinearNode, Tensor, UnaryNode, ValueInfo } from '../ir/types.js';
import { sizeOf } from '../ir/types.js';

/** The node kinds the accelerator implements. Others are rejected with E_HW naming the node. */
export const ACCELERATOR_OPS = ['QConv', 'QGemm', 'MaxPool', 'QAveragePool', 'QSum', 'QMul', 'QTable', 'QThreshold', 'Clip', 'Reshape', 'Transpose', 'Concat', 'Split', 'Slice'] as const;
export type AcceleratorOp = (typeof ACCELERATOR_OPS)[number];
/** Clip on codes (a ReLU or clamp the quantizer could not fold into its producer): lo/hi are code bounds. */
export type ClipNode = UnaryNode & { readonly op: 'Clip' };
export type AcceleratorNode = Extract<Node, { op: AcceleratorOp }> | ClipNode;
export type MacNode = Extract<Node, { op: 'QConv' | 'QGemm' }>;

/** An activation buffer: one tensor of codes of one inference (batch dimension 1), C order. */
export interface PlanBuffer {
  readonly name: string;
  readonly shape: readonly number[];
  readonly size: number;
  readonly dtype: CodeDType;
  /** Code range of the buffer's element type (uint8 0..255, int8 -128..127, int32 codes: the 16-bit range). */
  readonly min: number;
  readonly max: number;
  /** Bits a hardware word needs for every code of the type. */
  readonly bits: number;
}

export interface PlanLayer {
  /** Position in execution order (0-based). */
  readonly index: number;
  readonly name: string;
  readonly node: AcceleratorNode;
  /** Names of the activation buffers read (in node input order, constants excluded) and written. */
  readonly inputs: readonly string[];
  readonly output: string;
  /** Which output of a multi-output node (Split) this layer writes: a Split becomes one layer per output. */
  readonly part?: number;
  /** Tile of a QConv/QGemm layer; undefined for layers of the post-processing unit. */
  readonly tile?: number;
  /** Weight codes ([M, C/group, kh, kw] or [N, K]) and int32 bias of a QConv/QGemm layer. */
  readonly weights?: Tensor;
  readonly bias?: Tensor;
  /** Multiply-accumulates of one inference (QConv/QGemm), else 0. */
  readonly macs: number;
  /** A QThreshold layer's thresholds ([C or 1, L], int32) and channel walk: `inner` elements per channel run, `chans`
   *  channels along its axis (C order). */
  readonly thresholds?: { readonly values: Tensor; readonly inner: number; readonly chans: number };
}

export interface PlanTile {
  readonly index: number;
  /** Library id of the tile's multiplier; undefined = exact multiplication. */
  readonly multiplier?: string;
  /** Whether the operands are signed codes (int8 weights) or unsigned (uint8). */
  readonly signed: boolean;
  /** Indices (into plan.layers) of the layers the tile runs, in execution order. */
  readonly layers: readonly number[];
}

export interface AcceleratorPlan {
  readonly name: string;
  /** The batch-1 graph the plan was made from (golden model runs use it). */
  readonly graph: Graph;
  /** Host side: the float input, its quantization, and the code buffer the accelerator reads. */
  readonly hostInput: ValueInfo;
  readonly quantize: QuantizeLinearNode;
  readonly input: PlanBuffer;
  /** The code buffer the accelerator writes last, and the host's dequantization of it. */
  readonly output: PlanBuffer;
  readonly dequantize: DequantizeLinearNode;
  readonly layers: readonly PlanLayer[];
  readonly tiles: readonly PlanTile[];
  /** Every activation buffer by name: input, intermediates, output. */
  readonly buffers: ReadonlyMap<string, PlanBuffer>;
}

export interface PlanOptions {
  /** Tile of each QConv/QGemm layer by name, overriding the `tile` attributes and the grouping by multiplier (the
   *  folding solver's sharing of tiles by layers). Layers of different multipliers cannot share a tile (E_HW);
   *  tiles are renumbered 0..T-1 in order of first use. */
  readonly tileOf?: ReadonlyMap<string, number>;
}

/** Plans the accelerator of a quantized IR. Throws E_HW (user error) for graphs it cannot map, naming the cause. */
export function planAccelerator(source: Graph, options: PlanOptions = {}): AcceleratorPlan {
  const arithmetic = arithmeticOf(source);
  if (arithmetic === 'fixed-point' || arithmetic === 'custom-float') {
    const layer = source.nodes.find((n) => (n.op === 'Conv' || n.op === 'Gemm') && n.attrs.formats)!;
    throw userError('E_HW', `'${source.name}' is word-length tuned (${arithmetic} formats, e.g. on layer '${layer.name}'); the Verilog accelerator implements quantized (integer) IRs only: emit it as HLS C++ (adequate emit hls), or quantize the float model (adequate quantize) for Verilog`);
  }
  if (arithmetic !== 'integer') throw userError('E_HW', `'${source.name}' is a float IR; the accelerator needs a quantized IR: run adequate quantize first`);
  if (source.inputs.length !== 1) throw userError('E_HW', `'${source.name}' has ${source.inputs.length} inputs; the accelerator streams exactly one input tensor`);
  const graph = source.inputs[0]!.shape[0] === 1 ? source : rebatch(source, 1);
  if (!graph) throw userError('E_HW', `'${source.name}' does not follow the batch-first convention, so it cannot be planned for one inference at a time`);
  const hostInput = graph.inputs[0]!;
  const nodes = graph.nodes;
  const qIndex = nodes.findIndex((n) => n.op === 'QuantizeLinear' && n.inputs[0] === hostInput.name);
  if (qIndex !== 0) throw userError('E_HW', `the first node of '${graph.name}' must quantize the graph input '${hostInput.name}' (found ${nodes[0]?.op ?? 'no node'})`);
  const quantize = nodes[0] as QuantizeLinearNode;
  const dqIndex = nodes.findIndex((n) => n.op === 'DequantizeLinear');
  if (dqIndex < 0) throw userError('E_HW', `'${graph.name}' has no DequantizeLinear: the accelerator's output must be dequantized on the host`);
  const dequantize = nodes[dqIndex] as DequantizeLinearNode;
  const body = nodes.slice(1, dqIndex);
  if (body.length === 0) throw userError('E_HW', `'${graph.name}' has no layer between its QuantizeLinear and DequantizeLinear`);
  for (const n of nodes.slice(dqIndex + 1)) {
    if (n.op === 'QuantizeLinear' || n.op === 'DequantizeLinear' || n.op.startsWith('Q')) throw userError('E_HW', `node '${n.name}' (${n.op}) follows the output DequantizeLinear; only float host ops (Softmax, Reshape) may come after it`);
  }

  const buffers = new Map<string, PlanBuffer>();
  const addBuffer = (name: string) => {
    const v = graph.values.get(name)!;
    buffers.set(name, bufferOf(v));
  };
  addBuffer(quantize.outputs[0]!);
  const tileOf = options.tileOf ? reassignedTiles(body, graph, options.tileOf) : tileAssignment(body, graph);
  const layerOf = (n: AcceleratorNode, inputs: string[], index: number): PlanLayer => {
    addBuffer(n.outputs[0]!);
    if (n.op === 'QConv' || n.op === 'QGemm') {
      const weights = graph.constants.get(n.inputs[1]!);
      const bias = n.inputs[2] ? graph.constants.get(n.inputs[2]) : undefined;
      if (!weights) throw userError('E_HW', `layer '${n.name}' reads its weights from '${n.inputs[1]}', which is not a constant`);
      const outSize = sizeOf(graph.values.get(n.outputs[0]!)!.shape);
      const k = sizeOf(weights.shape) / weights.shape[0]!;
      return { index, name: n.name, node: n, inputs, output: n.outputs[0]!, tile: tileOf.get(n.name)!, weights, ...(bias ? { bias } : {}), macs: outSize * k };
    }
    if (n.op === 'QThreshold') {
      const shape = graph.values.get(n.inputs[0]!)!.shape, ax = n.attrs.axis;
      const thresholds = { values: graph.constants.get(n.inputs[1]!)!, inner: sizeOf(shape.slice(ax + 1)), chans: shape[ax]! };
      return { index, name: n.name, node: n, inputs, output: n.outputs[0]!, macs: 0, thresholds };
    }
    return { index, name: n.name, node: n, inputs, output: n.outputs[0]!, macs: 0 };
  };
  const layers: PlanLayer[] = [];
  for (const node of body) {
    if (!(ACCELERATOR_OPS as readonly string[]).includes(node.op)) {
      throw userError('E_HW', `node '${node.name}' (${node.op}) has no hardware implementation; the accelerator supports ${ACCELERATOR_OPS.join(', ')}`);
    }
    const n = node as AcceleratorNode;
    const inputs = n.inputs.filter((i) => i !== '' && !graph.constants.has(i));
    for (const i of inputs) if (!buffers.has(i)) throw userError('E_HW', `node '${n.name}' reads '${i}', which the accelerator does not compute (it must come from the input QuantizeLinear or an earlier layer)`);
    if (n.op === 'Split') {
      n.outputs.forEach((o, part) => {
        addBuffer(o);
        layers.push({ index: layers.length, name: n.outputs.length > 1 ? `${n.name}:${part}` : n.name, node: n, inputs, output: o, part, macs: 0 });
      });
      continue;
    }
    if (n.outputs.length !== 1) throw userError('E_HW', `node '${n.name}' has ${n.outputs.length} outputs; accelerator layers have one`);
    layers.push(layerOf(n, inputs, layers.length));
  }
  if (dequantize.inputs[0] !== layers.at(-1)!.output) {
    throw userError('E_HW', `the output DequantizeLinear reads '${dequantize.inputs[0]}', not the last accelerator layer's output '${layers.at(-1)!.output}'`);
  }
  const tiles = [...new Set(tileOf.values())].sort((a, b) => a - b).map((t): PlanTile => {
    const on = layers.filter((l) => l.tile === t);
    const mults = new Set(on.map((l) => (l.node as MacNode).attrs.multiplier));
    if (mults.size > 1) throw userError('E_HW', `tile ${t} runs layers with different multipliers (${[...mults].map((m) => m ?? 'exact').join(', ')}); a tile has one multiplier`);
    const signed = on[0]!.weights!.dtype === 'int8';
    const first = on[0]!.node as MacNode;
    return { index: t, ...(first.attrs.multiplier !== undefined ? { multiplier: first.attrs.multiplier } : {}), signed, layers: on.map((l) => l.index) };
  });
  return {
    name: graph.name,
    graph,
    hostInput,
    quantize,
    input: buffers.get(quantize.outputs[0]!)!,
    output: buffers.get(layers.at(-1)!.output)!,
    dequantize,
    layers,
    tiles,
    buffers,
  };
}

/** Tile per QConv/QGemm layer name, renumbered 0..T-1 in order of first use. */
function tileAssignment(body: readonly Node[], graph: Graph): Map<string, number> {
  const macs = body.filter((n): n is MacNode => n.op === 'QConv' || n.op === 'QGemm');
  if (macs.length === 0) throw userError('E_HW', `'${graph.name}' has no QConv or QGemm layer: there is nothing for a compute tile to do`);
  const recorded = macs.filter((n) => n.attrs.tile !== undefined).length;
  if (recorded !== 0 && recorded !== macs.length) throw userError('E_HW', `only ${recorded} of ${macs.length} conv/dense layers record a tile; bind all layers (adequate approx) or none`);
  const key = (n: MacNode) => (recorded ? `t${n.attrs.tile}` : `m${n.attrs.multiplier ?? ''}`);
  const numbering = new Map<string, number>();
  for (const n of macs) if (!numbering.has(key(n))) numbering.set(key(n), numbering.size);
  return new Map(macs.map((n) => [n.name, numbering.get(key(n))!]));
}

/** An explicit tile per QConv/QGemm layer (every one named), renumbered 0..T-1 in order of first use. */
function reassignedTiles(body: readonly Node[], graph: Graph, wanted: ReadonlyMap<string, number>): Map<string, number> {
  const macs = body.filter((n): n is MacNode => n.op === 'QConv' || n.op === 'QGemm');
  if (macs.length === 0) throw userError('E_HW', `'${graph.name}' has no QConv or QGemm layer: there is nothing for a compute tile to do`);
  const names = new Set(macs.map((n) => n.name));
  for (const name of wanted.keys()) if (!names.has(name)) throw userError('E_HW', `the tile assignment names '${name}', which is not a conv/dense layer of '${graph.name}'`);
  const numbering = new Map<number, number>();
  return new Map(macs.map((n) => {
    const t = wanted.get(n.name);
    if (t === undefined || !(Number.isInteger(t) && t >= 0)) throw userError('E_HW', `the tile assignment gives layer '${n.name}' no tile (or not a tile index: ${String(t)}); assign every conv/dense layer`);
    if (!numbering.has(t)) numbering.set(t, numbering.size);
    return [n.name, numbering.get(t)!];
  }));
}

function bufferOf(v: ValueInfo): PlanBuffer {
  const [min, max, bits] = v.dtype === 'uint8' ? [0, 255, 8] : v.dtype === 'int8' ? [-128, 127, 8] : v.dtype === 'int32' ? [-32768, 65535, 17] : [NaN, NaN, NaN];
  if (Number.isNaN(min)) throw userError('E_HW', `value '${v.name}' is ${v.dtype}; accelerator buffers hold integer codes`);
  if (v.shape[0] !== 1) throw userError('E_HW', `value '${v.name}' has shape [${v.shape.join(', ')}]; the accelerator runs one inference at a time (batch 1)`);
  return { name: v.name, shape: v.shape, size: sizeOf(v.shape), dtype: v.dtype as CodeDType, min, max, bits };
}
