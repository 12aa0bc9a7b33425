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
import { convGeometry, im2col } from '../window.js';
import { wasmAvailable, wasmLayer, type ChannelRequant } from './wasm-mac.js';

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

/** Weights prepared once per weight tensor: row sums, and for the JavaScript loops (computed when first asked for:
 *  a VGG-19's 144 M weights would take 1.2 GB as these int32 copies) centred values (exact path) or table row
 *  offsets. The WebAssembly kernel reads the codes themselves. */
interface PreparedWeights {
  readonly rowSum: Float64Array;
  readonly centred: Int32Array;
  readonly rowOffset: Int32Array;
}
const preparedCache = new WeakMap<Tensor['data'], PreparedWeights>();
function prepare(w: Tensor['data'], M: number, K: number, attrs: QLinearAttrs): PreparedWeights {
  let p = preparedCache.get(w);
  if (!p) {
    const rowSum = new Float64Array(M);
    for (let m = 0; m < M; m++) {
      let sum = 0;
      for (let k = 0, at = m * K; k < K; k++) sum += w[at + k]!;
      rowSum[m] = sum;
    }
    let centred: Int32Array | undefined, rowOffset: Int32Array | undefined;
    p = {
      rowSum,
      get centred() {
        if (!centred) {
          centred = new Int32Array(M * K);
          for (let m = 0; m < M; m++) {
            const zw = attrs.wZeroPoint.length === 1 ? attrs.wZeroPoint[0]! : attrs.wZeroPoint[m]!;
            for (let k = 0; k < K; k++) centred[m * K + k] = w[m * K + k]! - zw;
          }
        }
        return centred;
      },
      get rowOffset() {
        if (!rowOffset) {
          rowOffset = new Int32Array(M * K);
          for (let i = 0; i < M * K; i++) rowOffset[i] = (w[i]! & 255) << 8;
        }
        return rowOffset;
      },
    };
    preparedCache.set(w, p);
  }
  return p;
}

/** Raw sums over k for outputs [mFirst, mFirst + mCount) x P from rows (rows[p * K + k] = activation code of
 *  position p, term k): sum P(a, w) with a table, or the zero-point-centred exact sum (which needs no correction).
 *  Also returns the per-position sums of activation codes that the table path's correction needs. */
function sumsJs(attrs: QLinearAttrs, pw: PreparedWeights, K: number, mFirst: number, mCount: number, rows: Int32Array, P: number, table: ProductTable): { sums: ArrayLike<number>; rowSums: ArrayLike<number> | undefined } {
  const za = attrs.aZeroPoint;
  const sums = new Float64Array(mCount * P);
  if (!table) {
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
    return { sums, rowSums: undefined };
  }
  const T = weightMajor(table), wo = pw.rowOffset;
  const rowSums = new Float64Array(P);
  for (let p = 0; p < P; p++) {
    let sa = 0;
    for (let k = 0; k < K; k++) sa += rows[p * K + k]!;
    rowSums[p] = sa;
    for (let mi = 0; mi < mCount; mi++) {
      const w0 = (mFirst + mi) * K;
      let s = 0;
      for (let k = 0; k < K; k++) s += T[wo[w0 + k]! + (rows[p * K + k]! & 255)]!;
      sums[mi * P + p] = s;
    }
  }
  return { sums, rowSums };
}

/** Adds the zero-point correction (table path), the bias, and requantizes into
 *  out[outBase + mi * outStrideM + p * outStrideP]. */
function finish(
  attrs: QLinearAttrs, pw: PreparedWeights, bias: Tensor['data'], K: number, mFirst: number, mCount: number, P: number,
  sums: ArrayLike<number>, rowSums: ArrayLike<number> | undefined, out: Tensor['data'], outBase: number, outStrideM: number, outStrideP: number,
): void {
  const za = attrs.aZeroPoint;
  for (let mi = 0; mi < mCount; mi++) {
    const m = mFirst + mi;
    const zw = attrs.wZeroPoint.length === 1 ? attrs.wZeroPoint[0]! : attrs.wZeroPoint[m]!;
    const r = { mantissa: attrs.mantissa[m]!, shift: attrs.shift[m]!, rounding: attrs.rounding, zeroPoint: attrs.outZeroPoint, lo: attrs.lo, hi: attrs.hi };
    const constant = bias[m]! + (rowSums ? K * za * zw - za * pw.rowSum[m]! : 0);
    for (let p = 0; p < P; p++) {
      const acc = sums[mi * P + p]! + constant - (rowSums ? zw * rowSums[p]! : 0);
      out[outBase + mi * outStrideM + p * outStrideP] = requantize(acc, r);
    }
  }
}

