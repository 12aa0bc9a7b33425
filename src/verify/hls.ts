/** C simulation of an HLS build (issue 8): compiles the build's tb.cpp and adequate_top.cpp with g++ (-std=c++17 -O2
 *  -Wall -Wextra -Werror), runs N dataset inputs through it, and compares every output code (with `layers`, every
 *  layer's output) bit for bit with the golden model over the same plan (src/hw/reference.ts): the integer golden
 *  model for quantized IRs, the word-length golden model (codes of each buffer's format) for word-length-tuned IRs.
 *  The compiled testbench is cached in BUILD/.csim/ under a hash of the sources and the command, so verifying again
 *  skips the compiler. Inputs, reference outputs and the testbench's outputs go through a temporary folder. */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { formatTable } from '../cli/table.js';
import { codesFile, HLS_HEADERS, HLS_SOURCES } from '../emit/hls/index.js';
import { userError } from '../errors.js';
import { libraryContext } from '../golden/parallel.js';
import { planAccelerator } from '../hw/plan.js';
import { codesOf, isTuned, planTunedAccelerator, valueOfCode } from '../hw/plan-tuned.js';
import { quantizeSample, referenceBuffers, tunedReferenceBuffers } from '../hw/reference.js';
import type { Tensor } from '../ir/types.js';
import type { VerifyOutcome, VerifyRequest } from './request.js';
import { runTool } from './tool-run.js';

export const CSIM_FLAGS = ['-std=c++17', '-O2', '-Wall', '-Wextra', '-Werror', '-DADEQUATE_TRACE'] as const;
const CACHE_DIR = '.csim';

