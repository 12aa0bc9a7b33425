/** Casting values into the number formats of a word-length-tuned graph, and which formats it can hold
 *  (ir/arithmetic.md section 6). */
import { isUserError, userError } from '../../errors.js';
import { dequantizeFixed, fixedFormat, floatFormat, floatMaxFinite, quantizeFixed, quantizeFloat, type FixedFormat, type FloatFormat } from '../../ir/numformats.js';
import type { LayerFormats, NumFormat, Tensor } from '../../ir/types.js';
import { makeTensor } from '../../ir/types.js';

export function castValue(v: number, f: NumFormat): number {
  return f.kind === 'fixed' ? dequantizeFixed(quantizeFixed(v, f), f) : quantizeFloat(v, f);
}

export function castInput(t: Tensor, f: NumFormat): Tensor {
  checkFormat(f, 'activation', 'graph input');
  const out = makeTensor('float32', t.shape);
  for (let i = 0; i < t.data.length; i++) out.data[i] = castValue(t.data[i]!, f);
  return out;
}

const FLOAT32_MAX = 3.4028234663852886e38;

/** E_CONFIG for a format numformats.ts rejects (W < I, E < 2, ...) or one the tuned layers cannot hold: weights,
 *  biases and activations are stored as float32 values, accumulators hold at most 32 fixed bits or 24 mantissa bits
 *  (ir/arithmetic.md section 6). */
export function checkFormat(f: NumFormat, role: keyof LayerFormats, where: string): void {
  if (f.kind === 'fixed') {
    const g: FixedFormat = at(where, () => fixedFormat(f.width, f.intBits, f));
    if (role !== 'accumulator' && g.width > 24) throw userError('E_CONFIG', `${where}: fixed<${f.width},${f.intBits}> is wider than 24 bits; ${role} values are stored as float32, which holds 24 significant bits; use W <= 24`);
    if (role !== 'accumulator' && g.intBits - g.width < -149) throw userError('E_CONFIG', `${where}: fixed<${f.width},${f.intBits}> has a step below float32's smallest (2^-149)`);
    return;
  }
  if (f.kind !== 'float') throw userError('E_CONFIG', `${where}: unknown format kind '${(f as { kind: unknown }).kind}'; expected 'fixed' or 'float'`);
  const g: FloatFormat = at(where, () => floatFormat(f.expBits, f.mantBits, f));
  const name = `float<${g.expBits},${g.mantBits}>`;
  if (role === 'accumulator') {
    if (g.mantBits > 24) throw userError('E_CONFIG', `${where}: ${name} accumulator has more than 24 mantissa bits; the float64 emulation is exact up to 24 (ir/arithmetic.md 6.2)`);
    return;
  }
  if (g.mantBits > 23) throw userError('E_CONFIG', `${where}: ${name} has more than 23 mantissa bits; ${role} values are stored as float32; use M <= 23`);
  if (floatMaxFinite(g) > FLOAT32_MAX || 1 - g.bias - g.mantBits < -149)
    throw userError('E_CONFIG', `${where}: ${name} with bias ${g.bias} reaches outside float32's range; ${role} values are stored as float32; choose a bias near 2^(E-1)-1 or fewer exponent bits`);
}

/** The format constructors' own E_CONFIG, prefixed with where the format sits. */
function at<T>(where: string, build: () => T): T {
  try {
    return build();
  } catch (e) {
    throw isUserError(e) ? userError(e.code, `${where}: ${e.message}`) : e;
  }
}