/** Exact 8x8 product tables (unsigned, signed): an exact layer with 8-bit codes runs through the same fast table
 *  kernel as an approximate one (identical results: the table holds a*w; tested). */
const exactTables: Record<'u' | 's', Int32Array | undefined> = { u: undefined, s: undefined };
function exactTableFor(x: Tensor, w: Tensor): ProductTable {
  const bytes = (t: Tensor) => t.dtype === 'uint8' || t.dtype === 'int8';
  if (!bytes(x) || !bytes(w) || x.dtype !== w.dtype) return undefined;
  const k = x.dtype === 'int8' ? 's' : 'u';
  let t = exactTables[k];
  if (!t) {
    t = new Int32Array(65536);
    for (let a = 0; a < 256; a++) for (let b = 0; b < 256; b++) t[a * 256 + b] = k === 's' ? ((a << 24) >> 24) * ((b << 24) >> 24) : a * b;
    exactTables[k] = t;
  }
  return wasmAvailable() ? t : undefined;
}

/** Weights per WebAssembly kernel call of a QGemm. */
const GEMM_CHUNK_WEIGHTS = 1 << 22;

/** The requantization records of channels [m0, m0 + M) for the WebAssembly kernel. */
function channelRecords(attrs: QLinearAttrs, pw: PreparedWeights, bias: Tensor['data'], K: number, m0: number, M: number): ChannelRequant[] {
  const za = attrs.aZeroPoint;
  return Array.from({ length: M }, (_, i) => {
    const m = m0 + i;
    const zw = attrs.wZeroPoint.length === 1 ? attrs.wZeroPoint[0]! : attrs.wZeroPoint[m]!;
    return { constant: bias[m]! + K * za * zw - za * pw.rowSum[m]!, zw, mantissa: attrs.mantissa[m]!, shift: attrs.shift[m]!, zeroPoint: attrs.outZeroPoint, lo: attrs.lo, hi: attrs.hi };
  });
}

/** The WebAssembly kernel applies to 8-bit codes with a 16-bit table and an int32-safe reduction length. */
function kernelFits(x: Tensor, table: ProductTable, K: number): table is Int32Array {
  return table !== undefined && K < 33000 && (x.dtype === 'uint8' || x.dtype === 'int8');
}

