/** Integer Conv and Gemm (QConv, QGemm): the multiply-accumulate loop nest with a pluggable 8x8 multiplier.
 *  Why this shape: per image and group, activation codes are copied once into a column matrix (im2col, padding =
 *  the activation zero point); then for each output channel and each reduction term k, one weight is applied along
 *  a long contiguous row of columns. Exact multiplication uses zero-point-centred operands, so no correction is
 *  needed; a table multiplier works on the raw codes (it models the hardware multiplier, which sees raw codes) with a
 *  weight-stationary table row (the table transposed so that row w holds P(a, w) for every a), and the zero-point
 *  correction terms are added exactly afterwards. Sums are exact in float64 (|acc| < 2^53). */
import type { QConvNode, QGemmNode, Tensor } from '../../ir/types.js';
import { makeTensor } from '../../ir/types.js';
import { requantize } from '../../ir/arith.js';
import { im2col, window3 } from '../window.js';

/** The products of a multiplier: `table[(a & 255) * 256 + (w & 255)]`; undefined = exact. */
export type ProductTable = Int32Array | undefined;

const transposed = new WeakMap<Int32Array, Int32Array>();
/** Weight-major copy of a product table: row (w & 255) holds P(a, w) at column (a & 255). */
function weightMajor(table: Int32Array): Int32Array {
  let t = transposed.get(table);
  if (!t) {
    t = new Int32Array(65536);
    for (let a = 0; a < 256; a++) for (let w = 0; w < 256; w++) t[w * 256 + a] = table[a * 256 + w]!;
    transposed.set(table, t);
  }
  return t;
}

interface Layer {
  readonly M: number;
  readonly K: number;
  readonly w: Tensor['data'];
  readonly bias: Tensor['data'];
  readonly attrs: QConvNode['attrs'] | QGemmNode['attrs'];
}

/** Accumulates the M x P outputs of one column matrix (K x P, raw codes) and requantizes them into `out` at
 *  out[(mBase + m) * P + p]. */
function macColumns(layer: Layer, mFirst: number, mCount: number, col: Int32Array, P: number, table: ProductTable, out: Tensor['data'], outBase: number): void {
  const { K, w, bias, attrs } = layer;
  const za = attrs.aZeroPoint;
  const acc = new Float64Array(P);
  let colSum: Float64Array | undefined;
  const T = table ? weightMajor(table) : undefined;
  if (T) {
    colSum = new Float64Array(P);
    for (let k = 0; k < K; k++) for (let p = 0; p < P; p++) colSum[p] = colSum[p]! + col[k * P + p]!;
  }
  for (let mi = 0; mi < mCount; mi++) {
    const m = mFirst + mi;
    const zw = attrs.wZeroPoint.length === 1 ? attrs.wZeroPoint[0]! : attrs.wZeroPoint[m]!;
    const wBase = m * K;
    acc.fill(bias[m]!);
    if (T && colSum) {
      let wSum = 0;
      for (let k = 0; k < K; k++) {
        const wv = w[wBase + k]!;
        wSum += wv;
        const row = (wv & 255) << 8, c = k * P;
        for (let p = 0; p < P; p++) acc[p] = acc[p]! + T[row + (col[c + p]! & 255)]!;
      }
      const constant = K * za * zw - za * wSum;
      for (let p = 0; p < P; p++) acc[p] = acc[p]! - zw * colSum[p]! + constant;
    } else {
      for (let k = 0; k < K; k++) {
        const wc = w[wBase + k]! - zw, c = k * P;
        if (wc === 0) continue;
        for (let p = 0; p < P; p++) acc[p] = acc[p]! + wc * (col[c + p]! - za);
      }
    }
    const r = { mantissa: attrs.mantissa[m]!, shift: attrs.shift[m]!, rounding: attrs.rounding, zeroPoint: attrs.outZeroPoint, lo: attrs.lo, hi: attrs.hi };
    const o = outBase + mi * P;
    for (let p = 0; p < P; p++) out[o + p] = requantize(acc[p]!, r);
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
  const col = new Int32Array(K * P);
  const out = makeTensor(node.attrs.outType, outShape);
  const layer: Layer = { M, K, w: w.data, bias: bias.data, attrs: node.attrs };
  for (let n = 0; n < N; n++)
    for (let grp = 0; grp < g; grp++) {
      const xBase = (n * C + grp * cPerG) * inPlane;
      for (let ci = 0; ci < cPerG; ci++) im2col(x.data, xBase + ci * inPlane, win, col, ci * taps * P, node.attrs.aZeroPoint);
      macColumns(layer, grp * mPerG, mPerG, col, P, table, out.data, (n * M + grp * mPerG) * P);
    }
  return out;
}

/** QGemm: x [B, K] codes, w [N, K]: each batch row is a one-column matrix. */
export function qgemm(node: QGemmNode, x: Tensor, w: Tensor, bias: Tensor, outShape: readonly number[], table: ProductTable): Tensor {
  const [B, K] = [x.shape[0]!, x.shape[1]!];
  const N = w.shape[0]!;
  const out = makeTensor(node.attrs.outType, outShape);
  const layer: Layer = { M: N, K, w: w.data, bias: bias.data, attrs: node.attrs };
  // Rows of x as columns: col[k * B + b] = x[b, k], so all B rows share each weight.
  const col = new Int32Array(K * B);
  for (let b = 0; b < B; b++) for (let k = 0; k < K; k++) col[k * B + b] = x.data[b * K + k]!;
  const tmp = makeTensor(node.attrs.outType, [N, B]);
  macColumns(layer, 0, N, col, B, table, tmp.data, 0);
  for (let n = 0; n < N; n++) for (let b = 0; b < B; b++) out.data[b * N + n] = tmp.data[n * B + b]!;
  return out;
}
