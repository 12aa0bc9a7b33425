/** Empirical bias correction (Nagel et al. 2019): shift each output channel's bias by the mean error that weight
 *  quantization causes on that channel, measured on calibration data.
 *  Why: rounding weights biases a channel's output (the errors do not average out over a channel); a per-channel
 *  constant removes the mean of it for free. What: for every QConv/QGemm, the layer's real input (its input codes from
 *  the integer graph, dequantized) goes through the float layer twice, with the float weights and with the
 *  dequantized weight codes; the mean difference per channel, divided by the accumulator scale sa*sw, is added to
 *  the int32 bias code. Assumes: the quantized graph came from `quantize` on `float` (layers share names). */
import { conv } from '../golden/conv.js';
import { runGraph } from '../golden/evaluate.js';
import { gemm } from '../golden/gemm.js';
import { quantizeBias } from '../ir/arith.js';
import { rebatch } from '../ir/rebatch.js';
import type { Graph, Node, Tensor, WindowAttrs } from '../ir/types.js';
import { windowOutSize } from '../ir/shapes.js';
import { makeTensor, sizeOf } from '../ir/types.js';
import type { Pass, PassResult } from './pass.js';
import { gemmRows } from './quantize-linear.js';

export interface BiasCorrectionOptions {
  readonly float: Graph;
  /** Calibration samples [N, ...input shape without batch]. */
  readonly samples: Tensor;
}

export const biasCorrection: Pass<BiasCorrectionOptions> = {
  name: 'bias-correction',
  summary: 'shift biases by the mean per-channel error of weight quantization (calibration data)',
  run: (graph, options) => (options ? run(graph, options) : { graph, stats: { layers: 0 } }),
};

function run(graph: Graph, { float, samples }: BiasCorrectionOptions): PassResult {
  const N = samples.shape[0]!;
  const batched = rebatch(graph, N);
  if (!batched) return { graph, stats: { layers: 0 } };
  const env = runGraph(batched, new Map([[batched.inputs[0]!.name, makeTensor('float32', batched.inputs[0]!.shape, samples.data.slice())]]));
  const constants = new Map(graph.constants);
  let corrected = 0;
  for (const n of graph.nodes) {
    if (n.op !== 'QConv' && n.op !== 'QGemm') continue;
    const f = float.nodes.find((x) => x.name === n.name);
    if (!f || (f.op !== 'Conv' && f.op !== 'Gemm' && f.op !== 'MatMul')) continue;
    const codes = env.get(n.inputs[0]!)!, q = graph.values.get(n.inputs[0]!)!.quant!;
    const x = makeTensor('float32', codes.shape, Float32Array.from(codes.data, (c) => q.scale * (c - q.zeroPoint)));
    const wq = graph.constants.get(n.inputs[1]!)!;
    const M = wq.shape[0]!, K = sizeOf(wq.shape) / M;
    const wDeq = makeTensor('float32', wq.shape);
    for (let m = 0; m < M; m++) {
      const zw = n.attrs.wZeroPoint.length === 1 ? n.attrs.wZeroPoint[0]! : n.attrs.wZeroPoint[m]!;
      for (let k = 0; k < K; k++) wDeq.data[m * K + k] = n.attrs.wScale[m]! * (wq.data[m * K + k]! - zw);
    }
    const wFloat = floatWeights(f, float, wq.shape);
    const [yRef, yQ] = [wFloat, wDeq].map((w) => layerOutput(n, f, x, w, M));
    const per = yRef!.data.length / M / yRef!.shape[0]!;
    const bias = makeTensor('int32', [M], Int32Array.from(graph.constants.get(n.inputs[2]!)!.data));
    for (let m = 0; m < M; m++) {
      let err = 0;
      for (let s = 0; s < yRef!.shape[0]!; s++)
        for (let p = 0; p < per; p++) {
          const i = n.op === 'QConv' ? (s * M + m) * per + p : s * M + m;
          err += yRef!.data[i]! - yQ!.data[i]!;
        }
      err /= yRef!.shape[0]! * per;
      bias.data[m] = bias.data[m]! + quantizeBias(err, n.attrs.aScale, n.attrs.wScale[m]!);
    }
    constants.set(n.inputs[2]!, bias);
    corrected++;
  }
  return { graph: { ...graph, constants }, stats: { layers: corrected } };
}

/** The float layer's weights as the quantized layer stores them: Conv [M, C/g, k...]; Gemm/MatMul rows [N, K]. */
function floatWeights(f: Node, float: Graph, shape: readonly number[]): Tensor {
  const w = float.constants.get(f.inputs[1]!)!;
  if (f.op === 'Conv') return w;
  const rows = gemmRows(w, f.op === 'Gemm' ? f.attrs.transB : false, f.op === 'Gemm' ? f.attrs.alpha : 1);
  return makeTensor('float32', shape, rows.data);
}

/** The layer without bias on real inputs x with weights w (rows per output channel). */
function layerOutput(n: Node, f: Node, x: Tensor, w: Tensor, M: number): Tensor {
  if (n.op === 'QConv') {
    const conv0 = { ...f, op: 'Conv' as const, attrs: { kernelShape: n.attrs.kernelShape, strides: n.attrs.strides, pads: n.attrs.pads, dilations: n.attrs.dilations, group: n.attrs.group } };
    const shape = outputShape(x.shape, w.shape, n.attrs);
    return conv(conv0, x, w, undefined, shape);
  }
  const g = { ...f, op: 'Gemm' as const, attrs: { alpha: 1, beta: 1, transA: false, transB: true } };
  return gemm(g, x, w, undefined, [x.shape[0]!, M]);
}

function outputShape(x: readonly number[], w: readonly number[], a: WindowAttrs): number[] {
  const r = a.kernelShape.length;
  return [x[0]!, w[0]!, ...a.kernelShape.map((k, i) => windowOutSize(x[i + 2]!, k, a.strides[i]!, a.dilations[i]!, a.pads[i]!, a.pads[i + r]!, false))];
}