export function qconv(node: QConvNode, x: Tensor, w: Tensor, bias: Tensor, outShape: readonly number[], multiplierTable: ProductTable): Tensor {
  const table = multiplierTable ?? exactTableFor(x, w);
  const { win, g, N, C, M, cPerG, mPerG, inPlane, P, taps, K } = convGeometry(x.shape, w.shape, outShape, node.attrs);
  const pw = prepare(w.data, M, K, node.attrs);
  const out = makeTensor(node.attrs.outType, outShape);
  const za = node.attrs.aZeroPoint;
  // The kernel reads a copy of each image padded with the zero point on every side a window reaches past.
  const [ID, IH, IW] = win.in, [OD, OH, OW] = win.out, [KD, KH, KW] = win.k, [SD, SH, SW] = win.s, [DD, DH, DW] = win.d, [PD, PH, PW] = win.p;
  const padded = (i: number, o: number, k: number, s: number, d: number, p: number) => Math.max(p + i, (o - 1) * s + (k - 1) * d + 1);
  const [XD, XH, XW] = [padded(ID, OD, KD, SD, DD, PD), padded(IH, OH, KH, SH, DH, PH), padded(IW, OW, KW, SW, DW, PW)];
  const plane = XD * XH * XW;
  const layer = kernelFits(x, table, K) ? wasmLayer(C * plane, P, K, M, table, w.data, channelRecords(node.attrs, pw, bias.data, K, 0, M)) : undefined;
  if (layer) {
    const { act, org, koff } = layer;
    for (let oz = 0, p = 0; oz < OD; oz++) for (let oy = 0; oy < OH; oy++) for (let ox = 0; ox < OW; ox++, p++) org[p] = (oz * SD * XH + oy * SH) * XW + ox * SW;
    for (let ci = 0, k = 0; ci < cPerG; ci++)
      for (let kz = 0; kz < KD; kz++) for (let ky = 0; ky < KH; ky++) for (let kx = 0; kx < KW; kx++, k++) koff[k] = ci * plane + (kz * DD * XH + ky * DH) * XW + kx * DW;
    const unpadded = plane === inPlane && PD === 0 && PH === 0 && PW === 0;
    const halfEven = node.attrs.rounding === 'half-even', signedCodes = x.dtype === 'int8';
    for (let n = 0; n < N; n++) {
      if (unpadded) act.set(x.data.subarray(n * C * inPlane, (n + 1) * C * inPlane));
      else {
        act.fill(za & 255);
        for (let c = 0; c < C; c++)
          for (let z = 0; z < ID; z++)
            for (let y = 0; y < IH; y++) {
              const src = ((n * C + c) * ID + z) * IH * IW + y * IW;
              act.set(x.data.subarray(src, src + IW), c * plane + ((z + PD) * XH + y + PH) * XW + PW);
            }
      }
      for (let grp = 0; grp < g; grp++) {
        const outBase = (n * M + grp * mPerG) * P;
        if (!layer.run(grp * cPerG * plane, grp * mPerG, mPerG, signedCodes, halfEven, out.data, outBase, P, 1))
          finish(node.attrs, pw, bias.data, K, grp * mPerG, mPerG, P, layer.sums, layer.rowSums, out.data, outBase, P, 1);
      }
    }
    return out;
  }
  const rows = new Int32Array(K * P);
  for (let n = 0; n < N; n++)
    for (let grp = 0; grp < g; grp++) {
      const xBase = (n * C + grp * cPerG) * inPlane;
      const outBase = (n * M + grp * mPerG) * P;
      for (let ci = 0; ci < cPerG; ci++) im2col(x.data, xBase + ci * inPlane, win, rows, ci * taps, za, 1, K);
      const { sums, rowSums } = sumsJs(node.attrs, pw, K, grp * mPerG, mPerG, rows, P, table);
      finish(node.attrs, pw, bias.data, K, grp * mPerG, mPerG, P, sums, rowSums, out.data, outBase, P, 1);
    }
  return out;
}

/** QGemm: x [B, K] codes (each batch row is already a contiguous row), w [N, K]. */
export function qgemm(node: QGemmNode, x: Tensor, w: Tensor, bias: Tensor, outShape: readonly number[], multiplierTable: ProductTable): Tensor {
  const table = multiplierTable ?? exactTableFor(x, w);
  const [B, K] = [x.shape[0]!, x.shape[1]!];
  const N = w.shape[0]!;
  const out = makeTensor(node.attrs.outType, outShape);
  const pw = prepare(w.data, N, K, node.attrs);
  if (kernelFits(x, table, K)) {
    // Channels in chunks: the kernel's memory holds a 4-byte table address per weight (a VGG-19's first dense layer
    // has 103 M weights).
    const chunk = Math.max(1, Math.min(N, Math.floor(GEMM_CHUNK_WEIGHTS / K)));
    for (let j0 = 0; j0 < N; j0 += chunk) {
      const n = Math.min(chunk, N - j0);
      const layer = wasmLayer(B * K, B, K, n, table, w.data.subarray(j0 * K, (j0 + n) * K), channelRecords(node.attrs, pw, bias.data, K, j0, n));
      if (!layer) break;
      layer.act.set(x.data.subarray(0, B * K));
      for (let b = 0; b < B; b++) layer.org[b] = b * K;
      for (let k = 0; k < K; k++) layer.koff[k] = k;
      // The kernel writes its span of outputs whole (rows of n channels here), then each row goes to its place.
      const part = n === N ? out : makeTensor(node.attrs.outType, [B, n]);
      if (!layer.run(0, 0, n, x.dtype === 'int8', node.attrs.rounding === 'half-even', part.data, 0, 1, n))
        finish(node.attrs, pw, bias.data, K, j0, n, B, layer.sums, layer.rowSums, part.data, 0, 1, n);
      if (part !== out) for (let b = 0; b < B; b++) out.data.set(part.data.subarray(b * n, (b + 1) * n), b * N + j0);
      if (j0 + n === N) return out;
    }
  }
  const result = sumsJs(node.attrs, pw, K, 0, N, x.data instanceof Int32Array ? x.data : Int32Array.from(x.data), B, table);
  finish(node.attrs, pw, bias.data, K, 0, N, B, result.sums, result.rowSums, out.data, 0, 1, N);
  return out;
}
