/** Quantization of the multiply-accumulate layers: Conv (and per-channel affine as a depthwise 1x1 Conv), Gemm and
 *  MatMul with constant weights become QConv / QGemm with per-channel weight codes, int32 biases and per-channel
 *  requantization (ir/arithmetic.md). */
import {
  accumulatorWidths, chooseQuantParams, makeRequant, quantize, quantizeBias, signedBits,
  type AffineQuant, type FusedActivation, type RoundingMode,
} from '../ir/arith.js';
import { userError } from '../errors.js';
import type { CodeQuant, QLinearAttrs, Tensor } from '../ir/types.js';
import { codeDType, makeTensor, sizeOf } from '../ir/types.js';
import type { LayerQuantConfig } from './quantize-config.js';
import { weightRange } from './range-methods.js';

export interface QuantizedWeights {
  readonly codes: Tensor;
  readonly bias: Tensor;
  readonly attrs: QLinearAttrs;
}

/** Per-output-channel weight quantization of w ([M, ...]: row m = channel m), bias b ([M] or absent), for inputs of
 *  quantization `a` and outputs of `out`; `given` are a QDQ model's own weight parameters (used as they are). */
export function quantizeWeights(
  w: Tensor, b: Tensor | undefined, a: CodeQuant, out: CodeQuant, act: FusedActivation, cfg: LayerQuantConfig,
  rounding: RoundingMode, given?: readonly CodeQuant[], layer = 'layer',
): QuantizedWeights {
  const M = w.shape[0]!, K = sizeOf(w.shape) / M;
  const rows = Array.from({ length: M }, (_, m) => w.data.subarray(m * K, (m + 1) * K));
  let params: AffineQuant[];
  if (given) params = given.length === 1 ? Array<AffineQuant>(M).fill(given[0]!) : [...given];
  else if (cfg.perChannel) params = rows.map((r) => rangeParams(r, cfg));
  else params = Array<AffineQuant>(M).fill(rangeParams(w.data, cfg));
  const codes = makeTensor(codeDType({ bits: params[0]!.bits, scheme: params[0]!.scheme }), w.shape);
  rows.forEach((r, m) => {
    for (let k = 0; k < K; k++) codes.data[m * K + k] = quantize(r[k]!, params[m]!);
  });
  const bias = makeTensor('int32', [M]);
  for (let m = 0; m < M; m++) bias.data[m] = b ? quantizeBias(b.data[m]!, a.scale, params[m]!.scale) : 0;
  const requants = params.map((p) => makeRequant(a.scale, p.scale, out, act, rounding));
  let biasMin = 0, biasMax = 0;
  for (const v of bias.data) [biasMin, biasMax] = [Math.min(biasMin, v), Math.max(biasMax, v)];
  const biasBits = signedBits(biasMin, biasMax);
  const accBits = Math.max(...params.map((p) => accumulatorWidths(a, p, K, biasBits).acc));
  if (accBits > 32)
    throw userError('E_QUANT', `layer '${layer}': its accumulator needs ${accBits} bits (${K} products of ${a.bits}-bit by ${params[0]!.bits}-bit codes), more than the int32 register; use fewer bits for this layer (--config layers)`);
  const perTensorZero = params.every((p) => p.zeroPoint === params[0]!.zeroPoint);
  const attrs: QLinearAttrs = {
    aZeroPoint: a.zeroPoint,
    wZeroPoint: perTensorZero ? [params[0]!.zeroPoint] : params.map((p) => p.zeroPoint),
    mantissa: requants.map((r) => r.mantissa),
    shift: requants.map((r) => r.shift),
    rounding,
    outZeroPoint: out.zeroPoint,
    lo: requants[0]!.lo,
    hi: requants[0]!.hi,
    accBits,
    wBits: params[0]!.bits,
    aScale: a.scale,
    wScale: params.map((p) => p.scale),
    outScale: out.scale,
    outType: codeDType(out),
  };
  return { codes, bias, attrs };
}

function rangeParams(values: ArrayLike<number>, cfg: LayerQuantConfig): AffineQuant {
  const r = weightRange(values, cfg.weightRange, cfg.weightBits, cfg.scheme);
  return chooseQuantParams(r.min, r.max, cfg.weightBits, cfg.scheme);
}

/** Gemm weights as [N, K] rows (transposed when the model stores B as [K, N]), scaled by alpha. */
export function gemmRows(b: Tensor, transB: boolean, alpha: number): Tensor {
  const [r, c] = [b.shape[0]!, b.shape[1]!];
  const [N, K] = transB ? [r, c] : [c, r];
  const out = makeTensor('float32', [N, K]);
  for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) out.data[n * K + k] = alpha * b.data[transB ? n * K + k : k * N + n]!;
  return out;
}