export async function verifyHls(request: VerifyRequest): Promise<VerifyOutcome> {
  const ref = isTuned(request.graph) ? tunedReference(request) : integerReference(request);
  const tb = await compileTestbench(request.build);
  const { count, data } = request;
  const per = data.inputs.data.length / data.count;
  const inputs: ArrayLike<number>[] = [], expected: ArrayLike<number>[] = [], layerRows: number[][] = [];
  for (let n = 0; n < count; n++) {
    const r = ref.run(data.inputs.data.subarray(n * per, (n + 1) * per) as Float32Array);
    inputs.push(r.input);
    expected.push(r.output);
    if (request.layers) layerRows.push(r.layers.flatMap((l) => Array.from(l)));
    request.onProgress?.(n + 1, count);
  }
  const dir = mkdtempSync(join(tmpdir(), 'adequate-csim-'));
  try {
    writeFileSync(join(dir, 'inputs.txt'), codesFile(inputs, ref.inSize));
    writeFileSync(join(dir, 'expected.txt'), codesFile(expected, ref.outSize));
    if (request.layers) writeFileSync(join(dir, 'layers.txt'), codesFile(layerRows, layerRows[0]!.length));
    const run = await runTool(tb, [dir], { cwd: request.build, what: `the C simulation of ${request.build}` });
    const summary = /^csim: (\d+) inferences, (\d+) mismatching output codes in (\d+) inferences, (\d+) us/m.exec(run.stdout);
    if (!summary || (run.code !== 0 && run.code !== 1)) throw userError('E_TOOL', `the C simulation testbench ${tb} failed (exit code ${run.code}): ${(run.stdout + run.stderr).trim().split('\n').slice(-3).join(' / ')}`);
    const outputs = readCodes(join(dir, 'outputs.txt'), count, ref.outSize);
    return report(request, ref, { expected, outputs, stdout: run.stdout, cpuUs: Number(summary[4]) });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The golden model's side of a C simulation: per dataset sample, the input codes the host streams in, the output
 *  codes and every layer's output codes; and what an output code is worth (top-1 compares values). */
interface CsimReference {
  /** Which golden model (for the verdict). */
  readonly golden: string;
  readonly inSize: number;
  readonly outSize: number;
  readonly layerNames: readonly string[];
  readonly run: (sample: Float32Array) => { input: ArrayLike<number>; output: ArrayLike<number>; layers: readonly ArrayLike<number>[] };
  readonly outputValue: (code: number) => number;
}

/** Quantized IRs: the host's QuantizeLinear, then the integer golden model over the plan (codes are the values). */
function integerReference(request: VerifyRequest): CsimReference {
  const plan = planAccelerator(request.graph);
  const ctx = libraryContext(request.manifest.library);
  return {
    golden: 'integer golden model', inSize: plan.input.size, outSize: plan.output.size, layerNames: plan.layers.map((l) => l.name),
    run: (sample) => {
      const x = quantizeSample(plan, sample);
      const bufs = referenceBuffers(plan, x, ctx);
      return { input: x.data, output: bufs.get(plan.output.name)!.data, layers: plan.layers.map((l) => bufs.get(l.output)!.data) };
    },
    outputValue: (code) => code,
  };
}

/** Word-length-tuned IRs: the word-length golden model (runGraph, which casts the input into its format as the host
 *  does), every buffer as codes of its format; a float code's value is not monotone in the code, so top-1 decodes. */
function tunedReference(request: VerifyRequest): CsimReference {
  const plan = planTunedAccelerator(request.graph);
  const codes = (bufs: Map<string, Tensor>, name: string) => codesOf(bufs.get(name)!, plan.buffers.get(name)!.format, name);
  return {
    golden: 'word-length golden model', inSize: plan.input.size, outSize: plan.output.size, layerNames: plan.layers.map((l) => l.name),
    run: (sample) => {
      const bufs = tunedReferenceBuffers(plan, sample);
      return { input: codes(bufs, plan.input.name), output: codes(bufs, plan.output.name), layers: plan.layers.map((l) => codes(bufs, l.output)) };
    },
    outputValue: (code) => valueOfCode(code, plan.output.format),
  };
}

interface CsimResult {
  readonly expected: readonly ArrayLike<number>[];
  readonly outputs: readonly Float64Array[];
  readonly stdout: string;
  readonly cpuUs: number;
}

/** Compares the testbench's outputs with the reference itself (the testbench's own verdict must agree), computes the
 *  top-1 accuracy of the C simulation (argmax of the output values, first maximum on ties) and formats the report. */
function report(request: VerifyRequest, ref: CsimReference, r: CsimResult): VerifyOutcome {
  const { count } = request, labels = request.data.labels, layerNames = ref.layerNames;
  let mismatches = 0, values = 0, correct = 0;
  r.outputs.forEach((out, n) => {
    const want = r.expected[n]!;
    const bad = out.reduce((s, v, i) => s + (v !== want[i] ? 1 : 0), 0);
    values += bad;
    if (bad > 0) mismatches++;
    let best = 0;
    for (let i = 1; i < out.length; i++) if (ref.outputValue(out[i]!) > ref.outputValue(out[best]!)) best = i;
    if (labels && best === labels[n]) correct++;
  });
  const layerHits = [...r.stdout.matchAll(/^layer mismatch: inference (\d+), first layer (\d+)/gm)].map((m) => Number(m[2]));
  const firstLayer = layerHits.length ? layerNames[Math.min(...layerHits)] : undefined;
  const tbMismatches = Number(/in (\d+) inferences, \d+ us/.exec(r.stdout)![1]);
  const passed = mismatches === 0 && tbMismatches === 0 && /^PASS:/m.test(r.stdout);
  const msPerInference = r.cpuUs / 1000 / count;
  const json: Record<string, unknown> = {
    count, mismatches: Math.max(mismatches, tbMismatches), mismatched_values: values,
    ...(labels ? { top1: correct / count, correct } : {}),
    ms_per_inference: Number(msPerInference.toFixed(4)),
    ...(request.layers ? { layers_compared: layerNames.length, first_mismatching_layer: firstLayer ?? null } : {}),
    passed,
  };
  const rows: [string, string][] = [
    ['inputs run', String(count)],
    ['mismatching inferences', `${json.mismatches as number} (${values} output codes)`],
    ...(labels ? [['top-1 of the C simulation', `${((100 * correct) / count).toFixed(2)}% (${correct}/${count})`] as [string, string]] : []),
    ['time per inference', `${msPerInference.toFixed(3)} ms (processor time of adequate_top, g++ -O2)`],
    ...(request.layers ? [['layers compared', firstLayer ? `${layerNames.length}; first mismatch in layer '${firstLayer}'` : `${layerNames.length}, all equal`] as [string, string]] : []),
  ];
  const shown = r.stdout.split('\n').filter((l) => l.startsWith('mismatch:') || l.startsWith('layer mismatch:')).slice(0, 10);
  const verdict = passed
    ? `PASS: the C simulation matches the ${ref.golden} bit for bit on ${count} input(s)${request.layers ? ', every layer' : ''}`
    : `FAIL: ${json.mismatches as number} of ${count} inference(s) differ from the ${ref.golden}${firstLayer ? `, first in layer '${firstLayer}'` : ''}`;
  const text = formatTable(['C simulation', request.build], rows) + (shown.length ? '\n' + shown.join('\n') + '\n' : '') + '\n' + verdict;
  return { json, text, passed };
}

/** The compiled testbench of a build: BUILD/.csim/tb-HASH, compiled once per content of the sources. */
async function compileTestbench(buildDir: string): Promise<string> {
  const build = resolve(buildDir);
  const files = [...HLS_HEADERS, ...HLS_SOURCES];
  const hash = createHash('sha256').update(CSIM_FLAGS.join(' '));
  for (const f of files) {
    const path = join(build, f);
    if (!existsSync(path)) throw userError('E_USAGE', `${build} has no ${f}; emit the build again with adequate emit hls`);
    hash.update(`\0${f}\0`).update(readFileSync(path));
  }
  const cache = join(build, CACHE_DIR);
  const exe = join(cache, `tb-${hash.digest('hex').slice(0, 16)}`);
  if (existsSync(exe)) return exe;
  mkdirSync(cache, { recursive: true });
  const tmp = `${exe}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  const r = await runTool('g++', [...CSIM_FLAGS, '-o', tmp, ...HLS_SOURCES], { cwd: build, what: `the g++ build of the C simulation of ${build}` });
  if (r.error?.code === 'ENOENT') throw userError('E_TOOL', 'g++ is not installed; the HLS C simulation needs it (apt-get install -y g++)');
  if (r.error) throw userError('E_TOOL', `cannot run g++: ${r.error.message}`);
  if (r.code !== 0) throw userError('E_TOOL', `g++ could not compile ${build} (exit code ${r.code}): ${r.stderr.trim().split('\n').slice(0, 6).join(' / ')}`);
  renameSync(tmp, exe);
  return exe;
}


function readCodes(file: string, count: number, size: number): Float64Array[] {
  const tokens = readFileSync(file, 'utf8').trim().split(/\s+/).map(Number);
  if (tokens[0] !== count || tokens[1] !== size || tokens.length !== 2 + count * size) throw new Error(`internal error: ${file} does not hold ${count} x ${size} codes`);
  return Array.from({ length: count }, (_, n) => Float64Array.from(tokens.slice(2 + n * size, 2 + (n + 1) * size)));
}
