/** The graph input of a word-length-tuned graph, cast into its number format (ir/arithmetic.md section 6). */
import { quantizeFloat, quantizeFixed, dequantizeFixed } from '../../ir/numformats.js';
import type { NumFormat, Tensor } from '../../ir/types.js';
import { makeTensor } from '../../ir/types.js';

export function castValue(v: number, f: NumFormat): number {
  return f.kind === 'fixed' ? dequantizeFixed(quantizeFixed(v, f), f) : quantizeFloat(v, f);
}

export function castInput(t: Tensor, f: NumFormat): Tensor {
  const out = makeTensor('float32', t.shape);
  for (let i = 0; i < t.data.length; i++) out.data[i] = castValue(t.data[i]!, f);
  return out;
}
