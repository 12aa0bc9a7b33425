/** Numeric command-line options, validated while the command line is parsed (before any work starts) and reported as
 *  typed: `--pop abc` says "--pop 'abc' is not an integer", never "NaN" or "null". Every command declares its numbers
 *  through intOption/numberOption, so new commands get the same checks:
 *
 *    .option('pop', intOption('pop', { default: 32, min: 2, describe: 'designs per generation' }))
 *    .option('max-drop', numberOption('max-drop', { default: 0.5, min: 0 }))
 *
 *  (The options carry no yargs `type`: yargs turns a non-numeric value of a `number` option into null or NaN before
 *  anyone can report it; without a type, numbers still arrive as numbers and anything else as the text typed.) */
import type { Options } from 'yargs';
import { userError } from '../errors.js';

export interface NumberRule {
  readonly describe?: string;
  readonly default?: number;
  readonly alias?: string;
  readonly demandOption?: boolean;
  /** Smallest allowed value (inclusive). */
  readonly min?: number;
  /** Largest allowed value (inclusive). */
  readonly max?: number;
  /** Values must be greater than this (for "a positive number"). */
  readonly above?: number;
  /** Values must be less than this (for "a fraction below 1"). */
  readonly below?: number;
}

function range(rule: NumberRule, integer: boolean): string {
  const kind = integer ? 'an integer' : 'a number';
  if (rule.min !== undefined && rule.max !== undefined) return `${kind} from ${rule.min} to ${rule.max}`;
  if (rule.min !== undefined && rule.below !== undefined) return `${kind} >= ${rule.min} and < ${rule.below}`;
  if (rule.min !== undefined) return `${kind} >= ${rule.min}`;
  if (rule.above !== undefined) return `${kind} > ${rule.above}`;
  if (rule.max !== undefined) return `${kind} <= ${rule.max}`;
  return kind;
}

/** Parses one option value as typed on the command line; a user error names the flag, the text and the range. */
export function parseNumberArg(flag: string, raw: unknown, rule: NumberRule = {}, integer = false): number {
  const shown = Array.isArray(raw) ? raw.map(String).join(' ') : String(raw);
  if (Array.isArray(raw)) throw userError('E_USAGE', `--${flag} is given ${raw.length} times (${shown}); give it once`);
  const text = typeof raw === 'string' ? raw.trim() : undefined;
  const value = typeof raw === 'number' ? raw : text !== undefined && text !== '' && /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(text) ? Number(text) : NaN;
  const bad = !Number.isFinite(value) || (integer && !Number.isInteger(value)) ||
    (rule.min !== undefined && value < rule.min) || (rule.max !== undefined && value > rule.max) || (rule.above !== undefined && !(value > rule.above)) || (rule.below !== undefined && !(value < rule.below));
  if (bad) throw userError('E_USAGE', `--${flag} '${shown}' is not valid: give ${range(rule, integer)}`);
  return value;
}

/** A value that failed its check. yargs mishandles an error thrown by `coerce` in a nested command (emit verilog
 *  reports "missing arguments" instead), so coerce returns this and rejectInvalidOptions, a middleware of the whole
 *  parser that runs before validation and before any handler, throws its error. */
export class InvalidOption {
  constructor(readonly error: Error) {}
}

export function rejectInvalidOptions(argv: Record<string, unknown>): void {
  for (const v of Object.values(argv)) if (v instanceof InvalidOption) throw v.error;
}

function option(flag: string, rule: NumberRule, integer: boolean): Options {
  const { describe, default: dflt, alias, demandOption } = rule;
  return {
    requiresArg: true,
    coerce: (raw: unknown) => {
      try {
        return parseNumberArg(flag, raw, rule, integer);
      } catch (e) {
        return new InvalidOption(e as Error);
      }
    },
    describe: `${describe ? describe + ' ' : ''}(${range(rule, integer)})`,
    ...(dflt !== undefined ? { default: dflt } : {}),
    ...(alias !== undefined ? { alias } : {}),
    ...(demandOption ? { demandOption: true } : {}),
  };
}

/** An integer option (counts, sizes, indices, seeds). */
export function intOption(flag: string, rule: NumberRule = {}): Options {
  return option(flag, rule, true);
}

/** A real-number option (bounds, periods, fractions). */
export function numberOption(flag: string, rule: NumberRule = {}): Options {
  return option(flag, rule, false);
}

/** The front never holds more designs than a generation: a --pick beyond --pop is refused before the search. */
export function checkPick(pick: unknown, pop: unknown): true | string {
  if (typeof pick !== 'number' || typeof pop !== 'number') return true; // absent, or invalid: reported by rejectInvalidOptions
  return pick < pop ? true : `--pick ${String(pick)} is beyond the front (at most --pop ${String(pop)} designs); give --pick below ${String(pop)}`;
}

/** --tool-timeout SECONDS: the time limit of each external tool run (src/verify/tool-run.ts). */
export function toolTimeoutOption(defaultSeconds: number): Options {
  return intOption('tool-timeout', { default: defaultSeconds, min: 1, describe: 'seconds each external tool run (Verilator, make, g++, the simulation, Yosys) may take before it is stopped' });
}

/** --force: replace an output folder (or file) that adequate did not write (docs/promises.md). */
export const FORCE_OPTION = { type: 'boolean', describe: 'replace an -o that adequate did not write (never one holding an input)' } as const;
