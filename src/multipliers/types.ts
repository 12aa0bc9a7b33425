/** The multiplier record: what the approximate-binding search and the emitters choose from.
 *  The table is the single source of truth for behaviour: `table[(a & 255) * 256 + (b & 255)]` is the product of
 *  activation code a (port A) and weight code b (port B); for signed multipliers the codes are two's-complement bytes
 *  (-128..127) and the products are sign-extended 16-bit values. */
import type { GateNetlist } from './netlist.js';

export const TABLE_SIZE = 65536;

/** Error figures from exhaustive (or histogram-weighted) enumeration against the exact product.
 *  Absolute figures are in product units; `*Pct` figures are normalised as EvoApprox reports them
 *  (percent of the output range 2^16 for MAE and WCE, percent for MRE, EP and WCRE). */
export interface ErrorMetrics {
  readonly meanError: number; // bias: E[approx - exact]
  readonly mae: number; // E|approx - exact|
  readonly errorVariance: number; // Var(approx - exact)
  readonly mse: number; // E[(approx - exact)^2]
  readonly wce: number; // max |approx - exact| over operand pairs of nonzero weight
  readonly mre: number; // E[|approx - exact| / |exact| | exact != 0]
  readonly wcre: number; // max |approx - exact| / |exact| over exact != 0
  readonly errorProbability: number; // P(approx != exact)
  readonly maePct: number;
  readonly wcePct: number;
  readonly mrePct: number;
  readonly epPct: number;
  readonly wcrePct: number;
  readonly biasPct: number; // meanError in percent of the output range
}

/** Synthesis figures from Yosys (absent until characterized). */
export interface SynthCost {
  readonly cells: number; // gates after `synth; abc -g ...` (fixed simple gate set)
  readonly transistors: number; // `stat -tech cmos`
  readonly luts: number; // `synth_xilinx` LUT count
}

export type PowerSource = 'exact' | 'published' | 'switching' | 'given' | 'unknown';

export type SourceKind = 'exact' | 'generated' | 'evoapprox' | 'verilog' | 'table';

export interface MultiplierSource {
  readonly kind: SourceKind;
  readonly description: string; // one line: family and parameters, or the imported file
  readonly file?: string; // imported file's base name
  readonly citation?: string;
}

/** Published figures of a library multiplier (EvoApprox: 45 nm PDK synthesis and its error metrics). */
export interface PublishedFigures {
  readonly powerMw: number;
  readonly areaUm2: number;
  readonly delayNs: number;
  readonly maePct: number;
  readonly wcePct: number;
  readonly mrePct: number;
  readonly epPct: number;
  readonly wcrePct: number;
}

export interface Multiplier {
  readonly id: string;
  readonly signed: boolean;
  readonly table: Int32Array;
  /** Multiplication power relative to the exact multiplier of the same signedness (exact = 1); null when unknown. */
  readonly relativePower: number | null;
  readonly powerSource: PowerSource;
  readonly metrics: ErrorMetrics;
  readonly source: MultiplierSource;
  readonly netlist?: GateNetlist;
  /** Verilog-2005 text of the netlist, module `moduleName(A, B, O)`. */
  readonly verilog?: string;
  readonly moduleName?: string;
  readonly published?: PublishedFigures;
  readonly synth?: SynthCost;
  /** Gate count of the netlist (our gate set, before synthesis); a cheap area proxy. */
  readonly gates?: number;
}

const ID_RE = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;

export function isValidId(id: string): boolean {
  return ID_RE.test(id);
}

/** A Verilog identifier for a multiplier id (ids may hold '-' and '.'). */
export function moduleNameFor(id: string): string {
  return id.replace(/[^A-Za-z0-9_]/g, '_');
}
