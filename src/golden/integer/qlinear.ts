/** Integer Conv and Gemm (QConv, QGemm): the multiply-accumulate loop nest with a pluggable 8x8 multiplier.
 *  Why this shape: it is the inner loop of every design-space exploration, so it is built for speed.
 *  - im2col: per image and group, each output position's receptive field is copied once into a contiguous row of
 *    K codes (padding = the activation zero point), so every output is a dot product of two contiguous rows.
 *  - Dot products run over k in the innermost loop with the sums in local variables (registers), four output
 *    channels at a time so each activation code is loaded once for four products; nothing is stored per MAC.
 *  - Exact multiplication uses zero-point-centred operands, so no correction is needed.
 *  - A table multiplier works on the raw codes, as the hardware multiplier does: weights are pre-shifted into row
 *    offsets of a weight-major copy of the table (row w holds P(a, w) for all a), so one product is one load at
 *    rowOffset[k] + a[k]. The zero-point terms are added exactly after the sum:
 *    acc = sum P(a, w) - zw * sum a - za * sum w + K * za * zw.
 *  Sums of table products stay in int32 (K * 65,025 < 2^31 for K < 33,000; larger layers use the float64 path). */
import { requantize } from '../../ir/arith.js';
import type { QConvNode, QGemmNode, QLinearAttrs, Tensor } from '../../ir/types.js';
import { makeTensor } from '../../ir/types.js';
import { im2col, window3 } from '../window.js';

/** The products of a multiplier: `table[(a & 255) * 256 + (w & 255)]`; undefined = exact. */
export type ProductTable = Int32Array | undefined;

const weightMajorCache = new WeakMap<Int32Array, Int32Array>();
function weightMajor(table: Int32Array): Int32Array {
  let t = weightMajorCache.get(table);
  if (!t) {
    t = new Int32Array(65536);
    for (let a = 0; a < 256; a++) for (let w = 0; w < 256; w++) t[w * 256 + a] = table[a * 256 + w]!;
    weightMajorCache.set(table, t);
  }
  return t;
}

/** Weights prepared once per weight tensor: centred values (exact path) or table row offsets, and row sums. */
interface PreparedWeights {
  readonly centred: Int32Array;
  readonly rowOffset: Int32Array;
  readonly rowSum: Float64Array;
}
const preparedCache = new WeakMap<Tensor['data'], PreparedWeights>();
function prepare(w: Tensor['data'], M: number, K: number, attrs: QLinearAttrs): PreparedWeights {
  let p = preparedCache.get(w);
  if (!p) {
    const centred = new Int32Array(M * K), rowOffset = new Int32Array(M * K), rowSum = new Float64Array(M);
    for (let m = 0; m < M; m++) {
      const zw = attrs.wZeroPoint.length === 1 ? attrs.wZeroPoint[0]! : attrs.wZeroPoint[m]!;
      for (let k = 0; k < K; k++) {
        const v = w[m * K + k]!;
        centred[m * K + k] = v - zw;
        rowOffset[m * K + k] = (v & 255) << 8;
        rowSum[m] = rowSum[m]! + v;
      }
    }
    p = { centred, rowOffset, rowSum };
    preparedCache.set(w, p);
  }
  return p;
}

/** Outputs [mFirst, mFirst + mCount) x P from rows: rows[p * K + k] = activation code of position p, term k.
 *  out[outBase + (m - mFirst) * outStrideM + p * outStrideP]. */
