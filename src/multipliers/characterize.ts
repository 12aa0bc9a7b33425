/** Characterization of one multiplier: exhaustive error metrics (uniform and, optionally, weighted by operand
 *  histograms), Yosys synthesis cost of its netlist, and switching-activity power (uniform and weighted). */
import { readFileSync } from 'node:fs';
import { userError } from '../errors.js';
import { computeMetrics, type OperandHistograms } from './metrics.js';
import { relativeSwitchingPower } from './power.js';
import type { ErrorMetrics, Multiplier, SynthCost } from './types.js';
import { synthCost, synthCosts } from './yosys.js';

export interface Characterization {
  readonly id: string;
  readonly metrics: ErrorMetrics;
  readonly weightedMetrics?: ErrorMetrics;
  readonly synth?: SynthCost;
  readonly switchingPower?: number; // relative to exact, uniform operands
  readonly weightedSwitchingPower?: number; // relative to exact, operands drawn from the histograms
}

export interface CharacterizeOptions {
  readonly synth: boolean;
  readonly hist?: OperandHistograms;
}

const canSynth = (m: Multiplier): boolean => m.verilog !== undefined && m.moduleName !== undefined;

/** Everything but synthesis: exhaustive metrics and switching power (fast, TypeScript only). */
function analyse(m: Multiplier, hist: OperandHistograms | undefined, synth: SynthCost | undefined): Characterization {
  const n = m.netlist;
  return {
    id: m.id,
    metrics: computeMetrics(m.table, m.signed),
    ...(hist ? { weightedMetrics: computeMetrics(m.table, m.signed, hist) } : {}),
    ...(synth ? { synth } : {}),
    ...(n ? { switchingPower: relativeSwitchingPower(n, m.signed) } : {}),
    ...(n && hist ? { weightedSwitchingPower: relativeSwitchingPower(n, m.signed, hist) } : {}),
  };
}

export function characterize(m: Multiplier, opts: CharacterizeOptions): Characterization {
  return analyse(m, opts.hist, opts.synth && canSynth(m) ? synthCost(m.verilog!, m.moduleName!) : undefined);
}

/** Characterizes many multipliers; the Yosys runs go in parallel (`jobs`, default the number of cores) while the
 *  TypeScript analyses run on this thread. `onDone(i)` fires when multiplier i is complete. Results in input order. */
export async function characterizeMany(
  ms: readonly Multiplier[], opts: CharacterizeOptions & { jobs?: number; onDone?: (index: number) => void },
): Promise<Characterization[]> {
  const synthIdx = opts.synth ? ms.flatMap((m, i) => (canSynth(m) ? [i] : [])) : [];
  const pending = new Set(synthIdx);
  const results = new Array<Characterization>(ms.length);
  const finish = (i: number, synth: SynthCost | undefined): void => {
    results[i] = analyse(ms[i]!, opts.hist, synth);
    opts.onDone?.(i);
  };
  const jobs = synthIdx.map((i) => ({ verilog: ms[i]!.verilog!, moduleName: ms[i]!.moduleName! }));
  // Start the Yosys processes first, then analyse the multipliers without a netlist while they run.
  const synthesized = synthCosts(jobs, { ...(opts.jobs ? { jobs: opts.jobs } : {}), onDone: (k, cost) => finish(synthIdx[k]!, cost) });
  ms.forEach((_, i) => { if (!pending.has(i)) finish(i, undefined); });
  await synthesized;
  return results;
}

/** Reads operand histograms from JSON `{ "a": [256 weights], "b": [256 weights] }` (indexed by 8-bit code). */
export function readHistograms(file: string): OperandHistograms {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw userError('E_MULT', `${file}: not readable JSON (${(e as Error).message}); give {"a": [256 numbers], "b": [256 numbers]}`);
  }
  const h = json as { a?: unknown; b?: unknown };
  const ok = (x: unknown): x is number[] => Array.isArray(x) && x.length === 256 && x.every((v) => typeof v === 'number');
  if (!ok(h.a) || !ok(h.b)) throw userError('E_MULT', `${file}: needs keys "a" and "b", each an array of 256 numbers (one weight per 8-bit code)`);
  return { a: h.a, b: h.b };
}
