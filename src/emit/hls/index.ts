/** HLS C++ emitter (issue 8): the accelerator plan as Vitis HLS C++ that g++ also compiles, with its testbench, a
 *  Makefile for C simulation, a Vitis HLS script and sample data. Three layers: the plan (src/hw/plan.ts), the view
 *  (view.ts, tiles.ts, memory.ts: every number), the templates (templates/hls/*.hbs: the text). */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRng } from '../../dse/prng.js';
import { libraryContext } from '../../golden/parallel.js';
import type { AcceleratorPlan } from '../../hw/plan.js';
import { referenceBuffers } from '../../hw/reference.js';
import { makeTensor, type Tensor } from '../../ir/types.js';
import type { MultiplierImpl } from '../build-dir.js';
import { renderHls } from './render.js';
import { hlsView } from './view.js';

export interface HlsOptions {
  readonly lanes: number;
  readonly part: string;
  readonly clockNs: number;
  readonly multiplierImpl: MultiplierImpl;
  readonly library?: string;
}

/** The C++ sources (what tb is compiled from), in the order the compiler is given them. */
export const HLS_SOURCES = ['adequate_top.cpp', 'tb.cpp'] as const;
export const HLS_HEADERS = ['adequate.h', 'adequate_types.h', 'adequate_stream.h', 'adequate_multipliers.h', 'adequate_weights.h'] as const;
/** Inferences in tb_data/: random input codes and the golden model's outputs for them. */
export const SAMPLE_COUNT = 10;

/** Writes the HLS project into `dir` (an empty temporary folder); returns the relative paths written. */
export function emitHls(plan: AcceleratorPlan, options: HlsOptions, dir: string): string[] {
  const view = { ...hlsView(plan, options), sampleCount: SAMPLE_COUNT };
  const files: string[] = [];
  const write = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    files.push(name);
  };
  for (const name of [...HLS_HEADERS, ...HLS_SOURCES, 'Makefile', 'run_hls.tcl', 'README.md']) write(name, renderHls(name, view));
  mkdirSync(join(dir, 'tb_data'));
  const inputs = sampleInputs(plan, SAMPLE_COUNT);
  const ctx = libraryContext(options.library);
  const outputs = inputs.map((x) => referenceBuffers(plan, x, ctx).get(plan.output.name)!.data);
  write('tb_data/inputs.txt', codesFile(inputs.map((t) => t.data), plan.input.size));
  write('tb_data/expected.txt', codesFile(outputs, plan.output.size));
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
