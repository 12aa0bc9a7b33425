/** ONNX Runtime as the test oracle: runs a model file on named float inputs and returns the outputs by name. */
import ort from 'onnxruntime-node';
import type { Tensor } from '../../src/ir/types.js';

export const TOL = { rtol: 1e-4, atol: 1e-5 } as const;

export async function runOrt(modelBytesOrPath: Uint8Array | string, feeds: ReadonlyMap<string, Tensor>): Promise<Map<string, Float32Array>> {
  // Graph optimizations off: ORT then computes the model as written. With them on, it fuses QDQ pairs into integer
  // kernels (QLinearConv, QGemm) whose rounding differs from the model's float semantics.
  const options: ort.InferenceSession.SessionOptions = { graphOptimizationLevel: 'disabled' };
  const session =
    typeof modelBytesOrPath === 'string'
      ? await ort.InferenceSession.create(modelBytesOrPath, options)
      : await ort.InferenceSession.create(modelBytesOrPath, options);
  const ortFeeds: Record<string, ort.Tensor> = {};
  for (const [name, t] of feeds) ortFeeds[name] = new ort.Tensor('float32', Float32Array.from(t.data), [...t.shape]);
  const result = await session.run(ortFeeds);
  const out = new Map<string, Float32Array>();
  for (const name of session.outputNames) out.set(name, Float32Array.from(result[name]!.data as Float32Array));
  return out;
}

/** Largest violation of |a - b| <= atol + rtol*|b|, as a readable string, or undefined when all elements fit. */
export function closeTo(got: ArrayLike<number>, want: ArrayLike<number>, tol: { rtol: number; atol: number } = TOL): string | undefined {
  if (got.length !== want.length) return `length ${got.length} != ${want.length}`;
  let worst = 0, at = -1;
  for (let i = 0; i < want.length; i++) {
    const excess = Math.abs(got[i]! - want[i]!) - (tol.atol + tol.rtol * Math.abs(want[i]!));
    if (excess > worst || Number.isNaN(excess)) {
      worst = Number.isNaN(excess) ? Infinity : excess;
      at = i;
    }
  }
  return at < 0 ? undefined : `element ${at}: got ${got[at]}, want ${want[at]}`;
}
