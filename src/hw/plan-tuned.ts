/** The accelerator view of a word-length-tuned IR (ir/arithmetic.md section 6): which nodes run in hardware, in which
 *  order, on which compute tile, and the number format of every activation buffer. The HLS emitter and its
 *  verification read it (the integer counterpart is plan.ts).
 *  What belongs to the accelerator: every node from the graph input up to a trailing Softmax/LogSoftmax (host). The
 *  host casts the input into its format (like QuantizeLinear for integer IRs) and streams codes in; the accelerator
 *  streams the last layer's codes out, one inference at a time (batch 1).
 *  Tiles: tuned layers with the same formats (input, weight, bias, accumulator, output) share a tile; each distinct
 *  set of formats is its own datapath, because the point of word-length tuning is a multiplier and an adder of each
 *  layer's own width (one shared tile would be as wide as the widest layer). Layers that record other reduction lanes
 *  (ir/arithmetic.md 6: S, the tile's SIMD lanes) sit on other tiles too: a tile has one S. */
import { userError } from '../errors.js';
import { decodeFloat, dequantizeFixed, encodeFloat, fixedRange, quantizeFixed } from '../ir/numformats.js';
import { rebatch } from '../ir/rebatch.js';
import { arithmeticOf } from '../ir/stats.js';
import type { ConvNode, GemmNode, Graph, LayerFormats, Node, NumFormat, Tensor } from '../ir/types.js';
import { sizeOf } from '../ir/types.js';

/** The node kinds the tuned accelerator implements (ir/arithmetic.md 6.3 lists what a tuned graph may hold). */
export const TUNED_OPS = ['Conv', 'Gemm', 'Relu', 'Clip', 'MaxPool', 'GlobalMaxPool', 'Reshape'] as const;
export type TunedOp = (typeof TUNED_OPS)[number];
export type TunedNode = Node & { readonly op: TunedOp };
const HOST_OPS: ReadonlySet<string> = new Set(['Softmax', 'LogSoftmax']);

/** An activation buffer: one tensor of one inference (batch 1), C order, as codes of its format. */
export interface TunedBuffer {
  readonly name: string;
  readonly shape: readonly number[];
  readonly size: number;
  readonly format: NumFormat;
  /** Code range: a fixed format's codes, or a float format's unsigned codes 0 .. 2^(1+E+M) - 1. */
  readonly min: number;
  readonly max: number;
}

export interface TunedLayer {
  readonly index: number;
  readonly name: string;
  readonly node: TunedNode;
  /** Activation buffers read (constants excluded) and written. */
  readonly inputs: readonly string[];
  readonly output: string;
  /** Tile of a Conv/Gemm layer. */
  readonly tile?: number;
  /** Weights ([M, C/group, kh, kw] or Gemm's B) and bias of a Conv/Gemm layer, as values of their formats. */
  readonly weights?: Tensor;
  readonly bias?: Tensor;
  readonly macs: number;
}

export interface TunedTile {
  readonly index: number;
  readonly kind: 'fixed' | 'float';
  /** The format of the activations the tile's layers read, and their layer formats. */
  readonly input: NumFormat;
  readonly formats: LayerFormats;
  /** S: the SIMD lanes its layers' terms are summed in (their reductionLanes). */
  readonly simd: number;
  readonly layers: readonly number[];
}

export interface TunedPlan {
  readonly name: string;
  readonly arithmetic: 'fixed-point' | 'custom-float';
  /** The batch-1 graph the plan was made from (golden model runs use it). */
  readonly graph: Graph;
  readonly input: TunedBuffer;
  readonly output: TunedBuffer;
  readonly layers: readonly TunedLayer[];
  readonly tiles: readonly TunedTile[];
  readonly buffers: ReadonlyMap<string, TunedBuffer>;
}

/** Whether a graph is word-length tuned (and so planned here rather than by planAccelerator). */
export function isTuned(graph: Graph): boolean {
  const a = arithmeticOf(graph);
  return a === 'fixed-point' || a === 'custom-float';
}

