/** The accuracy proxy of the sharing exploration (AdequateDL: the clustering inertia predicts the accuracy loss):
 *  predicted top-1 drop = sum over layers of beta_l * e_l, where e_l is layer l's clustering SSE over the spread of
 *  its weights and beta_l >= 0 its sensitivity, fitted by non-negative least squares on the designs measured so far
 *  (the first generation holds one-layer designs, which pin each beta_l down). The margin is twice the RMS error
 *  of the fit on those designs (at least one evaluation image): a design whose predicted top-1 plus the margin is
 *  still beaten by a measured design of no more memory is not worth an accuracy evaluation. */

export interface MeasuredPoint {
  /** Normalised clustering error per layer. */
  readonly errors: readonly number[];
  /** Measured top-1 drop against the unshared design (fraction, may be negative). */
  readonly drop: number;
}

export interface DropModel {
  readonly beta: readonly number[];
  /** Prediction uncertainty in top-1 (fraction). */
  readonly margin: number;
  predict(errors: readonly number[]): number;
}

/** Fits beta >= 0 minimising sum (x . beta - drop)^2 by cyclic coordinate descent (a convex problem: converges to
 *  the NNLS optimum; 500 sweeps are plenty for a handful of layers). */
export function fitDropModel(points: readonly MeasuredPoint[], layers: number, minMargin: number): DropModel {
  const beta = new Array<number>(layers).fill(0);
  const gram = Array.from({ length: layers }, (_, a) => Array.from({ length: layers }, (_, b) => points.reduce((s, p) => s + p.errors[a]! * p.errors[b]!, 0)));
  const xty = Array.from({ length: layers }, (_, a) => points.reduce((s, p) => s + p.errors[a]! * p.drop, 0));
  for (let sweep = 0; sweep < 500; sweep++)
    for (let a = 0; a < layers; a++) {
      if (gram[a]![a]! <= 0) continue;
      const grad = gram[a]!.reduce((s, g, b) => s + g * beta[b]!, 0) - xty[a]!;
      beta[a] = Math.max(0, beta[a]! - grad / gram[a]![a]!);
    }
  const predict = (errors: readonly number[]) => errors.reduce((s, e, l) => s + e * beta[l]!, 0);
  const rms = points.length > 0 ? Math.sqrt(points.reduce((s, p) => s + (predict(p.errors) - p.drop) ** 2, 0) / points.length) : Infinity;
  return { beta, margin: Math.max(minMargin, 2 * rms), predict };
}
