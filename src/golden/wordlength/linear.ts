/** Bit-true Conv and Gemm of word-length-tuned layers (ir/arithmetic.md section 6): fixed point with the
 *  accumulator's rounding at every product and its overflow at every addition, or custom float with one rounding
 *  per product and per addition. Tensors hold float32 values exactly in their formats, so a product of an activation
 *  and a weight is exact in float64 (at most 48 significant bits) and scaling by powers of two is exact: the kernels
 *  work on real values and integer codes in doubles, never on a float32 shortcut.
 *  Shape: both layers become columns (K rows of P positions; im2col for Conv, op(A) transposed for Gemm) and one
 *  float64 weight row per output channel; each output channel accumulates over k = 0..K-1 for all P positions at
 *  once, so each output's additions run in the specified order while the inner loop streams memory. The loops are
 *  top-level functions over one object shape per number system, so V8 keeps them monomorphic.
 *  Reduction lanes (the node's `reductionLanes` S, ir/arithmetic.md 6): lane s sums the terms
 *  [s*Kc, min(K, (s+1)*Kc)), Kc = ceil(K/S), lane 0 from the bias and the others from 0, then the lanes are added left
 *  to right in the accumulator's arithmetic. S = 1 and fixed point with wrap (the same sum for every S, modulo 2^Wc)
 *  take the one-lane loops. */
import type { ConvNode, GemmNode, LayerFormats, Tensor } from '../../ir/types.js';
import { makeTensor } from '../../ir/types.js';
import { quantizeFixed, type FixedFormat } from '../../ir/numformats.js';
import { convGeometry, im2col } from '../window.js';
import { checkFormat } from './cast.js';
import { fixedCastPlan, floatCastPlan, overflowCode, RNE, roundCode, roundFixed, roundFloat, type FixedCastPlan, type FloatCastPlan } from './round.js';

/** Everything a layer's loops need, computed once per formats object. */
interface Plan {
  readonly formats: LayerFormats;
  readonly fixedAcc: FixedCastPlan | undefined;
  readonly floatAcc: FloatCastPlan | undefined;
  readonly fixedOut: FixedCastPlan | undefined;
  readonly floatOut: FloatCastPlan | undefined;
}

const plans = new WeakMap<LayerFormats, Plan>();
function planOf(f: LayerFormats, layer: string): Plan {
  let p = plans.get(f);
  if (!p) {
    for (const role of ['weight', 'bias', 'accumulator', 'activation'] as const) checkFormat(f[role], role, `layer '${layer}' ${role}`);
    plans.set(f, (p = {
      formats: f,
      fixedAcc: f.accumulator.kind === 'fixed' ? fixedCastPlan(f.accumulator) : undefined,
      floatAcc: f.accumulator.kind === 'float' ? floatCastPlan(f.accumulator) : undefined,
      fixedOut: f.activation.kind === 'fixed' ? fixedCastPlan(f.activation) : undefined,
      floatOut: f.activation.kind === 'float' ? floatCastPlan(f.activation) : undefined,
    }));
  }
  return p;
}

/** Weights as float64 with their largest magnitude, cached per weight tensor: for Conv one row of K per output
 *  channel (the tensor's own layout); for Gemm one row of N per term k (B's [K, N] layout, transposed from [N, K]
 *  with transB). */
interface Weights {
  readonly data: Float64Array;
  readonly maxAbs: number;
}
const convCache = new WeakMap<Tensor, Weights>(), gemmCache = new WeakMap<Tensor, Weights>();
function weightsOf(cache: WeakMap<Tensor, Weights>, w: Tensor, transposeFrom?: { K: number; N: number }): Weights {
  let r = cache.get(w);
  if (!r) {
    let data: Float64Array;
    if (transposeFrom) {
      const { K, N } = transposeFrom;
      data = new Float64Array(K * N);
      for (let j = 0; j < N; j++) for (let k = 0; k < K; k++) data[k * N + j] = w.data[j * K + k]!;
    } else data = Float64Array.from(w.data);
    cache.set(w, (r = { data, maxAbs: maxAbs(data) }));
  }
  return r;
}

