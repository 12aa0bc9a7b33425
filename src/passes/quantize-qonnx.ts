/** The QONNX quantizers of activations in the integer graph (used by quantize.ts; ir/arithmetic.md section 3c).
 *  A Quant, BipolarQuant or MultiThreshold fixes its output's codes; what lies between it and the last integer tensor
 *  (a chain of monotone per-channel float ops: ChannelAffine, Add/Sub/Mul/Div by constants, Relu, Clip) is a monotone
 *  function of that tensor's codes per channel, so it becomes either
 *  - a QThreshold: thresholds on the integer input (a layer's raw accumulator, or codes), found by binary search on
 *    the float golden model's own evaluation of the chain, so both compute the same rounding; or
 *  - a QTable over the input codes, when the input is a per-tensor code tensor and the chain is per tensor.
 *  Nothing is calibrated: the codes are exactly the ones the QONNX quantizer states. */
import { userError } from '../errors.js';
import { evalNode } from '../golden/evaluate.js';
import { roundHalfEven, INT32_MAX, INT32_MIN } from '../ir/arith.js';
import { inferOutputs } from '../ir/shapes.js';
import type { CodeQuant, Graph, Node, Tensor } from '../ir/types.js';
import { makeTensor, sizeOf } from '../ir/types.js';
import { qonnxCodeQuant } from './absorb-quant.js';

export type Quantizer = Extract<Node, { op: 'Quant' | 'BipolarQuant' | 'MultiThreshold' }>;

/** A quantizer and the float ops between it and `start` (the output of `layer`, or a tensor that will hold codes). */
export interface QuantizerChain {
  readonly start: string;
  readonly layer?: Node;
  readonly ops: readonly Node[];
  readonly quantizer: Quantizer;
}

/** The codes a quantizer's output holds: out = base + step * j for j = 0..levels. */
export interface QuantizerCodes {
  readonly quant: CodeQuant;
  readonly base: number;
  readonly step: number;
  readonly levels: number;
}

const LINEAR = new Set(['Conv', 'Gemm', 'MatMul']);

export function isQuantizer(n: Node): n is Quantizer {
  return n.op === 'Quant' || n.op === 'BipolarQuant' || n.op === 'MultiThreshold';
}

/** The data input of a chain op (the one input that is not a constant), or undefined when it is not a chain op. */
export function chainInput(n: Node, graph: Graph): string | undefined {
  const constant = (i: string) => graph.constants.has(i);
  switch (n.op) {
    case 'ChannelAffine':
    case 'Relu':
    case 'Clip':
      return constant(n.inputs[0]!) ? undefined : n.inputs[0];
    case 'Add':
    case 'Sub':
    case 'Mul':
    case 'Div': {
      const data = n.inputs.filter((i) => !constant(i));
      // c / x is not monotone across x = 0.
      if (data.length !== 1 || (n.op === 'Div' && data[0] !== n.inputs[0])) return undefined;
      return data[0];
    }
    default:
      return undefined;
  }
}

/** Every activation quantizer with the chain of float ops that leads to it. */
export function quantizerChains(graph: Graph): Map<Quantizer, QuantizerChain> {
  const consumers = new Map<string, number>();
  for (const n of graph.nodes) for (const i of n.inputs) consumers.set(i, (consumers.get(i) ?? 0) + 1);
  const producer = new Map<string, Node>();
  for (const n of graph.nodes) for (const o of n.outputs) producer.set(o, n);
  const single = (v: string) => consumers.get(v) === 1 && !graph.outputs.includes(v);
  const chains = new Map<Quantizer, QuantizerChain>();
  for (const q of graph.nodes) {
    if (!isQuantizer(q) || graph.constants.has(q.inputs[0]!)) continue;
    let v = q.inputs[0]!;
    const ops: Node[] = [];
    for (;;) {
      const p = producer.get(v);
      const next = p && single(v) ? chainInput(p, graph) : undefined;
      if (!p || next === undefined) break;
      ops.unshift(p);
      v = next;
    }
    const p = producer.get(v);
    const layer = p && LINEAR.has(p.op) && single(v) && graph.constants.has(p.inputs[1]!) ? p : undefined;
    chains.set(q, { start: v, ...(layer ? { layer } : {}), ops, quantizer: q });
  }
  return chains;
}

