/** Cost model of word-length tuning (docs/wordlength.md): storage bits of weights and activations, and an operator
 *  area per multiply-accumulate from a table of Yosys syntheses (data/operator-area.json, shipped; made by
 *  scripts/wordlength-area.mjs: estimated CMOS transistors of a signed a x b multiplier for 1 <= a <= b <= 24 and of
 *  a signed w-bit adder for w <= 48; beyond the table, the multiplier grows with a * b and the adder with w).
 *  The search minimises the area-weighted operation count sum over layers of MACs x (multiplier + adder area). */
import { readFileSync } from 'node:fs';
import { formatBits } from '../../ir/stats.js';
import type { NumFormat } from '../../ir/types.js';
import { packagePath } from '../../paths.js';
import { formatsOf, type Config, type Space } from './space.js';

interface AreaTable {
  readonly source: string;
  readonly unit: string;
  readonly multiplier: Readonly<Record<string, number>>;
  readonly adder: Readonly<Record<string, number>>;
}

let table: AreaTable | undefined;
export function areaTable(): AreaTable {
  return (table ??= JSON.parse(readFileSync(packagePath('data', 'operator-area.json'), 'utf8')) as AreaTable);
}

const MAX_MUL = 24, MAX_ADD = 48;
/** Transistors of a 2:1 multiplexer bit in the same metric (Yosys' cmos estimate for $_MUX_). */
const MUX = 12;

/** Area of a signed a x b multiplier (a, b >= 1). */
export function multiplierArea(a: number, b: number): number {
  const t = areaTable();
  const [x, y] = a <= b ? [a, b] : [b, a];
  if (y <= MAX_MUL) return t.multiplier[`${x}x${y}`]!;
  const scaleX = Math.min(x, MAX_MUL);
  return (t.multiplier[`${scaleX}x${MAX_MUL}`]! * (x * y)) / (scaleX * MAX_MUL);
}

/** Area of a signed w-bit adder. */
export function adderArea(w: number): number {
  const t = areaTable();
  const v = Math.max(1, w);
  return v <= MAX_ADD ? t.adder[String(v)]! : (t.adder[String(MAX_ADD)]! * v) / MAX_ADD;
}

/** Width of the signed multiplier operand a format needs: fixed signed W, unsigned W + 1; float: the significand
 *  (M + 1 bits, unsigned). */
function operandWidth(f: NumFormat): number {
  return f.kind === 'fixed' ? f.width + (f.signed ? 0 : 1) : f.mantBits + 2;
}

/** One multiply-accumulate: fixed = multiplier + accumulator adder. Float = significand multiplier and exponent
 *  adder, then a float adder modelled as an exponent subtractor, an alignment and a normalisation shifter (barrel
 *  shifters of M + 4 bits) and a significand adder of M + 4 bits. */
export function macArea(a: NumFormat, w: NumFormat, acc: NumFormat): number {
  const mul = multiplierArea(operandWidth(a), operandWidth(w));
  if (acc.kind === 'fixed') return mul + adderArea(acc.width);
  const n = acc.mantBits + 4, shifter = n * Math.ceil(Math.log2(n)) * MUX;
  const exponents = a.kind === 'float' && w.kind === 'float' ? adderArea(Math.max(a.expBits, w.expBits) + 1) : 0;
  return mul + exponents + adderArea(acc.expBits + 1) + 2 * shifter + adderArea(n);
}

export interface CostReport {
  /** Sum over layers of MACs x MAC area. */
  readonly area: number;
  readonly weightBits: number;
  readonly weightCount: number;
  readonly biasBits: number;
  readonly activationBits: number;
  readonly activationCount: number;
}

export function costOf(space: Space, config: Config): CostReport {
  const f = formatsOf(space, config);
  let area = 0;
  for (const l of space.layers) {
    const lf = f.layers.get(l.name)!;
    area += l.macs * macArea(space.variables[l.inputVar]!.format(config[l.inputVar]!), lf.weight, lf.accumulator);
  }
  let weightBits = 0, weightCount = 0, biasBits = 0, activationBits = 0, activationCount = 0;
  space.variables.forEach((v, i) => {
    const bits = v.elements * formatBits(v.format(config[i]!));
    if (v.role === 'weight') (weightBits += bits), (weightCount += v.elements);
    else if (v.role === 'bias') biasBits += bits;
    else if (v.role === 'input' || v.role === 'activation') (activationBits += bits), (activationCount += v.elements);
  });
  return { area, weightBits, weightCount, biasBits, activationBits, activationCount };
}
