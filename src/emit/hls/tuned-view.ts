/** The view of the HLS templates for a word-length-tuned IR (ir/arithmetic.md section 6): every number the emitted
 *  C++ holds, computed from the tuned plan (src/hw/plan-tuned.ts); templates/hls/tuned/ print it.
 *  Tiles: one datapath per distinct set of layer formats and reduction lanes (the plan's tiles), with the integer
 *  tiles' P x S loop nest (P lanes of output channels; S SIMD lanes, each summing its chunk of Kc = ceil(K/S) taps,
 *  then the S sums added left to right: ir/arithmetic.md 6, Reduction lanes). Weight ROM (l, s) holds, for output
 *  channel b*P + l of each block b, the taps [s*Kc, (s+1)*Kc) of its row (zeros past K), as the integer tiles'.
 *  Weights and biases are stored as codes of their formats; activations as codes of their buffers' formats in one
 *  activation memory, with S - 1 read replicas per tile of S > 1 (as the integer tiles have). */
import { userError } from '../../errors.js';
import { codeOfValue, codesOf, type TunedLayer, type TunedPlan, type TunedTile } from '../../hw/plan-tuned.js';
import { windowOf, type WindowGeometry } from '../../hw/schedule.js';
import { signedBits } from '../../ir/arith.js';
import type { NumFormat } from '../../ir/types.js';
import type { HlsOptions } from './index.js';
import { allocateMemory } from './memory.js';
import { loopBounds, macWindow, type MacCallView, type TileLoopBounds } from './tiles.js';
import { memoryTypes, tunedHlsStream, type HlsBuildView, type ReadReplicasView } from './view.js';
import { streamText } from '../../hw/stream.js';
import { chunkOf } from '../../hw/fold.js';

/** A Conv/Gemm layer's call of its tile function (struct adq_tuned_layer in templates/hls/tuned/adequate_top.cpp.hbs). */
export interface TunedMacView extends MacCallView {
  readonly tile: number;
}

/** A code storage type: bits and signedness of the codes of a format. */
export interface CodeType {
  readonly bits: number;
  readonly signed: boolean;
}

export interface TunedTileView extends TileLoopBounds {
  readonly index: number;
  readonly fixed: boolean;
  readonly description: string;
  readonly layerNames: string;
  /** Formats: the activations read, weights, bias, accumulator, output (templates print them with numType). */
  readonly act: NumFormat;
  readonly weight: NumFormat;
  readonly bias: NumFormat;
  readonly acc: NumFormat;
  readonly out: NumFormat;
  readonly actCode: CodeType;
  readonly wCode: CodeType;
  readonly bCode: CodeType;
  /** Fixed point: bits of the exact product of an activation and a weight code (signed). */
  readonly prodBits: number;
  /** S: SIMD lanes (taps per cycle per output channel), and the chunk loop's trip counts over the tile's layers. */
  readonly simd: number;
  readonly minKc: number;
  readonly maxKc: number;
  /** Lane ROMs: per lane, per SIMD lane, `depth` weight codes (rows of Kc per block); bias codes per output channel of
   *  every layer (concatenated). */
  readonly depth: number;
  readonly laneWeights: readonly (readonly (readonly number[])[])[];
  readonly biasCodes: readonly number[];
  readonly channels: number;
  /** SIMD lanes s > 0 read the activation memory's replicas (adq_load_T), as the integer tiles do. */
  readonly replicated: boolean;
}

export interface TunedLayerView {
  readonly index: number;
  readonly name: string;
  readonly op: string;
  readonly outOff: number;
  readonly outSize: number;
  readonly format: NumFormat;
  readonly formatName: string;
  readonly mac?: TunedMacView;
  readonly maxPool?: WindowGeometry & { readonly inOff: number; readonly outOff: number };
  readonly globalMaxPool?: { readonly inOff: number; readonly planes: number; readonly size: number };
  /** Relu (lo = the code of 0) and Clip: bounds as codes of the format; an absent bound (infinite) is not applied. */
  readonly clip?: { readonly inOff: number; readonly size: number; readonly hasLo: boolean; readonly lo: number; readonly hasHi: boolean; readonly hi: number };
  readonly reshape: boolean;
  readonly traceOffset: number;
}

/** Fields shared with the integer view (adequate.h, tb.cpp, Makefile, README.md, run_hls.tcl read them). */
export interface TunedHlsView extends HlsBuildView {
  readonly tuned: true;
  readonly arithmetic: string;
  readonly goldenModel: string;
  readonly hostInput: string;
  readonly hostOutput: string;
  readonly tiles: readonly TunedTileView[];
  readonly layers: readonly TunedLayerView[];
  /** Per tile of S > 1: S - 1 read replicas of the span holding the buffers its layers read (view.ts). */
  readonly replicas: readonly ReadReplicasView[];
}