export function tunedConv(node: ConvNode, formats: LayerFormats, x: Tensor, w: Tensor, b: Tensor | undefined, outShape: readonly number[]): Tensor {
  const { win, g, N, C, M, cPerG, mPerG, inPlane, P, taps, K } = convGeometry(x.shape, w.shape, outShape, node.attrs);
  const out = makeTensor('float32', outShape);
  const plan = planOf(formats, node.name), rows = weightsOf(convCache, w);
  const col = new Float64Array(K * P), acc = new Float64Array(P);
  const mode = macMode(plan, maxAbs(x.data), rows.maxAbs, K);
  const lanes = laneBuffers(plan, node.attrs.reductionLanes, K, P);
  for (let n = 0; n < N; n++)
    for (let grp = 0; grp < g; grp++) {
      const xBase = (n * C + grp * cPerG) * inPlane;
      for (let ci = 0; ci < cPerG; ci++) im2col(x.data, xBase + ci * inPlane, win, col, ci * taps * P, 0, P, 1);
      for (let mi = 0; mi < mPerG; mi++) {
        const m = grp * mPerG + mi;
        acc.fill(initialAcc(plan, b ? b.data[m]! : 0), 0, P);
        if (lanes) reduceInLanes(plan, col, K, P, rows.data, m * K, acc, mode, lanes);
        else accumulate(plan, col, 0, K, P, rows.data, m * K, acc, mode);
        store(plan, acc, P, out.data as Float32Array, (n * M + m) * P, 1);
      }
    }
  return out;
}

export function tunedGemm(node: GemmNode, formats: LayerFormats, a: Tensor, b: Tensor, c: Tensor | undefined, outShape: readonly number[]): Tensor {
  const [P, N] = [outShape[0]!, outShape[1]!];
  const K = a.shape[1]!;
  const out = makeTensor('float32', outShape);
  // Batches are usually one row: the activation a[i, k] is the scalar of term k and B's row k (N weights) the
  // vector, so one pass over k accumulates all N outputs of row i, each in its order k = 0..K-1, with a long inner
  // loop; a zero activation (after a Relu) then costs nothing in fixed point. The product is the same either way.
  const plan = planOf(formats, node.name), cols = weightsOf(gemmCache, b, node.attrs.transB ? { K, N } : undefined);
  const acc = new Float64Array(N);
  const av = Float64Array.from(a.data);
  const mode = macMode(plan, maxAbs(av), cols.maxAbs, K);
  const lanes = laneBuffers(plan, node.attrs.reductionLanes, K, N);
  for (let i = 0; i < P; i++) {
    for (let j = 0; j < N; j++) acc[j] = initialAcc(plan, c ? c.data[j]! : 0);
    if (lanes) reduceInLanes(plan, cols.data, K, N, av, i * K, acc, mode, lanes);
    else accumulate(plan, cols.data, 0, K, N, av, i * K, acc, mode);
    store(plan, acc, N, out.data as Float32Array, i * N, 1);
  }
  return out;
}

function maxAbs(d: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < d.length; i++) {
    const v = Math.abs(d[i]!);
    if (v > m) m = v;
  }
  return m;
}

/** How a layer's fixed-point loops may run, decided once per call from the operands' largest magnitudes.
 *  - wrapOnce: with wrap, wrapping once after the last addition equals wrapping at every addition (arithmetic modulo
 *    2^W), provided the plain sum stays exact in float64: |acc_0| + K * max|q| < 2^53.
 *  - magic: every scaled product t has |t| <= 2^51, so (t + 1.5 * 2^52) - 1.5 * 2^52 is t rounded to an integer,
 *    half to even, exactly (the sum lies in [2^52, 2^53), where doubles are the integers). Why: the branchy
 *    floor-and-compare rounding mispredicts on random fractions and cost five times the multiply-add. */
interface MacMode {
  readonly wrapOnce: boolean;
  readonly magic: boolean;
}
const FLOAT_MODE: MacMode = { wrapOnce: false, magic: false };

function macMode(plan: Plan, xMax: number, wMax: number, K: number): MacMode {
  const r = plan.fixedAcc;
  if (!r) return FLOAT_MODE;
  const tMax = xMax * wMax * r.scale;
  return { wrapOnce: !r.saturate && r.modulus + K * (tMax + 1) < 2 ** 53, magic: tMax <= 2 ** 51 };
}

/** acc_0: the bias cast into the accumulator (a code for fixed, a value for float). */
function initialAcc(plan: Plan, bias: number): number {
  return plan.fixedAcc ? quantizeFixed(bias, plan.formats.accumulator as FixedFormat) : roundFloat(bias, plan.floatAcc!);
}

/** The partial sums of lanes 1..S-1 when a layer's S lanes change its result (S > 1, and not fixed with wrap), else
 *  undefined (the one-lane loops). */
function laneBuffers(plan: Plan, reductionLanes: number | undefined, K: number, P: number): { readonly S: number; readonly sums: Float64Array } | undefined {
  const S = reductionLanes ?? 1;
  if (S <= 1 || (plan.fixedAcc && !plan.fixedAcc.saturate)) return undefined;
  return { S, sums: new Float64Array(P) };
}

/** acc (holding acc_0) becomes the S-lane sum: lane 0 continues acc over [0, Kc), lane s sums [s*Kc, min(K, (s+1)*Kc))
 *  from 0, and each lane is added to acc in turn (fixed: exact sum then overflow; float: one rounding). */
