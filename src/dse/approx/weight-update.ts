/** ALWANN's retraining-free weight update: for a layer bound to an approximate multiplier M, every weight code w is
 *  replaced by the code w' whose products M(x, w') are closest to the exact x*w over activation codes x (port A = the
 *  activation, port B = the weight), in the least-squares sense, x weighed uniformly (as tf-approximate does) or by
 *  the layer's activation histogram; w is kept on ties.
 *  Why it is cheap: error(w, w') = sum_x h(x) (M(x,w') - x w)^2 = S2[w'] - 2 w D[w'] + const(w) with
 *  S2[w'] = sum_x h(x) M(x,w')^2 and D[w'] = sum_x h(x) x M(x,w'), so one pass over the table gives every mapping. */

export type WeightUpdateMode = 'none' | 'uniform' | 'histogram';

/** The retraining-free compensation of a layer bound to an approximate multiplier: the weight update (`weights`) and
 *  the bias correction (`bias`, meanProductError below). */
export interface Compensation {
  readonly weights: WeightUpdateMode;
  readonly bias: boolean;
}

/** Code ranges of 8-bit codes of a multiplier's signedness: unsigned [0, 255], signed symmetric [-127, 127]. */
function codes(signed: boolean, qmin?: number, qmax?: number): number[] {
  const [lo, hi] = signed ? [qmin ?? -127, qmax ?? 127] : [qmin ?? 0, qmax ?? 255];
  return Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
}

/** map[(w & 255)] = w' for every weight code w in [wMin, wMax]; `histogram[(x & 255)]` weighs activation codes
 *  (undefined = uniform over the activation code range). */
export function weightMap(table: Int32Array, signed: boolean, histogram?: ArrayLike<number>, weightRange?: [number, number]): Int32Array {
  const xs = codes(signed);
  const ws = codes(signed, weightRange?.[0], weightRange?.[1]);
  const h = (x: number) => (histogram ? histogram[x & 255]! : 1);
  const s2 = new Float64Array(256), d = new Float64Array(256);
  for (const w of ws) {
    let a = 0, b = 0;
    for (const x of xs) {
      const hx = h(x);
      if (hx === 0) continue;
      const m = table[(x & 255) * 256 + (w & 255)]!;
      a += hx * m * m;
      b += hx * x * m;
    }
    s2[w & 255] = a;
    d[w & 255] = b;
  }
  const map = new Int32Array(256);
  for (const w of ws) {
    const cost = (v: number) => s2[v & 255]! - 2 * w * d[v & 255]!;
    let best = w, bestCost = cost(w);
    for (const v of ws) {
      const c = cost(v);
      if (c < bestCost - 1e-9 * Math.abs(bestCost)) [best, bestCost] = [v, c];
    }
    map[w & 255] = best;
  }
  return map;
}

/** Bias correction, the other half of the retraining-free compensation: an approximate multiplier's error has a mean
 *  (most EvoApprox designs truncate, so they err low), and over the K products of one output the mean adds up
 *  coherently while the rest averages out: LeNet-5's first dense layer with mul8u_1AGV is off by about 18,000
 *  accumulator units per output. Subtracting that mean from the bias (as Nagel et al. 2019 do for quantization
 *  error) costs nothing in hardware. This gives, per stored weight code w (index w & 255), the expected product error
 *  `E_h[M(x, map[w]) - x*w]` over the layer's activation-code histogram h (the exact product of the original code is
 *  the target); bindMultipliers sums it over a channel's weights and adds the zero-point term (ir/arithmetic.md 2). */
export function meanProductError(table: Int32Array, signed: boolean, histogram: ArrayLike<number>, map?: Int32Array): Float64Array {
  const xs = codes(signed);
  let total = 0;
  for (const x of xs) total += histogram[x & 255]!;
  const err = new Float64Array(256);
  if (total === 0) return err;
  for (const w of codes(signed)) {
    const stored = map ? map[w & 255]! : w;
    let e = 0;
    for (const x of xs) {
      const hx = histogram[x & 255]!;
      if (hx !== 0) e += hx * (table[(x & 255) * 256 + (stored & 255)]! - x * w);
    }
    err[w & 255] = e / total;
  }
  return err;
}