/** Plans the accelerator of a word-length-tuned IR. Throws E_HW (user error) for graphs it cannot map. */
export function planTunedAccelerator(source: Graph): TunedPlan {
  const arithmetic = arithmeticOf(source);
  if (arithmetic !== 'fixed-point' && arithmetic !== 'custom-float') throw new Error(`internal error: '${source.name}' is not word-length tuned`);
  if (source.inputs.length !== 1) throw userError('E_HW', `'${source.name}' has ${source.inputs.length} inputs; the accelerator streams exactly one input tensor`);
  const graph = source.inputs[0]!.shape[0] === 1 ? source : rebatch(source, 1);
  if (!graph) throw userError('E_HW', `'${source.name}' does not follow the batch-first convention, so it cannot be planned for one inference at a time`);
  const inputName = graph.inputs[0]!.name;
  const inputFormat = graph.values.get(inputName)!.format;
  if (!inputFormat) throw userError('E_HW', `the graph input '${inputName}' of '${graph.name}' has no number format; run adequate wordlength (or the wordlength pass) on the float IR`);
  const end = graph.nodes.findIndex((n) => HOST_OPS.has(n.op));
  const body = end < 0 ? graph.nodes : graph.nodes.slice(0, end);
  for (const n of graph.nodes.slice(body.length)) {
    if (!HOST_OPS.has(n.op)) throw userError('E_HW', `node '${n.name}' (${n.op}) follows the host's ${graph.nodes[end]!.op}; only Softmax and LogSoftmax may run on the host after the accelerator`);
  }
  if (body.length === 0) throw userError('E_HW', `'${graph.name}' has no layer before its ${graph.nodes[0]?.op ?? 'end'}`);

  const buffers = new Map<string, TunedBuffer>();
  const addBuffer = (name: string, format: NumFormat) => {
    const shape = graph.values.get(name)!.shape;
    buffers.set(name, { name, shape, size: sizeOf(shape), format, ...codeRange(format) });
  };
  addBuffer(inputName, inputFormat);
  const layers = body.map((node, index): TunedLayer => {
    if (!(TUNED_OPS as readonly string[]).includes(node.op)) {
      throw userError('E_HW', `node '${node.name}' (${node.op}) has no hardware implementation in a word-length-tuned accelerator; it supports ${TUNED_OPS.join(', ')} (and a trailing Softmax on the host)`);
    }
    const n = node as TunedNode;
    const inputs = n.inputs.filter((i) => i !== '' && !graph.constants.has(i));
    for (const i of inputs) if (!buffers.has(i)) throw userError('E_HW', `node '${n.name}' reads '${i}', which the accelerator does not compute (it must come from the graph input or an earlier layer)`);
    if (n.outputs.length !== 1 || inputs.length !== 1) throw userError('E_HW', `node '${n.name}' (${n.op}) reads ${inputs.length} and writes ${n.outputs.length} activation tensors; accelerator layers read and write one`);
    const inFormat = buffers.get(inputs[0]!)!.format;
    const output = n.outputs[0]!;
    if (n.op !== 'Conv' && n.op !== 'Gemm') {
      addBuffer(output, inFormat);
      return { index, name: n.name, node: n, inputs, output, macs: 0 };
    }
    const formats = layerFormats(n, inFormat);
    addBuffer(output, formats.activation);
    const weights = graph.constants.get(n.inputs[1]!);
    const bias = n.inputs[2] ? graph.constants.get(n.inputs[2]) : undefined;
    if (!weights || (n.inputs[2] && !bias)) throw userError('E_HW', `layer '${n.name}' reads its weights or bias from a value that is not a constant`);
    checkInFormat(n.name, 'weight', weights, formats.weight);
    if (bias) checkInFormat(n.name, 'bias', bias, formats.bias);
    const k = sizeOf(weights.shape) / (n.op === 'Conv' ? weights.shape[0]! : graph.values.get(output)!.shape[1]!);
    return { index, name: n.name, node: n, inputs, output, weights, ...(bias ? { bias } : {}), macs: sizeOf(graph.values.get(output)!.shape) * k };
  });
  const { tiles, tileOf } = tileAssignment(layers, buffers);
  return {
    name: graph.name,
    arithmetic,
    graph,
    input: buffers.get(inputName)!,
    output: buffers.get(layers.at(-1)!.output)!,
    layers: layers.map((l) => (tileOf.has(l.index) ? { ...l, tile: tileOf.get(l.index)! } : l)),
    tiles,
    buffers,
  };
}

/** One tile per distinct (input format, layer formats), numbered in order of first use. */
function tileAssignment(layers: readonly TunedLayer[], buffers: ReadonlyMap<string, TunedBuffer>): { tiles: TunedTile[]; tileOf: Map<number, number> } {
  const tiles: { index: number; kind: 'fixed' | 'float'; input: NumFormat; formats: LayerFormats; simd: number; layers: number[] }[] = [];
  const byKey = new Map<string, number>();
  const tileOf = new Map<number, number>();
  for (const l of layers) {
    if (l.node.op !== 'Conv' && l.node.op !== 'Gemm') continue;
    const input = buffers.get(l.inputs[0]!)!.format, formats = l.node.attrs.formats!, simd = reductionLanesOf(l.node);
    const key = JSON.stringify([input, formats.weight, formats.bias, formats.accumulator, formats.activation, simd]);
    if (!byKey.has(key)) {
      byKey.set(key, tiles.length);
      tiles.push({ index: tiles.length, kind: formats.accumulator.kind, input, formats, simd, layers: [] });
    }
    tiles[byKey.get(key)!]!.layers.push(l.index);
    tileOf.set(l.index, byKey.get(key)!);
  }
  return { tiles, tileOf };
}

