/** The search space of word-length tuning and its range analysis (docs/wordlength.md).
 *  Range analysis fixes what the data decides: for fixed point the integer bits I of every variable (from the
 *  calibration min/max, src/passes/calibrate.ts, and the weights themselves), for custom float the exponent bits E
 *  and the bias (the largest binade holding the maximum, down to the binade below which at most 1 % of the nonzero
 *  values lie). What remains is one precision per variable, searched: fractional bits F (W = I + F) or mantissa
 *  bits M. Variables: the graph input, and per Conv/Gemm its weight, bias, accumulator and activation (output). */
import { fixedFormat, floatFormat, type FixedRounding } from '../../ir/numformats.js';
import type { Graph, LayerFormats, Node, NumFormat, Tensor } from '../../ir/types.js';
import { sizeOf } from '../../ir/types.js';
import { macsOf } from '../../ir/stats.js';
import type { CalibrationStats, TensorStats } from '../../passes/calibrate.js';
import { tunableLayers } from '../../passes/wordlength.js';

export type NumberSystem = 'fixed' | 'float';
export type Role = 'input' | 'weight' | 'bias' | 'accumulator' | 'activation';

export interface Variable {
  /** Layer name, or the graph input's name for the input variable. */
  readonly layer: string;
  readonly role: Role;
  /** Precision range searched (fractional or mantissa bits); `hi` is the reference precision. */
  readonly lo: number;
  readonly hi: number;
  /** The format at precision p. */
  readonly format: (p: number) => NumFormat;
  /** Elements stored in this format (weights, biases, activations; 0 for the accumulator). */
  readonly elements: number;
  /** For reports: what range analysis fixed ("I=3 unsigned", "E=4 bias 9"). */
  readonly range: string;
}

export interface LayerSpace {
  readonly name: string;
  readonly op: 'Conv' | 'Gemm';
  readonly macs: number;
  /** Index of the variable whose format this layer's input activations have. */
  readonly inputVar: number;
  /** Indices of its weight, bias, accumulator and activation variables. */
  readonly vars: { readonly weight: number; readonly bias: number; readonly accumulator: number; readonly activation: number };
}

export interface Space {
  readonly kind: NumberSystem;
  readonly variables: readonly Variable[];
  readonly layers: readonly LayerSpace[];
  /** S of SpaceOptions.simd (absent: 1), given to every tuned graph the search evaluates. */
  readonly reductionLanes?: number;
}

export type Config = readonly number[];

export interface SpaceOptions {
  /** Rounding of the accumulator and activation casts (weights and biases always round half to even). */
  readonly rounding: FixedRounding;
  /** Overflow of fixed accumulators (activations, weights and biases saturate). */
  readonly accOverflow: 'wrap' | 'saturate';
  /** S, the lanes each layer's terms are summed in (the HLS tile's SIMD lanes; ir/arithmetic.md 6), so that the search
   *  measures the hardware's order. Default 1. */
  readonly simd?: number;
}

/** Fraction of nonzero magnitudes allowed below the smallest normal binade of a float format. */
const FLUSH_FRACTION = 0.01;

export function buildSpace(graph: Graph, kind: NumberSystem, stats: CalibrationStats, o: SpaceOptions): Space {
  const variables: Variable[] = [];
  const layers: LayerSpace[] = [];
  const input = graph.inputs[0]!;
  const statOf = (name: string): TensorStats => {
    const s = stats.get(name);
    if (!s) throw new Error(`internal error: no calibration statistics for '${name}'`);
    return s;
  };
  const add = (v: Variable): number => variables.push(v) - 1;
  // Where each tensor's format comes from: the input variable, a layer's activation variable, or through exact ops.
  const source = new Map<string, number>([[input.name, add(activationVar(input.name, 'input', statOf(input.name), sizeOf(input.shape), kind, o))]]);
  const consumers = new Map<string, Node[]>();
  for (const n of graph.nodes) for (const i of n.inputs) consumers.set(i, [...(consumers.get(i) ?? []), n]);
  const tunable = new Set(tunableLayers(graph));
  for (const n of graph.nodes) {
    if (!tunable.has(n) || (n.op !== 'Conv' && n.op !== 'Gemm')) {
      const from = n.inputs.map((i) => source.get(i)).find((v) => v !== undefined);
      if (from !== undefined) for (const out of n.outputs) source.set(out, from);
      continue;
    }
    const inputVar = source.get(n.inputs[0]!);
    if (inputVar === undefined) throw new Error(`internal error: layer '${n.name}' input has no format source`);
    const out = n.outputs[0]!;
    const w = graph.constants.get(n.inputs[1]!)!;
    const b = n.inputs[2] ? graph.constants.get(n.inputs[2]) : undefined;
    // A layer whose output feeds only a Relu gets an unsigned activation format: the saturating cast is the Relu.
    const users = consumers.get(out) ?? [];
    const relu = users.length === 1 && users[0]!.op === 'Relu' ? users[0]! : undefined;
    const pre = statOf(out);
    const vars = {
      weight: add(paramVar(n.name, 'weight', w, kind)),
      bias: add(paramVar(n.name, 'bias', b, kind)),
      accumulator: add(accumulatorVar(n.name, pre, kind, o)),
      activation: add(activationVar(n.name, 'activation', relu ? statOf(relu.outputs[0]!) : pre, sizeOf(graph.values.get(out)!.shape), kind, o)),
    };
    source.set(out, vars.activation);
    layers.push({ name: n.name, op: n.op, macs: macsOf(n, graph), inputVar, vars });
  }
  return { kind, variables, layers, reductionLanes: o.simd ?? 1 };
}

