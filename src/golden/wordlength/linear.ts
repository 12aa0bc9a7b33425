/** Bit-true Conv and Gemm of word-length-tuned layers (ir/arithmetic.md section 6): fixed point with the
 *  accumulator's rounding at every product and its overflow at every addition, or custom float with one rounding
 *  per product and per addition. Tensors hold float32 values exactly in their formats, so a product of an activation
 *  and a weight is exact in float64 (at most 48 significant bits) and scaling by powers of two is exact: the kernels
 *  work on real values and integer codes in doubles, never on a float32 shortcut.
 *  Shape: both layers become columns (K rows of P positions; im2col for Conv, op(A) transposed for Gemm) and one
 *  float64 weight row per output channel; each output channel accumulates over k = 0..K-1 for all P positions at
 *  once, so each output's additions run in the specified order while the inner loop streams memory. The loops are
 *  top-level functions over one object shape per number system, so V8 keeps them monomorphic. */
import type { ConvNode, GemmNode, LayerFormats, Tensor } from '../../ir/types.js';
import { makeTensor } from '../../ir/types.js';
import { quantizeFixed, type FixedFormat } from '../../ir/numformats.js';
import { convGeometry, im2col } from '../window.js';
import { checkFormat } from './cast.js';
import { fixedCastPlan, floatCastPlan, overflowCode, roundCode, roundFixed, roundFloat, type FixedCastPlan, type FloatCastPlan } from './round.js';

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

/** Weight rows as float64 (one row of K per output channel), cached per weight tensor. */
const rowsCache = new WeakMap<Tensor, Float64Array>();
function weightRows(w: Tensor, transposeTo?: { K: number; N: number }): Float64Array {
  let r = rowsCache.get(w);
  if (!r) {
    if (transposeTo) {
      const { K, N } = transposeTo;
      r = new Float64Array(K * N);
      for (let j = 0; j < N; j++) for (let k = 0; k < K; k++) r[j * K + k] = w.data[k * N + j]!;
    } else r = Float64Array.from(w.data);
    rowsCache.set(w, r);
  }
  return r;
}

export function tunedConv(node: ConvNode, formats: LayerFormats, x: Tensor, w: Tensor, b: Tensor | undefined, outShape: readonly number[]): Tensor {
  const { win, g, N, C, M, cPerG, mPerG, inPlane, P, taps, K } = convGeometry(x.shape, w.shape, outShape, node.attrs);
  const out = makeTensor('float32', outShape);
  const plan = planOf(formats, node.name), rows = weightRows(w);
  const col = new Float64Array(K * P), acc = new Float64Array(P);
  const wrapOnce = canWrapOnce(plan, maxAbs(x.data), maxAbs(rows), K);
  for (let n = 0; n < N; n++)
    for (let grp = 0; grp < g; grp++) {
      const xBase = (n * C + grp * cPerG) * inPlane;
      for (let ci = 0; ci < cPerG; ci++) im2col(x.data, xBase + ci * inPlane, win, col, ci * taps * P, 0, P, 1);
      for (let mi = 0; mi < mPerG; mi++) {
        const m = grp * mPerG + mi;
        accumulate(plan, col, K, P, rows, m * K, b ? b.data[m]! : 0, acc, wrapOnce);
        store(plan, acc, P, out.data as Float32Array, (n * M + m) * P, 1);
      }
    }
  return out;
}

export function tunedGemm(node: GemmNode, formats: LayerFormats, a: Tensor, b: Tensor, c: Tensor | undefined, outShape: readonly number[]): Tensor {
  const [P, N] = [outShape[0]!, outShape[1]!];
  const K = a.shape[1]!;
  const out = makeTensor('float32', outShape);
  const plan = planOf(formats, node.name), rows = weightRows(b, node.attrs.transB ? undefined : { K, N });
  const col = new Float64Array(K * P), acc = new Float64Array(P);
  for (let i = 0; i < P; i++) for (let k = 0; k < K; k++) col[k * P + i] = a.data[i * K + k]!;
  const wrapOnce = canWrapOnce(plan, maxAbs(a.data), maxAbs(rows), K);
  for (let j = 0; j < N; j++) {
    accumulate(plan, col, K, P, rows, j * K, c ? c.data[j]! : 0, acc, wrapOnce);
    store(plan, acc, P, out.data as Float32Array, j, N);
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

/** With wrap, wrapping once after the last addition equals wrapping at every addition (arithmetic modulo 2^W),
 *  provided the plain sum stays exact in float64: |acc_0| + K * max|q| < 2^53. */
function canWrapOnce(plan: Plan, xMax: number, wMax: number, K: number): boolean {
  const r = plan.fixedAcc;
  return r !== undefined && !r.saturate && r.modulus + K * (xMax * wMax * r.scale + 1) < 2 ** 53;
}

/** acc[p] = the accumulator of output p after the bias and K products (codes for fixed, values for float). */
function accumulate(plan: Plan, col: Float64Array, K: number, P: number, w: Float64Array, wOff: number, bias: number, acc: Float64Array, wrapOnce: boolean): void {
  if (plan.fixedAcc) {
    acc.fill(quantizeFixed(bias, plan.formats.accumulator as FixedFormat), 0, P);
    fixedMac(plan.fixedAcc, col, K, P, w, wOff, acc, wrapOnce);
  } else {
    const r = plan.floatAcc!;
    acc.fill(roundFloat(bias, r), 0, P);
    floatMac(r, col, K, P, w, wOff, acc);
  }
}

function fixedMac(r: FixedCastPlan, col: Float64Array, K: number, P: number, w: Float64Array, wOff: number, acc: Float64Array, wrapOnce: boolean): void {
  const { min, max, rounding, saturate } = r;
  for (let k = 0; k < K; k++) {
    const ws = w[wOff + k]! * r.scale; // exact: a power-of-two scaling; q = round(ws * x), x * ws exact
    if (ws === 0) continue; // q = 0 changes nothing, in either overflow mode
    const row = k * P;
    if (rounding === 'truncate' && wrapOnce) for (let p = 0; p < P; p++) acc[p] = acc[p]! + Math.floor(ws * col[row + p]!);
    else if (rounding === 'truncate' && saturate) for (let p = 0; p < P; p++) acc[p] = Math.min(max, Math.max(min, acc[p]! + Math.floor(ws * col[row + p]!)));
    else if (wrapOnce) for (let p = 0; p < P; p++) acc[p] = acc[p]! + roundCode(ws * col[row + p]!, rounding);
    else for (let p = 0; p < P; p++) acc[p] = overflowCode(acc[p]! + roundCode(ws * col[row + p]!, rounding), r);
  }
  if (wrapOnce) for (let p = 0; p < P; p++) acc[p] = overflowCode(acc[p]!, r);
}

function floatMac(r: FloatCastPlan, col: Float64Array, K: number, P: number, w: Float64Array, wOff: number, acc: Float64Array): void {
  for (let k = 0; k < K; k++) {
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