function macRows(
  attrs: QLinearAttrs, pw: PreparedWeights, bias: Tensor['data'], K: number, mFirst: number, mCount: number,
  rows: Int32Array, P: number, table: ProductTable, out: Tensor['data'], outBase: number, outStrideM: number, outStrideP: number,
): void {
  const za = attrs.aZeroPoint;
  const sums = new Float64Array(mCount * P);
  if (table && K < 33000) {
    const T = weightMajor(table), wo = pw.rowOffset;
    const rowSum = new Float64Array(P);
    for (let p = 0; p < P; p++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += rows[p * K + k]!;
      rowSum[p] = s;
    }
    for (let p = 0; p < P; p++) {
      const base = p * K;
      let mi = 0;
      for (; mi + 4 <= mCount; mi += 4) {
        const w0 = (mFirst + mi) * K, w1 = w0 + K, w2 = w1 + K, w3 = w2 + K;
        let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (let k = 0; k < K; k++) {
          const a = rows[base + k]! & 255;
          s0 = (s0 + T[wo[w0 + k]! + a]!) | 0;
          s1 = (s1 + T[wo[w1 + k]! + a]!) | 0;
          s2 = (s2 + T[wo[w2 + k]! + a]!) | 0;
          s3 = (s3 + T[wo[w3 + k]! + a]!) | 0;
        }
        sums[mi * P + p] = s0;
        sums[(mi + 1) * P + p] = s1;
        sums[(mi + 2) * P + p] = s2;
        sums[(mi + 3) * P + p] = s3;
      }
      for (; mi < mCount; mi++) {
        const w0 = (mFirst + mi) * K;
        let s0 = 0;
        for (let k = 0; k < K; k++) s0 = (s0 + T[wo[w0 + k]! + (rows[base + k]! & 255)]!) | 0;
        sums[mi * P + p] = s0;
      }
    }
    for (let mi = 0; mi < mCount; mi++) {
      const m = mFirst + mi;
      const zw = attrs.wZeroPoint.length === 1 ? attrs.wZeroPoint[0]! : attrs.wZeroPoint[m]!;
      const constant = K * za * zw - za * pw.rowSum[m]!;
      for (let p = 0; p < P; p++) sums[mi * P + p] = sums[mi * P + p]! - zw * rowSum[p]! + constant;
    }
  } else if (table) {
    const T = weightMajor(table), wo = pw.rowOffset;
    for (let mi = 0; mi < mCount; mi++) {
      const m = mFirst + mi, w0 = m * K;
      const zw = attrs.wZeroPoint.length === 1 ? attrs.wZeroPoint[0]! : attrs.wZeroPoint[m]!;
      for (let p = 0; p < P; p++) {
        let s = 0, sa = 0;
        for (let k = 0; k < K; k++) {
          const a = rows[p * K + k]!;
          s += T[wo[w0 + k]! + (a & 255)]!;
          sa += a;
        }
        sums[mi * P + p] = s - zw * sa - za * pw.rowSum[m]! + K * za * zw;
      }
    }
  } else {
    const wc = pw.centred;
    for (let p = 0; p < P; p++) {
      const base = p * K;
      let mi = 0;
      for (; mi + 4 <= mCount; mi += 4) {
        const w0 = (mFirst + mi) * K, w1 = w0 + K, w2 = w1 + K, w3 = w2 + K;
        let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (let k = 0; k < K; k++) {
          const a = rows[base + k]! - za;
          s0 += wc[w0 + k]! * a;
          s1 += wc[w1 + k]! * a;
          s2 += wc[w2 + k]! * a;
          s3 += wc[w3 + k]! * a;
        }
        sums[mi * P + p] = s0;
        sums[(mi + 1) * P + p] = s1;
        sums[(mi + 2) * P + p] = s2;
        sums[(mi + 3) * P + p] = s3;
      }
      for (; mi < mCount; mi++) {
        const w0 = (mFirst + mi) * K;
        let s0 = 0;
        for (let k = 0; k < K; k++) s0 += wc[w0 + k]! * (rows[base + k]! - za);
        sums[mi * P + p] = s0;
      }
    }
  }
  for (let mi = 0; mi < mCount; mi++) {
    const m = mFirst + mi;
    const r = { mantissa: attrs.mantissa[m]!, shift: attrs.shift[m]!, rounding: attrs.rounding, zeroPoint: attrs.outZeroPoint, lo: attrs.lo, hi: attrs.hi };
    const b = bias[m]!;
    for (let p = 0; p < P; p++) out[outBase + mi * outStrideM + p * outStrideP] = requantize(sums[mi * P + p]! + b, r);
  }
}

export function qconv(node: QConvNode, x: Tensor, w: Tensor, bias: Tensor, outShape: readonly number[], table: ProductTable): Tensor {
  const g = node.attrs.group;
  const win = window3(x.shape, outShape, node.attrs);
  const [N, C, M] = [x.shape[0]!, x.shape[1]!, w.shape[0]!];
  const cPerG = C / g, mPerG = M / g;
  const inPlane = win.in[0] * win.in[1] * win.in[2];
  const P = win.out[0] * win.out[1] * win.out[2];
  const taps = win.k[0] * win.k[1] * win.k[2];
  const K = cPerG * taps;
  const col = new Int32Array(K * P), rows = new Int32Array(K * P);
  const pw = prepare(w.data, M, K, node.attrs);
  const out = makeTensor(node.attrs.outType, outShape);
  for (let n = 0; n < N; n++)
    for (let grp = 0; grp < g; grp++) {
      const xBase = (n * C + grp * cPerG) * inPlane;
      for (let ci = 0; ci < cPerG; ci++) im2col(x.data, xBase + ci * inPlane, win, col, ci * taps * P, node.attrs.aZeroPoint);
      for (let k = 0; k < K; k++) for (let p = 0; p < P; p++) rows[p * K + k] = col[k * P + p]!;
      macRows(node.attrs, pw, bias.data, K, grp * mPerG, mPerG, rows, P, table, out.data, (n * M + grp * mPerG) * P, P, 1);
    }
  return out;
}

/** QGemm: x [B, K] codes (each batch row is already a contiguous row), w [N, K]. */
export function qgemm(node: QGemmNode, x: Tensor, w: Tensor, bias: Tensor, outShape: readonly number[], table: ProductTable): Tensor {
  const [B, K] = [x.shape[0]!, x.shape[1]!];
  const N = w.shape[0]!;
  const out = makeTensor(node.attrs.outType, outShape);
  const rows = x.data instanceof Int32Array ? x.data : Int32Array.from(x.data);
  macRows(node.attrs, prepare(w.data, N, K, node.attrs), bias.data, K, 0, N, rows, B, table, out.data, 0, 1, N);
  return out;
}
