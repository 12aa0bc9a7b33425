/** HLS C++ emitter (issue 8): the accelerator plan as Vitis HLS C++ that g++ also compiles, with its testbench, a
 *  Makefile for C simulation, a Vitis HLS script and sample data. Three layers: the plan (src/hw/plan.ts, or
 *  plan-tuned.ts for word-length-tuned IRs), the view (view.ts, tiles.ts, memory.ts, tuned-view.ts: every number), the
 *  templates (templates/hls/*.hbs, with templates/hls/tuned/ for the tuned datapaths: the text). */
import type { Folding } from '../../hw/fold.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRng } from '../../dse/prng.js';
import { yieldToSignals } from '../../io/atomic-dir.js';
import { libraryContext } from '../../golden/parallel.js';
import type { AcceleratorPlan } from '../../hw/plan.js';
import { codesOf, valueOfCode, type TunedPlan } from '../../hw/plan-tuned.js';
import { referenceBuffersYielding, tunedReferenceBuffers } from '../../hw/reference.js';
import { makeTensor, type Tensor } from '../../ir/types.js';
import type { MultiplierImpl } from '../build-dir.js';
import type { StreamWidth } from '../../hw/stream.js';
import { renderHls, renderHlsToFile } from './render.js';
import { tunedHlsView } from './tuned-view.js';
import { hlsView } from './view.js';

export interface HlsOptions {
  readonly lanes: number;
  /** S per tile (fold.ts); every tile has P = `lanes` in the HLS accelerator. Absent: S = 1. */
  readonly folding?: Folding;
  readonly part: string;
  readonly clockNs: number;
  readonly multiplierImpl: MultiplierImpl;
  readonly library?: string;
  /** Bits per stream beat (src/hw/stream.ts); undefined: one code per beat. */
  readonly streamWidth?: StreamWidth;
}

/** The C++ sources (what tb is compiled from), in the order the compiler is given them. */
export const HLS_SOURCES = ['adequate_top.cpp', 'tb.cpp'] as const;
export const HLS_HEADERS = ['adequate.h', 'adequate_types.h', 'adequate_stream.h', 'adequate_multipliers.h', 'adequate_weights.h'] as const;
/** Inferences in tb_data/: random input codes and the golden model's outputs for them; one for a model of more than
 *  SAMPLE_MACS multiply-accumulates (the golden model's runs would dominate the emission of a ResNet or VGG). */
export const SAMPLE_COUNT = 10;
const SAMPLE_MACS = 50_000_000;

export function sampleCount(macs: number): number {
  return macs > SAMPLE_MACS ? 1 : SAMPLE_COUNT;
}

/** Writes the HLS project of a quantized IR into `dir` (an empty temporary folder); returns the relative paths written. */
export async function emitHls(plan: AcceleratorPlan, options: HlsOptions, dir: string): Promise<string[]> {
  const base = hlsView(plan, options), count = sampleCount(base.macs);
  const view = { ...base, ...INTEGER_TEXT, sampleCount: count };
  const inputs = sampleInputs(plan, count);
  const ctx = libraryContext(options.library);
  const outputs: ArrayLike<number>[] = [];
  for (const x of inputs) outputs.push((await referenceBuffersYielding(plan, x, ctx)).get(plan.output.name)!.data);
  return writeProject(dir, view, '', { inputs: inputs.map((t) => t.data), outputs, inSize: plan.input.size, outSize: plan.output.size });
}

/** Writes the HLS project of a word-length-tuned IR (ir/arithmetic.md section 6) into `dir`: the same files, with
 *  the tile datapaths, weights and top function of templates/hls/tuned/. */
export async function emitTunedHls(plan: TunedPlan, options: HlsOptions, dir: string): Promise<string[]> {
  const base = tunedHlsView(plan, options), count = sampleCount(base.macs);
  const view = { ...base, sampleCount: count };
  const rng = createRng(1);
  const inputs: Float64Array[] = [], outputs: Float64Array[] = [];
  for (let n = 0; n < count; n++) {
    // Random codes over the input format's whole code range, as values (a bit-exactness check needs no real images).
    const sample = Array.from({ length: plan.input.size }, () => valueOfCode(plan.input.min + rng.int(plan.input.max - plan.input.min + 1), plan.input.format));
    const bufs = tunedReferenceBuffers(plan, sample);
    inputs.push(codesOf(bufs.get(plan.input.name)!, plan.input.format, 'sample input'));
    outputs.push(codesOf(bufs.get(plan.output.name)!, plan.output.format, 'sample output'));
  }
  return writeProject(dir, view, 'tuned/', { inputs, outputs, inSize: plan.input.size, outSize: plan.output.size });
}

/** What the integer view says in the files both kinds of build share (README.md). */
const INTEGER_TEXT = {
  tuned: false,
  goldenModel: 'integer golden model (ir/arithmetic.md sections 1-3b)',
  hostInput: "the host quantizes them (the IR's QuantizeLinear)",
  hostOutput: 'codes; the host dequantizes them',
};

/** Files whose template differs for word-length-tuned builds (templates/hls/tuned/). */
const TUNED_TEMPLATES: ReadonlySet<string> = new Set(['adequate_top.cpp', 'adequate_multipliers.h', 'adequate_weights.h']);

interface SampleData {
  readonly inputs: readonly ArrayLike<number>[];
  readonly outputs: readonly ArrayLike<number>[];
  readonly inSize: number;
  readonly outSize: number;
}

/** Writes the files, yielding between them so an interrupt's cleanup (writeDirAtomically) can run. */
async function writeProject(dir: string, view: object, variant: '' | 'tuned/', samples: SampleData): Promise<string[]> {
  const files: string[] = [];
  const write = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    files.push(name);
  };
  for (const name of [...HLS_HEADERS, ...HLS_SOURCES, 'Makefile', 'run_hls.tcl', 'README.md']) {
    await yieldToSignals();
    // Streamed: adequate_weights.h of a VGG-19 is longer than a JavaScript string.
    await renderHlsToFile(TUNED_TEMPLATES.has(name) ? variant + name : name, view, join(dir, name));
    files.push(name);
  }
  mkdirSync(join(dir, 'tb_data'));
  write('tb_data/inputs.txt', codesFile(samples.inputs, samples.inSize));
  write('tb_data/expected.txt', codesFile(samples.outputs, samples.outSize));
  return files;
}

/** A data file of the testbench: a header (count, codes per inference), then one inference per line. */
export function codesFile(rows: readonly ArrayLike<number>[], size: number): string {
  return renderHls('codes.txt', { count: rows.length, size, rows: rows.map((r) => Array.from(r)) });
}

/** Seeded random input codes over the input's whole code range (a bit-exactness check needs no real images). */
function sampleInputs(plan: AcceleratorPlan, count: number): Tensor[] {
  const rng = createRng(1);
  const q = plan.quantize.attrs.quant;
  const lo = q.qmin ?? plan.input.min, hi = q.qmax ?? plan.input.max;
  return Array.from({ length: count }, () => {
    const t = makeTensor(plan.input.dtype, plan.input.shape);
    for (let i = 0; i < t.data.length; i++) t.data[i] = lo + rng.int(hi - lo + 1);
    return t;
  });
}