export function tunedHlsView(plan: TunedPlan, options: Pick<HlsOptions, 'lanes' | 'part' | 'clockNs' | 'streamWidth'>): TunedHlsView {
  const mem = allocateMemory(plan);
  const off = (b: string) => mem.offsets.get(b)!;
  const calls = new Map<number, TunedMacView>();
  const tileViews = plan.tiles.map((t) => tileView(plan, t, options.lanes, off, calls));
  const replicas = readReplicas(plan, off);
  const tiles = tileViews.map((t) => ({ ...t, replicated: replicas.some((r) => r.tile === t.index) }));
  let traceSize = 0;
  const layers = plan.layers.map((layer): TunedLayerView => {
    const out = plan.buffers.get(layer.output)!, input = plan.buffers.get(layer.inputs[0]!)!;
    const base = { index: layer.index, name: layer.name, op: layer.node.op, outOff: off(layer.output), outSize: out.size, format: out.format, formatName: formatName(out.format), reshape: false, traceOffset: traceSize };
    traceSize += out.size;
    const n = layer.node;
    switch (n.op) {
      case 'Conv':
      case 'Gemm':
        return { ...base, mac: calls.get(layer.index)! };
      case 'MaxPool':
        return { ...base, maxPool: { ...windowOf(layer.name, input.shape, out.shape, n.attrs), inOff: off(input.name), outOff: off(layer.output) } };
      case 'GlobalMaxPool':
        return { ...base, globalMaxPool: { inOff: off(input.name), planes: input.shape[0]! * input.shape[1]!, size: input.size / (input.shape[0]! * input.shape[1]!) } };
      case 'Relu':
        return { ...base, clip: { inOff: off(input.name), size: out.size, hasLo: true, lo: boundCode(layer, 0, out.format), hasHi: false, hi: 0 } };
      case 'Clip': {
        // Math.max(-Infinity, v) and Math.min(Infinity, v) are v: an infinite bound does nothing.
        const hasLo = n.attrs.min !== undefined && Number.isFinite(n.attrs.min), hasHi = n.attrs.max !== undefined && Number.isFinite(n.attrs.max);
        const lo = hasLo ? boundCode(layer, n.attrs.min!, out.format) : 0, hi = hasHi ? boundCode(layer, n.attrs.max!, out.format) : 0;
        return { ...base, clip: { inOff: off(input.name), size: out.size, hasLo, lo, hasHi, hi } };
      }
      case 'Reshape':
        return { ...base, reshape: true };
      default: {
        const _exhaustive: never = n;
        return _exhaustive;
      }
    }
  });
  const stream = tunedHlsStream(plan, options.streamWidth);
  const types = memoryTypes(plan.buffers.values(), off, stream);
  const { memBits, memSigned } = types;
  const arithmetic = plan.arithmetic === 'fixed-point' ? 'fixed point' : 'custom float';
  return {
    tuned: true, arithmetic, goldenModel: `word-length golden model (${arithmetic}, ir/arithmetic.md section 6)`,
    hostInput: `the host casts them into the input format ${formatName(plan.input.format)} (as the golden model does on entry)`,
    hostOutput: `codes of ${formatName(plan.output.format)}`,
    model: plan.name, lanes: options.lanes, part: options.part, clockNs: options.clockNs,
    memSize: mem.size, memBits, memSigned,
    input: types.input(plan.input), output: types.output(plan.output), tiles, replicas, layers, traceSize, hasMaxPool: layers.some((l) => l.maxPool),
    macs: plan.layers.reduce((s, l) => s + l.macs, 0),
    interface: [`input: ${plan.input.size} codes of the input's format (the host casts each value into it); output: ${plan.output.size} codes of the last layer's format; C order, ${stream.width === undefined ? 'one code per stream word' : streamText(stream)}`],
  };
}

/** The read replicas of each tile of S > 1: its S SIMD lanes read S activations per cycle, lane 0 from the memory,
 *  lane s from replica s - 1 of the span of every buffer the tile's layers read (each write into it writes them too). */
function readReplicas(plan: TunedPlan, off: (b: string) => number): ReadReplicasView[] {
  return plan.tiles.flatMap((t) => {
    if (t.simd === 1) return [];
    const inputs = t.layers.map((i) => plan.layers[i]!.inputs[0]!);
    const lo = Math.min(...inputs.map(off)), hi = Math.max(...inputs.map((b) => off(b) + plan.buffers.get(b)!.size));
    return [{ tile: t.index, count: t.simd - 1, lo, size: hi - lo }];
  });
}

