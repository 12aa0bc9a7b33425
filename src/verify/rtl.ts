/** Verilator verification of a Verilog build (`adequate verify BUILD`): streams N inputs through the Verilator model
 *  of the accelerator and compares each inference's output codes, bit for bit, with the integer golden model over the
 *  same nodes (src/hw/reference.ts), and its cycle count with the cycle model (src/hw/cycles.ts). On a mismatch a
 *  debug build (per-step memory dumps) runs the first failing input and names the first layer whose buffer differs.
 *  --layers compares every layer of every inference that way; --trace writes BUILD/trace.fst. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { argmaxRows } from '../golden/accuracy.js';
import { libraryContext } from '../golden/parallel.js';
import { predictCycles, type InferenceCycles } from '../hw/cycles.js';
import { planAccelerator, type AcceleratorPlan } from '../hw/plan.js';
import { quantizeSample, referenceBuffers } from '../hw/reference.js';
import { regionWord, scheduleAccelerator, type Memory, type Schedule } from '../hw/schedule.js';
import { parseStreamWidth } from '../hw/stream.js';
import type { Tensor } from '../ir/types.js';
import { makeTensor, sizeOf } from '../ir/types.js';
import { formatTable, groupDigits } from '../cli/table.js';
import type { VerifyOutcome, VerifyRequest } from './request.js';
import { buildModel, runModel, type BuiltModel } from './verilator.js';

/** A layer whose buffer differs from the golden model in one inference. */
export interface LayerMismatch {
  readonly inference: number;
  readonly step: number;
  readonly layer: string;
  /** Elements that differ, and the first of them. */
  readonly differing: number;
  readonly index: number;
  readonly expected: number;
  readonly actual: number;
}

/** Simulated cycles up to which verify builds the Verilator model quick (C++ at -O0, verilator.ts): its build takes
 *  about half the time and it simulates 6 to 17 times slower. Measured: the residual example's 48-multiplier wide
 *  plan (24,000 lines of Verilog) builds in 39 s instead of 69 s and runs 8,900 instead of 150,000 cycles/s; LeNet-5
 *  at 4 lanes 3.6 s instead of 4.5 s, 0.5 instead of 3.1 M cycles/s: the quick build pays below 300,000 and 550,000
 *  simulated cycles. */
export const QUICK_BUILD_CYCLES = 250_000;