/** The output codes of a chain's quantizer (per tensor). */
export function quantizerCodes(q: Quantizer, graph: Graph): QuantizerCodes {
  const c = (k: number) => graph.constants.get(q.inputs[k]!)!;
  const scalar = (t: Tensor, what: string) => {
    if (sizeOf(t.shape) !== 1) throw userError('E_QUANT', `node '${q.name}' (${q.op}): its ${what} varies per channel; activations have one scale and zero point per tensor`);
    return t.data[0]!;
  };
  if (q.op === 'MultiThreshold') {
    const { outScale, outBias } = q.attrs;
    const levels = c(1).shape[1]!;
    const zp = -outBias / outScale;
    if (!(outScale > 0) || !Number.isInteger(zp))
      throw userError('E_QUANT', `node '${q.name}' (MultiThreshold): out_scale ${outScale} and out_bias ${outBias} give no integer codes (out_scale must be positive and out_bias a multiple of it)`);
    const bits = Math.max(2, Math.ceil(Math.log2(levels + 1)));
    return { quant: { scale: outScale, zeroPoint: zp, bits, scheme: 'unsigned', qmin: 0, qmax: levels }, base: 0, step: 1, levels };
  }
  const quant = qonnxCodeQuant(q, scalar(c(1), 'scale'), q.op === 'Quant' ? scalar(c(2), 'zero point') : 0);
  const bipolar = q.op === 'BipolarQuant' || q.attrs.bits === 1;
  return bipolar ? { quant, base: -1, step: 2, levels: 1 } : { quant, base: quant.qmin, step: 1, levels: quant.qmax - quant.qmin };
}

/** Whether every constant of the chain (and the quantizer's parameters) is one value: a QTable can hold it. */
export function perTensorChain(ch: QuantizerChain, graph: Graph): boolean {
  return [...ch.ops, ch.quantizer].every((n) => n.inputs.every((i) => !graph.constants.has(i) || sizeOf(graph.constants.get(i)!.shape) === 1 || (n.op === 'MultiThreshold' && graph.constants.get(i)!.shape[0] === 1)));
}

/** Runs the chain (ops, then quantizer) in the float golden model on x and returns the quantizer's output codes. */
function chainCodes(ch: QuantizerChain, graph: Graph, x: Tensor, codes: QuantizerCodes): Int32Array {
  let t = x;
  for (const n of [...ch.ops, ch.quantizer]) {
    const ins = n.inputs.map((i) => (graph.constants.get(i) ?? t));
    const shapes = inferOutputs(n, ins.map((v) => ({ dtype: v.dtype, shape: v.shape })));
    if (shapes[0]!.shape.length !== x.shape.length || shapes[0]!.shape.some((d, k) => d !== x.shape[k]))
      throw userError('E_QUANT', `node '${n.name}' (${n.op}): its constants are not per channel (shape [${shapes[0]!.shape}] from [${x.shape}]); only per-channel constants fold into a threshold activation`);
    t = evalNode(n, ins, [shapes[0]!.shape])[0]!;
  }
  const q = codes.quant;
  return Int32Array.from(t.data, (y) => roundHalfEven(y / q.scale) + q.zeroPoint);
}

/** A QTable over the codes of `a` (per-tensor chains only). */
export function chainTable(ch: QuantizerChain, graph: Graph, a: CodeQuant, codes: QuantizerCodes): number[] {
  const n = a.qmax - a.qmin + 1;
  if (n > 65536) throw userError('E_QUANT', `node '${ch.quantizer.name}' (${ch.quantizer.op}): its input has ${a.bits}-bit codes; a lookup table needs at most 16`);
  const x = makeTensor('float32', [n], Float32Array.from({ length: n }, (_, i) => a.scale * (a.qmin + i - a.zeroPoint)));
  return Array.from(chainCodes(ch, graph, x, codes));
}