function tileView(plan: TunedPlan, t: TunedTile, lanes: number, off: (b: string) => number, calls: Map<number, TunedMacView>): Omit<TunedTileView, 'replicated'> {
  const f = t.formats;
  const layers = t.layers.map((i) => plan.layers[i]!);
  const simd = t.simd;
  const laneWeights: number[][][] = Array.from({ length: lanes }, () => Array.from({ length: simd }, () => []));
  const biasCodes: number[] = [];
  const bounds = loopBounds();
  const kcs: number[] = [];
  for (const layer of layers) {
    const n = layer.node;
    if (n.op !== 'Conv' && n.op !== 'Gemm') throw new Error(`internal error: layer '${layer.name}' on a tile is ${n.op}`);
    const inBuf = plan.buffers.get(layer.inputs[0]!)!, outBuf = plan.buffers.get(layer.output)!;
    const g = macWindow(layer.name, inBuf.shape, outBuf.shape, n.op === 'Conv' ? n.attrs : undefined);
    const cPerGroup = g.c / g.groups, mPerGroup = g.m / g.groups, K = cPerGroup * g.kh * g.kw, blocks = Math.ceil(mPerGroup / lanes);
    const w = weightCodes(layer, f.weight, K, g.m, n.op === 'Gemm' && !n.attrs.transB);
    const kc = chunkOf(K, simd);
    kcs.push(kc);
    const wRow = laneWeights[0]![0]!.length, ch = biasCodes.length;
    for (let grp = 0; grp < g.groups; grp++)
      for (let b = 0; b < blocks; b++)
        for (let l = 0; l < lanes; l++) {
          const mi = b * lanes + l, m = grp * mPerGroup + mi, live = mi < mPerGroup;
          // Tap k in SIMD lane ROM k div Kc at k mod Kc; taps past K and idle lanes are zeros (never multiplied).
          for (let s = 0; s < simd; s++) for (let j = 0; j < kc; j++) laneWeights[l]![s]!.push(live && s * kc + j < K ? w(m, s * kc + j) : 0);
        }
    // No bias is a bias of 0: code 0 is the value 0 (+0) in every format, as the golden model starts from 0.
    const bias = layer.bias ? codesOf(layer.bias, f.bias, `bias of '${layer.name}'`) : new Float64Array(g.m);
    biasCodes.push(...bias);
    bounds.add(K, g.oh * g.ow, blocks, g.groups);
    const { groups: _g, m: _m, ...window } = g;
    calls.set(layer.index, { ...window, tile: t.index, inOff: off(layer.inputs[0]!), outOff: off(layer.output), cPerGroup, groups: g.groups, mPerGroup, blocks, k: K, wRow, ch });
  }
  const actCode = codeType(t.input), wCode = codeType(f.weight);
  const range = (c: CodeType) => (c.signed ? [-(2 ** (c.bits - 1)), 2 ** (c.bits - 1) - 1] : [0, 2 ** c.bits - 1]) as [number, number];
  const [a, w] = [range(actCode), range(wCode)];
  const products = [a[0] * w[0], a[0] * w[1], a[1] * w[0], a[1] * w[1]];
  const names = [t.input, f.weight, f.accumulator, f.activation].map(formatName);
  return {
    index: t.index, fixed: t.kind === 'fixed',
    description: `${t.kind === 'fixed' ? 'fixed point' : 'custom float'}: ${names[0]} x ${names[1]} -> accumulator ${names[2]}${f.accumulator.kind === 'fixed' ? ` (${f.accumulator.rounding}, ${f.accumulator.overflow})` : ''} -> ${names[3]}`,
    layerNames: layers.map((l) => l.name).join(', '),
    act: t.input, weight: f.weight, bias: f.bias, acc: f.accumulator, out: f.activation,
    actCode, wCode, bCode: codeType(f.bias), prodBits: signedBits(Math.min(...products), Math.max(...products)),
    simd, minKc: Math.min(...kcs), maxKc: Math.max(...kcs),
    depth: laneWeights[0]![0]!.length, laneWeights, biasCodes, channels: biasCodes.length,
    ...bounds.bounds(),
  };
}

/** Weight code of output channel m, term k: Conv and Gemm with transB store [M, K] rows; Gemm without transB [K, N]. */
function weightCodes(layer: TunedLayer, f: NumFormat, K: number, M: number, kByN: boolean): (m: number, k: number) => number {
  const codes = codesOf(layer.weights!, f, `weights of '${layer.name}'`);
  return kByN ? (m, k) => codes[k * M + m]! : (m, k) => codes[m * K + k]!;
}

function codeType(f: NumFormat): CodeType {
  return f.kind === 'fixed' ? { bits: f.width, signed: f.signed } : { bits: 1 + f.expBits + f.mantBits, signed: false };
}

/** A Clip or Relu bound as a code of the layer's format (the wordlength pass only admits representable bounds). */
function boundCode(layer: TunedLayer, v: number, f: NumFormat): number {
  const c = codeOfValue(v, f);
  if (c === undefined) throw userError('E_HW', `layer '${layer.name}' (${layer.node.op}) clamps at ${v}, which is not a value of its format ${formatName(f)}; widen the format or change the bound`);
  return c;
}

export function formatName(f: NumFormat): string {
  if (f.kind === 'fixed') return `${f.signed ? '' : 'u'}fixed<${f.width},${f.intBits}>`;
  return `float<${f.expBits},${f.mantBits}> bias ${f.bias}`;
}