function reduceInLanes(plan: Plan, col: Float64Array, K: number, P: number, w: Float64Array, wOff: number, acc: Float64Array, mode: MacMode, lanes: { readonly S: number; readonly sums: Float64Array }): void {
  const kc = Math.ceil(K / lanes.S), sums = lanes.sums;
  accumulate(plan, col, 0, Math.min(K, kc), P, w, wOff, acc, mode);
  // Every lane is added, also one with no terms (K = 4, S = 3 leaves lane 2 empty): its +0 turns a float -0 into +0.
  for (let s = 1; s < lanes.S; s++) {
    const k0 = Math.min(K, s * kc);
    sums.fill(0, 0, P); // fixed code 0; float +0
    accumulate(plan, col, k0, Math.min(K, k0 + kc), P, w, wOff, sums, mode);
    if (plan.fixedAcc) for (let p = 0; p < P; p++) acc[p] = overflowCode(acc[p]! + sums[p]!, plan.fixedAcc);
    else for (let p = 0; p < P; p++) acc[p] = roundFloat(acc[p]! + sums[p]!, plan.floatAcc!);
  }
}

/** acc[p] += the terms col[k * P + p] * w[wOff + k], k = k0..k1-1 in order, in the accumulator's arithmetic. */
function accumulate(plan: Plan, col: Float64Array, k0: number, k1: number, P: number, w: Float64Array, wOff: number, acc: Float64Array, mode: MacMode): void {
  if (plan.fixedAcc) fixedMac(plan.fixedAcc, col, k0, k1, P, w, wOff, acc, mode);
  else floatMac(plan.floatAcc!, col, k0, k1, P, w, wOff, acc);
}

function fixedMac(r: FixedCastPlan, col: Float64Array, k0: number, k1: number, P: number, w: Float64Array, wOff: number, acc: Float64Array, mode: MacMode): void {
  const { min, max, rounding, saturate } = r;
  const { wrapOnce, magic } = mode;
  for (let k = k0; k < k1; k++) {
    const ws = w[wOff + k]! * r.scale; // exact: a power-of-two scaling; q = round(ws * x), x * ws exact
    if (ws === 0) continue; // q = 0 changes nothing, in either overflow mode
    const row = k * P;
    if (wrapOnce) {
      if (rounding === 'truncate') for (let p = 0; p < P; p++) acc[p] = acc[p]! + Math.floor(ws * col[row + p]!);
      else if (magic && rounding === 'half-even') for (let p = 0; p < P; p++) acc[p] = acc[p]! + (ws * col[row + p]! + RNE - RNE);
      else if (magic)
        for (let p = 0; p < P; p++) {
          // half-up = half-even except at a tie that went down to the even neighbour
          const t = ws * col[row + p]!, n = t + RNE - RNE;
          acc[p] = acc[p]! + (n - t === -0.5 ? n + 1 : n);
        }
      else for (let p = 0; p < P; p++) acc[p] = acc[p]! + roundCode(ws * col[row + p]!, rounding);
    } else if (saturate) {
      if (rounding === 'truncate') for (let p = 0; p < P; p++) acc[p] = Math.min(max, Math.max(min, acc[p]! + Math.floor(ws * col[row + p]!)));
      else if (magic && rounding === 'half-even') for (let p = 0; p < P; p++) acc[p] = Math.min(max, Math.max(min, acc[p]! + (ws * col[row + p]! + RNE - RNE)));
      else for (let p = 0; p < P; p++) acc[p] = Math.min(max, Math.max(min, acc[p]! + roundCode(ws * col[row + p]!, rounding)));
    } else for (let p = 0; p < P; p++) acc[p] = overflowCode(acc[p]! + roundCode(ws * col[row + p]!, rounding), r);
  }
  if (wrapOnce) for (let p = 0; p < P; p++) acc[p] = overflowCode(acc[p]!, r);
}

function floatMac(r: FloatCastPlan, col: Float64Array, k0: number, k1: number, P: number, w: Float64Array, wOff: number, acc: Float64Array): void {
  for (let k = k0; k < k1; k++) {
    const wv = w[wOff + k]!;
    const row = k * P;
    for (let p = 0; p < P; p++) acc[p] = roundFloat(acc[p]! + roundFloat(wv * col[row + p]!, r), r);
  }
}

/** The output cast into the activation format: out[base + p * stride] = cast_O(acc[p]). */
function store(plan: Plan, acc: Float64Array, P: number, out: Float32Array, base: number, stride: number): void {
  const step = plan.fixedAcc ? plan.fixedAcc.step : 1; // fixed accumulators hold codes
  if (plan.fixedOut) for (let p = 0; p < P; p++) out[base + p * stride] = roundFixed(acc[p]! * step, plan.fixedOut);
  else for (let p = 0; p < P; p++) out[base + p * stride] = roundFloat(acc[p]! * step, plan.floatOut!);
}
