/** Float Gemm and MatMul kernels. Gemm runs on the WebAssembly dot-product kernel when it is built (rows of op(A)
 *  against rows of op(B) transposed); otherwise, and for MatMul, loop order i-k-j: one A element scales a contiguous
 *  row of B into a float64 accumulator row, so the inner loop streams memory. Results are rounded to float32 once. */
import type { GemmNode, Tensor } from '../ir/types.js';
import { makeTensor, sizeOf } from '../ir/types.js';
import { broadcastIndex } from './broadcast.js';
import { wasmDotF64 } from './integer/wasm-mac.js';

/** Weights per call of the dot-product kernel (4 M: 32 MB of float64). */
const GEMM_CHUNK_WEIGHTS = 1 << 22;

export function gemm(node: GemmNode, a: Tensor, b: Tensor, c: Tensor | undefined, outShape: readonly number[]): Tensor {
  const { alpha, beta, transA, transB } = node.attrs;
  const [M, N] = [outShape[0]!, outShape[1]!];
  const K = transA ? a.shape[0]! : a.shape[1]!;
  const ad = a.data, bd = b.data;
  const out = makeTensor('float32', outShape);
  const cIndex = c ? broadcastIndex(c.shape, outShape) : undefined;
  const cAt = (i: number, j: number) => (c && cIndex ? beta * c.data[cIndex[i * N + j]!]! : 0);
  // Weights in chunks of channels: a VGG-19's first dense layer holds 103 M weights, 822 MB as the kernel's float64.
  const chunk = Math.max(1, Math.min(N, Math.floor(GEMM_CHUNK_WEIGHTS / K)));
  const fast = wasmDotF64(K, M, chunk);
  if (fast) {
    // Rows of op(A) as positions, rows of op(B)^T as channels: sums[j * M + i] = (op(A) op(B))[i, j].
    for (let i = 0; i < M; i++) for (let k = 0; k < K; k++) fast.rows[i * K + k] = ad[transA ? k * M + i : i * K + k]!;
    for (let j0 = 0; j0 < N; j0 += chunk) {
      const n = Math.min(chunk, N - j0);
      if (transB) fast.weights.set(bd.subarray(j0 * K, (j0 + n) * K));
      else for (let j = 0; j < n; j++) for (let k = 0; k < K; k++) fast.weights[j * K + k] = bd[k * N + j0 + j]!;
      const sums = fast.run(n);
      for (let i = 0; i < M; i++) for (let j = 0; j < n; j++) out.data[i * N + j0 + j] = alpha * sums[j * M + i]! + cAt(i, j0 + j);
    }
    return out;
  }
  const row = new Float64Array(N);
  for (let i = 0; i < M; i++) {
    row.fill(0);
    for (let k = 0; k < K; k++) {
      const av = ad[transA ? k * M + i : i * K + k]!;
      if (transB) for (let j = 0; j < N; j++) row[j] = row[j]! + av * bd[j * K + k]!;
      else {
        const base = k * N;
        for (let j = 0; j < N; j++) row[j] = row[j]! + av * bd[base + j]!;
      }
    }
    for (let j = 0; j < N; j++) out.data[i * N + j] = alpha * row[j]! + cAt(i, j);
  }
  return out;
}

/** NumPy matmul: 1-D operands promoted and their unit dimension removed; batch dimensions broadcast. */
export function matmul(a: Tensor, b: Tensor, outShape: readonly number[]): Tensor {
  const a2 = a.shape.length === 1 ? [1, a.shape[0]!] : a.shape;
  const b2 = b.shape.length === 1 ? [b.shape[0]!, 1] : b.shape;
  const M = a2[a2.length - 2]!, K = a2[a2.length - 1]!, N = b2[b2.length - 1]!;
  const batchShape = outShape.slice(0, outShape.length - (a.shape.length > 1 ? 1 : 0) - (b.shape.length > 1 ? 1 : 0));
  const batches = sizeOf(batchShape);
  const aBatch = broadcastIndex(a2.slice(0, -2), batchShape), bBatch = broadcastIndex(b2.slice(0, -2), batchShape);
  const out = makeTensor('float32', outShape);
  const row = new Float64Array(N);
  for (let t = 0; t < batches; t++) {
    const aOff = aBatch[t]! * M * K, bOff = bBatch[t]! * K * N, oOff = t * M * N;
    for (let i = 0; i < M; i++) {
      row.fill(0);
      for (let k = 0; k < K; k++) {
        const av = a.data[aOff + i * K + k]!;
        const base = bOff + k * N;
        for (let j = 0; j < N; j++) row[j] = row[j]! + av * b.data[base + j]!;
      }
      for (let j = 0; j < N; j++) out.data[oOff + i * N + j] = row[j]!;
    }
  }
  return out;
}