/** The formats a configuration (one precision per variable) gives the wordlength pass. */
export function formatsOf(space: Space, config: Config): { input: NumFormat; layers: Map<string, LayerFormats>; reductionLanes: number } {
  const f = (i: number) => space.variables[i]!.format(config[i]!);
  return {
    input: f(0),
    layers: new Map(space.layers.map((l) => [l.name, { weight: f(l.vars.weight), bias: f(l.vars.bias), accumulator: f(l.vars.accumulator), activation: f(l.vars.activation) }])),
    reductionLanes: space.reductionLanes ?? 1,
  };
}

export function referenceConfig(space: Space): number[] {
  return space.variables.map((v) => v.hi);
}

/** Integer bits of a fixed format holding magnitudes up to m (signed: sign bit included), strict upper bound. */
export function intBitsFor(m: number, signed: boolean): number {
  if (!(m > 0)) return signed ? 1 : 0;
  return Math.max(-24, Math.floor(Math.log2(m)) + (signed ? 2 : 1));
}

interface Magnitudes {
  readonly max: number;
  /** The binade e such that at most FLUSH_FRACTION of the nonzero magnitudes lie below 2^e. */
  readonly low: number;
}

function fixedVar(layer: string, role: Role, I: number, signed: boolean, maxWidth: number, elements: number, rounding: FixedRounding, overflow: 'wrap' | 'saturate'): Variable {
  const lo = Math.max(0, 1 - I), hi = Math.max(lo, maxWidth - I);
  return {
    layer, role, lo, hi, elements,
    range: `I=${I}${signed ? '' : ' unsigned'}`,
    format: (p) => fixedFormat(I + p, I, { signed, rounding, overflow }),
  };
}

function floatVar(layer: string, role: Role, m: Magnitudes, elements: number, extraTop = 0): Variable {
  const emax = (m.max > 0 ? Math.floor(Math.log2(m.max)) : 0) + extraTop;
  const span = Math.max(1, emax - Math.min(emax, m.low) + 1); // normal binades wanted
  const E = Math.min(8, Math.max(2, Math.ceil(Math.log2(span + 1))));
  const bias = 2 ** E - 1 - emax; // specials 'none': the top field is the binade of the maximum
  const hi = 23;
  return {
    layer, role, lo: 0, hi, elements,
    range: `E=${E} bias ${bias}`,
    format: (p) => floatFormat(E, p, { bias, subnormals: true, specials: 'none', overflow: 'saturate' }),
  };
}

function activationVar(layer: string, role: Role, s: TensorStats, elements: number, kind: NumberSystem, o: SpaceOptions): Variable {
  if (kind === 'float') return floatVar(layer, role, histogramMagnitudes(s), elements);
  const signed = s.min < 0;
  return fixedVar(layer, role, intBitsFor(Math.max(-s.min, s.max), signed), signed, 24, elements, o.rounding, 'saturate');
}

function accumulatorVar(layer: string, s: TensorStats, kind: NumberSystem, o: SpaceOptions): Variable {
  // One guard bit (float: one binade) above the calibration range: unseen inputs and partial sums may exceed it.
  if (kind === 'float') return { ...floatVar(layer, 'accumulator', histogramMagnitudes(s), 0, 1) };
  return fixedVar(layer, 'accumulator', intBitsFor(Math.max(-s.min, s.max), true) + 1, true, 32, 0, o.rounding, o.accOverflow);
}

function paramVar(layer: string, role: 'weight' | 'bias', t: Tensor | undefined, kind: NumberSystem): Variable {
  const elements = t ? t.data.length : 0;
  const m = t ? tensorMagnitudes(t) : { max: 0, low: 0 };
  if (kind === 'float') return floatVar(layer, role, m, elements);
  return fixedVar(layer, role, intBitsFor(m.max, true), true, 24, elements, 'half-even', 'saturate');
}

function tensorMagnitudes(t: Tensor): Magnitudes {
  const mags = Array.from(t.data, Math.abs).filter((v) => v > 0).sort((a, b) => a - b);
  if (mags.length === 0) return { max: 0, low: 0 };
  return { max: mags[mags.length - 1]!, low: Math.floor(Math.log2(mags[Math.floor(FLUSH_FRACTION * mags.length)]!)) };
}

/** From calibration's linear histogram over [min, max]: magnitudes, ignoring the bin that holds 0 (exact zeros, e.g.
 *  after a Relu, need no exponent range); resolution is one bin. */
function histogramMagnitudes(s: TensorStats): Magnitudes {
  const max = Math.max(-s.min, s.max);
  if (!(max > 0)) return { max: 0, low: 0 };
  const bins = s.histogram.length, width = (s.max - s.min) / bins;
  const zeroBin = s.min <= 0 && s.max >= 0 ? Math.min(bins - 1, Math.floor(-s.min / width)) : -1;
  const byMag: [number, number][] = []; // [magnitude at the bin's inner edge, count]
  let total = 0;
  for (let i = 0; i < bins; i++) {
    const c = s.histogram[i]!;
    if (c === 0 || i === zeroBin) continue;
    const a = s.min + i * width, b = a + width;
    byMag.push([a >= 0 ? a : -b, c]);
    total += c;
  }
  byMag.sort((x, y) => x[0] - y[0]);
  let seen = 0, low = Math.floor(Math.log2(max));
  for (const [mag, c] of byMag) {
    seen += c;
    if (seen > FLUSH_FRACTION * total) {
      low = Math.floor(Math.log2(Math.max(mag, width)));
      break;
    }
  }
  return { max, low };
}