/** Thresholds of a QThreshold on an integer input x (per channel c: input range [lo[c], hi[c]], float value
 *  value(x, c) that the float graph feeds the chain): direction d[c] and, for level j = 1..levels, the least y with
 *  code(d * y) >= base + step * j over y in the direction-signed range (one past its end when never reached). */
export function chainThresholds(
  ch: QuantizerChain, graph: Graph, codes: QuantizerCodes, rank: number,
  lo: readonly number[], hi: readonly number[], value: (x: number, c: number) => number,
): { thresholds: Tensor; direction: (1 | -1)[] } {
  const C = lo.length, L = codes.levels;
  if (rank < 2) throw userError('E_QUANT', `node '${ch.quantizer.name}': a threshold activation needs a tensor with a channel axis`);
  if (ch.quantizer.op === 'MultiThreshold' && ch.quantizer.attrs.axis !== 1)
    throw userError('E_QUANT', `node '${ch.quantizer.name}' (MultiThreshold): channels-last thresholds after an NCHW layer are not supported; transpose the thresholds' input to NCHW`);
  const probe = (rows: number, v: (r: number, c: number) => number) =>
    makeTensor('float32', [rows, C, ...Array<number>(rank - 2).fill(1)], Float32Array.from({ length: rows * C }, (_, i) => v(Math.floor(i / C), i % C)));
  const ends = chainCodes(ch, graph, probe(2, (r, c) => value(r === 0 ? lo[c]! : hi[c]!, c)), codes);
  const direction = Array.from({ length: C }, (_, c): 1 | -1 => (ends[c]! > ends[C + c]! ? -1 : 1));
  // Direction-signed range per channel; binary search of every (level, channel) at once.
  const ylo = direction.map((d, c) => (d === 1 ? lo[c]! : -hi[c]!)), yhi = direction.map((d, c) => (d === 1 ? hi[c]! : -lo[c]!));
  const left = Float64Array.from({ length: L * C }, (_, i) => ylo[i % C]!), right = Float64Array.from({ length: L * C }, (_, i) => yhi[i % C]! + 1);
  // Row j of the probe holds every channel's candidate for level j + 1 (closed searches are evaluated and ignored).
  for (;;) {
    let open = 0;
    const mid = new Float64Array(L * C);
    for (let i = 0; i < L * C; i++) {
      mid[i] = Math.floor((left[i]! + right[i]!) / 2);
      if (left[i]! < right[i]!) open++;
    }
    if (open === 0) break;
    const got = chainCodes(ch, graph, probe(L, (j, c) => value(direction[c]! * Math.min(mid[j * C + c]!, yhi[c]!), c)), codes);
    for (let i = 0; i < L * C; i++) {
      if (!(left[i]! < right[i]!)) continue;
      if (got[i]! >= codes.base + codes.step * (Math.floor(i / C) + 1)) right[i] = mid[i]!;
      else left[i] = mid[i]! + 1;
    }
  }
  const thresholds = makeTensor('int32', [C, L]);
  for (let c = 0; c < C; c++) for (let j = 0; j < L; j++) thresholds.data[c * L + j] = Math.min(INT32_MAX, Math.max(INT32_MIN, left[j * C + c]!));
  return { thresholds, direction };
}

/** Per-output-channel range of a layer's accumulator: bias + sum_k (a - za)(w_mk - zw_m) over every input code. */
export function accumulatorRange(w: Tensor, wZeroPoint: readonly number[], a: CodeQuant, bias: Tensor | undefined): { lo: number[]; hi: number[] } {
  const M = w.shape[0]!, K = sizeOf(w.shape) / M;
  const lo: number[] = [], hi: number[] = [];
  for (let m = 0; m < M; m++) {
    const zw = wZeroPoint.length === 1 ? wZeroPoint[0]! : wZeroPoint[m]!;
    let l = bias ? bias.data[m]! : 0, h = l;
    for (let k = 0; k < K; k++) {
      const d = w.data[m * K + k]! - zw;
      const [p, q] = [d * (a.qmin - a.zeroPoint), d * (a.qmax - a.zeroPoint)];
      l += Math.min(p, q);
      h += Math.max(p, q);
    }
    lo.push(l);
    hi.push(h);
  }
  return { lo, hi };
}