export async function verifyRtl(request: VerifyRequest): Promise<VerifyOutcome> {
  const { build, manifest, data, count } = request;
  const plan = planAccelerator(request.graph);
  const schedule = scheduleAccelerator(plan, manifest.folding ?? manifest.lanes, parseStreamWidth(manifest.options['streamWidth'] ?? undefined, `${build}/build.json options.streamWidth`));
  // Overlapped steps (emit --overlap, src/hw/overlap.ts): the run is the overlapped timeline.
  const predicted = predictCycles(schedule, { overlap: manifest.options['overlap'] === true });
  const ctx = libraryContext(manifest.library);
  const per = sizeOf(plan.hostInput.shape);
  const inputs: Tensor[] = [];
  const expected: Map<string, Tensor>[] = [];
  for (let i = 0; i < count; i++) {
    const codes = quantizeSample(plan, data.inputs.data.subarray(i * per, (i + 1) * per) as Float32Array);
    inputs.push(codes);
    expected.push(referenceBuffers(plan, codes, ctx));
  }
  const scratch = mkdtempSync(join(tmpdir(), 'adequate-verify-'));
  try {
    // With --layers (and no trace) one debug build runs every input: its outputs and cycles are the plain build's
    // (ADEQUATE_DEBUG only adds prints and memory dumps), so the plain build is not made as well.
    const layersOnly = request.layers === true && !request.trace;
    const quickFor = (inferences: number) => inferences * predicted.total <= QUICK_BUILD_CYCLES;
    const quick = quickFor(count);
    const model = await buildModel(build, request.trace ? 'trace' : layersOnly ? 'debug' : 'plain', undefined, { quick });
    const dumpDir = layersOnly ? mkdtempSync(join(scratch, 'dump-')) : undefined;
    const run = await runModel(build, model, inputs.map((t) => t.data), plan.output.size, scratch, {
      ...(request.trace ? { trace: join(build, 'trace.fst') } : {}),
      ...(dumpDir ? { dumpDir } : {}),
      maxCycles: predicted.total * 4 + 10_000,
    }, (done) => request.onProgress?.(done, count));
    const outName = plan.output.name;
    const badOutputs = run.results.map((r, i) => !sameCodes(r.outputs, expected[i]!.get(outName)!.data)).map((bad, i) => (bad ? i : -1)).filter((i) => i >= 0);
    const cycleMismatches = run.results.filter((r) => r.cycles !== predicted.total).length;
    let layerMismatches: LayerMismatch[] = [];
    if (dumpDir) layerMismatches = compareDumps(dumpDir, schedule, expected);
    else if (request.layers || badOutputs.length > 0) {
      const debugModel = await buildModel(build, 'debug', undefined, { quick: quickFor(request.layers ? count : 1) });
      const which = request.layers ? inputs.map((_, i) => i) : [badOutputs[0]!];
      layerMismatches = await compareLayers(build, debugModel, schedule, which.map((i) => inputs[i]!), which.map((i) => expected[i]!), scratch);
      layerMismatches = layerMismatches.map((m) => ({ ...m, inference: which[m.inference]! }));
    }
    const cycles = run.results.map((r) => r.cycles);
    const rtlPred = argmaxRows(makeTensor('int32', [count, plan.output.size], Int32Array.from(run.results.flatMap((r) => Array.from(r.outputs)))), count);
    const labels = data.labels;
    const top1 = labels ? rtlPred.reduce((a, p, i) => a + (p === labels[i] ? 1 : 0), 0) / count : undefined;
    const rate = run.simSeconds > 0 ? run.simCycles / run.simSeconds : 0;
    const firstLayer = layerMismatches[0];
    const json = {
      build,
      model: plan.name,
      lanes: manifest.lanes,
      ...(manifest.folding ? { folding: manifest.folding, multipliers: predicted.multipliers } : {}),
      count,
      mismatches: badOutputs.length,
      cycle_mismatches: cycleMismatches,
      cycles: Math.max(...cycles),
      predicted_cycles: predicted.total,
      sim_cycles_per_second: Math.round(rate),
      build_seconds: Number(model.seconds.toFixed(1)),
      quick_build: quick,
      ...(top1 !== undefined ? { top1 } : {}),
      ...(badOutputs.length ? { first_mismatch: { inference: badOutputs[0]!, ...(firstLayer ? { layer: firstLayer.layer, step: firstLayer.step } : {}) } } : {}),
      ...(request.layers ? { layer_mismatches: layerMismatches.length } : {}),
      ...(request.trace ? { trace: join(build, 'trace.fst') } : {}),
      ...(predicted.overlap ? { overlap: { run: predicted.overlap.run, serial_run: predicted.overlap.serialRun } } : {}),
      layers: predicted.steps.map((s, i) => ({ name: s.name, op: s.op, unit: s.unit, cycles: s.cycles, ...(predicted.overlap ? { start: predicted.overlap.starts[i]! } : {}), macs: s.macs, ...(s.utilization !== undefined ? { utilization: Number(s.utilization.toFixed(4)) } : {}) })),
    };
    const passed = badOutputs.length === 0 && cycleMismatches === 0 && layerMismatches.length === 0;
    return { json, text: report(plan, predicted, json, layerMismatches, cycles, top1, passed), passed };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

function sameCodes(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Runs the debug build on some inputs and compares every step's output memory with the golden buffers; returns the
 *  first differing layer of each inference (inference = index into `inputs`). */
async function compareLayers(build: string, model: BuiltModel, s: Schedule, inputs: readonly Tensor[], expected: readonly Map<string, Tensor>[], scratch: string): Promise<LayerMismatch[]> {
  const dumpDir = mkdtempSync(join(scratch, 'dump-'));
  await runModel(build, model, inputs.map((t) => t.data), s.plan.output.size, scratch, { dumpDir });
  return compareDumps(dumpDir, s, expected);
}

/** The first differing layer of each inference of a debug run's memory dumps (inference i: `expected[i]`). */
function compareDumps(dumpDir: string, s: Schedule, expected: readonly Map<string, Tensor>[]): LayerMismatch[] {
  const found: LayerMismatch[] = [];
  expected.forEach((_, i) => {
    for (const step of s.steps) {
      const mem = s.memories[step.output]!;
      const prefix = join(dumpDir, `i${i}_s${step.index}`);
      const actual = mem.banks > 1 ? readBankedDump(prefix, mem) : mem.regions > 1 ? readRegionDump(prefix, mem) : mem.interleave > 1 ? readInterleavedDump(prefix, mem) : readMemoryDump(`${prefix}.hex`, mem.bits, mem.signed);
      const reference = expected[i]!.get(step.buffer);
      if (!reference) continue; // a broadcast copy's buffer: the golden model has none (the QSum after it is checked)
      const want = reference.data;
      let differing = 0, first = -1;
      // A Concat input placed inside its Concat's memory lies from the step's output base on.
      const at = step.outputBase;
      for (let j = 0; j < want.length; j++) if (actual[at + j] !== want[j]) (differing++, first < 0 && (first = j));
      if (differing > 0) {
        found.push({ inference: i, step: step.index, layer: step.layer.name, differing, index: first, expected: want[first]!, actual: actual[at + first] ?? NaN });
        break;
      }
    }
  });
  return found;
}

/** The dumps of a banked memory (`PREFIX_b<j>.hex`, one per bank) back in C order: bank j, word cb * P + p holds
 *  channel cb * L + j at position p (src/hw/schedule.ts, Memory.banks). */
function readBankedDump(prefix: string, mem: Memory): Int32Array {
  const C = mem.buffer.shape[1]!, P = mem.buffer.size / C, L = mem.banks;
  const banks = Array.from({ length: L }, (_, j) => readMemoryDump(`${prefix}_b${j}.hex`, mem.bits, mem.signed));
  const out = new Int32Array(mem.buffer.size);
  for (let c = 0; c < C; c++) for (let p = 0; p < P; p++) out[c * P + p] = banks[c % L]![Math.floor(c / L) * P + p] ?? NaN;
  return out;
}

/** The dumps of a memory split by channel region (`PREFIX_b<j>.hex`) back in C order: element a is where the
 *  read adapter finds it (src/hw/schedule.ts, regionWord). */
function readRegionDump(prefix: string, mem: Memory): Int32Array {
  const banks = Array.from({ length: mem.regions }, (_, j) => readMemoryDump(`${prefix}_b${j}.hex`, mem.bits, mem.signed));
  return Int32Array.from({ length: mem.buffer.size }, (_, a) => {
    const { bank, word } = regionWord(mem, a);
    return banks[bank]![word] ?? NaN;
  });
}

/** The dumps of an address-interleaved memory (`PREFIX_b<j>.hex`) back in C order: code a is word a div B of bank
 *  a mod B (src/hw/schedule.ts, Memory.interleave). */
function readInterleavedDump(prefix: string, mem: Memory): Int32Array {
  const B = mem.interleave;
  const banks = Array.from({ length: B }, (_, j) => readMemoryDump(`${prefix}_b${j}.hex`, mem.bits, mem.signed));
  return Int32Array.from({ length: mem.buffer.size }, (_, a) => banks[a % B]![Math.floor(a / B)] ?? NaN);
}

/** A $writememh file: one hex word per line (comments and blank lines skipped), read as `bits`-bit codes. */
export function readMemoryDump(file: string, bits: number, signed: boolean): Int32Array {
  const words = readFileSync(file, 'utf8').split('\n').map((l) => l.replace(/\/\/.*$/, '').trim()).filter((l) => l !== '' && !l.startsWith('@'));
  return Int32Array.from(words, (w) => {
    if (/[xz]/i.test(w)) return NaN;
    const v = parseInt(w, 16);
    return signed && v >= 2 ** (bits - 1) ? v - 2 ** bits : v;
  });
}

function report(plan: AcceleratorPlan, predicted: InferenceCycles, json: Record<string, unknown> & { count: number; mismatches: number; cycle_mismatches: number; predicted_cycles: number; sim_cycles_per_second: number; build_seconds: number }, layerMismatches: readonly LayerMismatch[], cycles: readonly number[], top1: number | undefined, passed: boolean): string {
  const rows = predicted.steps.map((s) => [s.name, s.op, s.unit, groupDigits(s.cycles), groupDigits(s.macs), s.utilization !== undefined ? `${(s.utilization * 100).toFixed(1)}%` : '']);
  const table = formatTable(['layer', 'op', 'unit', 'cycles', 'MACs', 'utilization'], rows, ['total (load, layers, stream)', '', '', groupDigits(predicted.total), groupDigits(predicted.macs), `${(predicted.macUtilization * 100).toFixed(1)}%`]);
  const measured = Math.min(...cycles) === Math.max(...cycles) ? groupDigits(cycles[0]!) : `${groupDigits(Math.min(...cycles))} to ${groupDigits(Math.max(...cycles))}`;
  const lines = [
    table.trimEnd(),
    '',
    `inputs run          ${json.count}`,
    `mismatches          ${json.mismatches} (outputs), ${json.cycle_mismatches} (cycle counts)`,
    `cycles/inference    ${measured} measured, ${groupDigits(json.predicted_cycles)} predicted`,
    `simulation          ${(json.sim_cycles_per_second / 1e6).toFixed(2)} M cycles/s (Verilator; model ${json.build_seconds > 0 ? `built in ${json.build_seconds} s${json.quick_build ? ', quick: C++ at -O0 for a short run' : ''}` : 'reused from the build folder'})`,
  ];
  if (predicted.overlap) lines.push(`overlapped steps    the layers run in ${groupDigits(predicted.overlap.run)} cycles (${groupDigits(predicted.overlap.serialRun)} one after another)`);
  if (top1 !== undefined) lines.push(`RTL top-1           ${(top1 * 100).toFixed(2)}% (${Math.round(top1 * json.count)}/${json.count})`);
  for (const m of layerMismatches.slice(0, 5)) lines.push(`first differing layer of inference ${m.inference}: '${m.layer}' (step ${m.step}): ${m.differing} element(s) differ, first at ${m.index}: expected ${m.expected}, got ${m.actual}`);
  if (layerMismatches.length > 5) lines.push(`... and ${layerMismatches.length - 5} more inference(s) with differing layers`);
  lines.push(passed ? `PASS: ${plan.name} matches the golden model bit for bit and the cycle model exactly` : `FAIL: ${plan.name} differs from the ${json.mismatches ? 'golden model' : 'cycle model'}`);
  return lines.join('\n');
}