/** The reduction lanes S a tuned Conv/Gemm records (ir/arithmetic.md 6; absent = 1). */
export function reductionLanesOf(n: Node): number {
  return (n.op === 'Conv' || n.op === 'Gemm') && n.attrs.reductionLanes !== undefined ? n.attrs.reductionLanes : 1;
}

/** The distinct reduction lanes of a tuned graph's Conv/Gemm layers, ascending (what `emit hls` builds). */
export function recordedReductionLanes(graph: Graph): number[] {
  return [...new Set(graph.nodes.filter((n) => n.op === 'Conv' || n.op === 'Gemm').map(reductionLanesOf))].sort((a, b) => a - b);
}

/** A tuned layer's formats, checked for what the datapaths implement: one number system per layer. */
function layerFormats(n: ConvNode | GemmNode, input: NumFormat): LayerFormats {
  const f = n.attrs.formats;
  if (!f) throw userError('E_HW', `layer '${n.name}' (${n.op}) has no number formats while other layers are word-length tuned; tune every Conv/Gemm (adequate wordlength)`);
  const kinds = [input.kind, f.weight.kind, f.bias.kind, f.accumulator.kind, f.activation.kind];
  if (kinds.some((k) => k !== kinds[0])) {
    throw userError('E_HW', `layer '${n.name}' mixes fixed-point and float formats (input ${input.kind}, weight ${f.weight.kind}, bias ${f.bias.kind}, accumulator ${f.accumulator.kind}, activation ${f.activation.kind}); the HLS datapaths need one number system per layer: give all of them fixed or all float formats`);
  }
  if (n.op === 'Gemm' && (n.attrs.alpha !== 1 || n.attrs.beta !== 1 || n.attrs.transA)) throw userError('E_HW', `Gemm '${n.name}' has alpha ${n.attrs.alpha}, beta ${n.attrs.beta}, transA ${n.attrs.transA}; a tuned Gemm needs alpha = beta = 1 and transA = 0 (ir/arithmetic.md 6)`);
  return f;
}

function codeRange(f: NumFormat): { min: number; max: number } {
  return f.kind === 'fixed' ? fixedRange(f) : { min: 0, max: 2 ** (1 + f.expBits + f.mantBits) - 1 };
}

/** The code of a value of format f (fixed: value * 2^F; float: encodeFloat); undefined when the value is not one of
 *  the format's (a code would change it). -0 and +0 are different float codes. */
export function codeOfValue(v: number, f: NumFormat): number | undefined {
  if (f.kind === 'fixed') {
    const c = quantizeFixed(v, f);
    return dequantizeFixed(c, f) === v ? c : undefined;
  }
  const c = encodeFloat(v, f), back = decodeFloat(c, f);
  return Object.is(back, v) || (Number.isNaN(back) && Number.isNaN(v)) ? c : undefined;
}

/** The value of a code of format f. */
export function valueOfCode(c: number, f: NumFormat): number {
  return f.kind === 'fixed' ? dequantizeFixed(c, f) : decodeFloat(c, f);
}

/** Codes of a whole tensor of format f; an internal error if a value is not in the format (the golden model only
 *  produces values of their formats). */
export function codesOf(t: Tensor, f: NumFormat, what: string): Float64Array {
  const out = new Float64Array(t.data.length);
  for (let i = 0; i < out.length; i++) {
    const c = codeOfValue(t.data[i]!, f);
    if (c === undefined) throw new Error(`internal error: ${what}[${i}] = ${t.data[i]} is not a value of its format`);
    out[i] = c;
  }
  return out;
}

function checkInFormat(layer: string, role: 'weight' | 'bias', t: Tensor, f: NumFormat): void {
  for (let i = 0; i < t.data.length; i++) {
    if (codeOfValue(t.data[i]!, f) === undefined) {
      throw userError('E_HW', `layer '${layer}': ${role} ${i} = ${t.data[i]} is not a value of its ${role} format; the hardware stores codes, so run the wordlength pass (adequate wordlength) to round the ${role}s into their format`);
    }
  }
}
