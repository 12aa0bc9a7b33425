/** Characterization of one multiplier: exhaustive error metrics (uniform and, optionally, weighted by operand
 *  histograms), Yosys synthesis cost of its netlist, and switching-activity power (uniform and weighted). */
import { readFileSync } from 'node:fs';
import { userError } from '../errors.js';
import { computeMetrics, type OperandHistograms } from './metrics.js';
import { relativeSwitchingPower } from './power.js';
import type { ErrorMetrics, Multiplier, SynthCost } from './types.js';
import { synthCost } from './yosys.js';

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

export function characterize(m: Multiplier, opts: CharacterizeOptions): Characterization {
  const n = m.netlist;
  const canSynth = opts.synth && m.verilog !== undefined && m.moduleName !== undefined;
  return {
    id: m.id,
    metrics: computeMetrics(m.table, m.signed),
    ...(opts.hist ? { weightedMetrics: computeMetrics(m.table, m.signed, opts.hist) } : {}),
    ...(canSynth ? { synth: synthCost(m.verilog!, m.moduleName!) } : {}),
    ...(n ? { switchingPower: relativeSwitchingPower(n, m.signed) } : {}),
    ...(n && opts.hist ? { weightedSwitchingPower: relativeSwitchingPower(n, m.signed, opts.hist) } : {}),
  };
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
