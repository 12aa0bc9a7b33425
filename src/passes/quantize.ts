/** Post-training quantization: float graph + calibration statistics -> integer graph (ir/arithmetic.md).
 *  Why: every later stage (approximate multipliers, emitters, verification) works on the codes this pass defines.
 *  What: graph inputs get a QuantizeLinear; Conv/Gemm/MatMul/ChannelAffine become QConv/QGemm; Add/Sub/Sum and
 *  Mul/Div by constants become QSum, Mul of two activations QMul; a Relu/Clip after any of these folds into its
 *  saturation bounds, anywhere else it becomes a QTable lookup, as does every other activation and x * act(x)
 *  (SiLU); LRN becomes QLrn; pools, Concat (inputs written in its scale, or rescaled by one-input QSums) and the
 *  shape ops run on codes directly. Trailing Softmax/LogSoftmax stay in float on the host after a DequantizeLinear:
 *  the accelerator's output is the last integer tensor, and argmax is unchanged. Integer graph outputs are
 *  dequantized so the graph keeps its float interface.
 *  Assumes: shapes static, BatchNormalization already folded where possible, QDQ pairs absorbed (absorb-qdq). */
import { userError } from '../errors.js';
import { chooseQuantParams, dequantize, quantize, activationBounds, signedBits, type FusedActivation } from '../ir/arith.js';
import { activation } from '../golden/elementwise.js';
import type { CodeQuant, Graph, Node, Tensor, UnaryNode, ValueInfo } from '../ir/types.js';
import { codeDType, makeTensor } from '../ir/types.js';
import type { CalibrationStats } from './calibrate.js';
import type { Pass, PassResult } from './pass.js';
import { layerConfig, type LayerQuantConfig, type QuantizeConfig } from './quantize-config.js';
import { gemmRows, quantizeWeights } from './quantize-linear.js';
import { quantizeSharing } from './share-weights.js';
import { activationRange } from './range-methods.js';
import { rescaleAttrs } from './quantize-rescale.js';
import {
  accumulatorRange, chainInput, chainTable, chainThresholds, isQuantizer, perTensorChain, quantizerChains, quantizerCodes,
  type QuantizerChain,
} from './quantize-qonnx.js';
import { productAttrs } from './quantize-product.js';
import { lrnAttrs } from './quantize-lrn.js';
import { planFusions } from './quantize-fusions.js';

export interface QuantizeOptions {
  readonly config: QuantizeConfig;
  readonly stats: CalibrationStats;
}

export const quantizePass: Pass<QuantizeOptions> = {
  name: 'quantize',
  summary: 'post-training quantization to integer codes (calibrated ranges)',
  run: (graph, options) => {
    if (!options) throw new Error('internal error: quantize needs calibration statistics');
    return quantizeGraph(graph, options);
  },
};

/** What quantization decided beyond the graph: the tensors it calibrated (the ones the model leaves in float). */
export interface QuantizeResult extends PassResult {
  readonly calibrated: readonly string[];
}

const SHAPE_OPS = new Set(['Reshape', 'Transpose', 'Split', 'Slice', 'Gather', 'MaxPool']);

export function quantizeGraph(graph: Graph, { config, stats }: QuantizeOptions): QuantizeResult {
  const values = new Map<string, ValueInfo>();
  const constants = new Map<string, Tensor>();
  const nodes: Node[] = [];
  const consumers = new Map<string, Node[]>();
  for (const n of graph.nodes) for (const i of n.inputs) consumers.set(i, [...(consumers.get(i) ?? []), n]);
  const info = (v: string) => graph.values.get(v)!;
  const constant = (v: string) => graph.constants.get(v);
  const counts = { layers: 0, tables: 0, rescales: 0, products: 0, fused: 0, kept: 0, thresholds: 0 };
  const calibrated: string[] = [];
  // QONNX models: activation quantizers keep their codes (quantize-qonnx.ts); the float ops between a layer and its
  // quantizer fold into a threshold activation, and a layer whose result only the host reads gives its accumulator.
  const qonnx = graph.nodes.some(isQuantizer);
  const chains = quantizerChains(graph);
  const chainOfLayer = new Map<Node, QuantizerChain>();
  const inChain = new Set<Node>();
  for (const ch of chains.values()) {
    if (ch.layer) {
      chainOfLayer.set(ch.layer, ch);
      inChain.add(ch.quantizer);
    }
    for (const o of ch.ops) inChain.add(o);
  }

  const qonnxExclude = new Set<Node>([...chainOfLayer.keys(), ...inChain]);
  const { host, fused, fusedNodes, clampedThrough, vanished, gated, gates, takesConcatQuant } = planFusions(graph, consumers, {
    exclude: qonnxExclude,
    hostTail: (n) => qonnx && !isQuantizer(n) && chainInput(n, graph) !== undefined,
  });
  const codeQuant = (v: string, cfg: LayerQuantConfig): CodeQuant => {
    const concat = takesConcatQuant.get(v);
    if (concat) return codeQuant(concat.outputs[0]!, layerConfig(config, concat.name));
    const given = info(v).quant;
    if (given) return given;
    const s = stats.get(v);
    if (!s) throw new Error(`internal error: no calibration statistics for '${v}'`);
    calibrated.push(v);
    const r = activationRange(s, cfg.activationRange, cfg.activationBits, cfg.scheme);
    return chooseQuantParams(r.min, r.max, cfg.activationBits, cfg.scheme);
  };
  const codes = new Map<string, string>(); // float value -> its code tensor
  const quantOf = (codeName: string) => values.get(codeName)!.quant!;
  const addValue = (name: string, dtype: ValueInfo['dtype'], shape: readonly number[], quant?: CodeQuant) =>
    values.set(name, quant ? { name, dtype, shape, quant } : { name, dtype, shape });
  const addConstant = (name: string, t: Tensor) => {
    constants.set(name, t);
    addValue(name, t.dtype, t.shape);
  };
  const codeIn = (n: Node, i: number): string => {
    const v = n.inputs[i]!;
    const c = codes.get(v);
    if (c === undefined) throw userError('E_QUANT', `node '${n.name}' (${n.op}): input '${v}' is not an integer tensor here (a constant operand this op cannot take); the op has no integer form in this position`);
    return c;
  };
  const emitCoded = (node: Node, floatOut: string, quant: CodeQuant) => {
    nodes.push(node);
    addValue(floatOut, codeDType(quant), info(floatOut).shape, quant);
    codes.set(floatOut, floatOut);
  };

  const emitThreshold = (name: string, x: string, t: ReturnType<typeof chainThresholds>, oc: ReturnType<typeof quantizerCodes>, out: string) => {
    const tName = `${name}.thresholds`;
    addConstant(tName, t.thresholds);
    const direction = t.direction.every((d) => d === 1) ? [1 as const] : t.direction;
    emitCoded({ name, op: 'QThreshold', attrs: { axis: 1, direction, outBase: oc.base, outStep: oc.step, outType: codeDType(oc.quant) }, inputs: [x, tName], outputs: [out] }, out, oc.quant);
    counts.thresholds++;
  };
  // A layer whose output is its raw accumulator (requantization by 1): the input of a QThreshold, or of the host.
  const accumulatorLayer = (n: Node, ch: QuantizerChain | undefined) => {
    const cfg = layerConfig(config, n.name);
    const x = codeIn(n, 0), a = quantOf(x);
    const lin = linearLayer(n, graph);
    // Before a threshold the float bias stays in the chain's function (exact); before the host it is a bias code.
    const bias = ch ? undefined : lin.bias;
    const qw = quantizeWeights(lin.weights, bias, a, a, { kind: 'none' }, cfg, config.rounding, givenWeightQuant(n, graph), n.name);
    const { lo, hi } = accumulatorRange(qw.codes, qw.attrs.wZeroPoint, a, bias ? qw.bias : undefined);
    const bits = signedBits(Math.min(...lo), Math.max(...hi));
    if (bits > 32) throw userError('E_QUANT', `layer '${n.name}': its accumulator needs ${bits} bits, more than the int32 register`);
    const accQuant: CodeQuant = { scale: a.scale * qw.attrs.wScale[0]!, zeroPoint: 0, bits: Math.max(2, bits), scheme: 'signed', qmin: -(2 ** (Math.max(2, bits) - 1)), qmax: 2 ** (Math.max(2, bits) - 1) - 1 };
    const M = qw.attrs.wScale.length;
    const attrs = { ...qw.attrs, mantissa: Array<number>(M).fill(2 ** 30), shift: Array<number>(M).fill(-1), outZeroPoint: 0, lo: accQuant.qmin, hi: accQuant.qmax, outScale: accQuant.scale, outType: codeDType(accQuant) };
    const [wName, bName] = [`${n.name}.wq`, `${n.name}.bq`];
    addConstant(wName, qw.codes);
    addConstant(bName, qw.bias);
    const out = ch ? `${n.name}.acc` : n.outputs[0]!;
    if (ch) values.set(out, { name: out, dtype: codeDType(accQuant), shape: info(n.outputs[0]!).shape, quant: accQuant });
    const node: Node = lin.conv
      ? { name: n.name, op: 'QConv', attrs: { ...lin.conv, ...attrs }, inputs: [x, wName, bName], outputs: [out] }
      : { name: n.name, op: 'QGemm', attrs, inputs: [x, wName, bName], outputs: [out] };
    counts.layers++;
    if (!ch) {
      emitCoded(node, out, accQuant);
      return;
    }
    nodes.push(node);
    const oc = quantizerCodes(ch.quantizer, graph);
    const sw = qw.attrs.wScale, b = lin.bias;
    // The float graph feeds the chain the layer's output: the exact sum rounded once to float32 (src/golden/gemm.ts).
    const value = (acc: number, c: number) => Math.fround(acc * a.scale * sw[c]! + (b ? b.data[c]! : 0));
    emitThreshold(ch.quantizer.name, out, chainThresholds(ch, graph, oc, info(n.outputs[0]!).shape.length, lo, hi, value), oc, ch.quantizer.outputs[0]!);
    counts.kept++;
  };

  for (const input of graph.inputs) {
    const q = codeQuant(input.name, config.defaults);
    const name = `${input.name}.q`;
    values.set(input.name, input);
    nodes.push({ name: `${input.name}.quantize`, op: 'QuantizeLinear', attrs: { quant: { scale: [q.scale], zeroPoint: [q.zeroPoint], dtype: codeDType(q), qmin: q.qmin, qmax: q.qmax } }, inputs: [input.name], outputs: [name] });
    addValue(name, codeDType(q), input.shape, q);
    codes.set(input.name, name);
  }

  for (const n of graph.nodes) {
    if (fusedNodes.has(n) || gates.has(n) || inChain.has(n)) continue;
    if (vanished.has(n)) {
      codes.set(n.outputs[0]!, codeIn(n, 0)); // clamped already by the layer before the pools/reshapes
      continue;
    }
    const cfg = layerConfig(config, n.name);
    if (host.has(n)) {
      // Float on the host: dequantize integer inputs.
      const ins = n.inputs.map((v) => {
        const c = codes.get(v);
        if (c === undefined) {
          if (constant(v)) addConstant(v, constant(v)!);
          return v;
        }
        const f = `${v}.float`;
        if (!values.has(f)) {
          const q = quantOf(c);
          nodes.push({ name: `${v}.dequantize`, op: 'DequantizeLinear', attrs: { quant: { scale: [q.scale], zeroPoint: [q.zeroPoint], dtype: codeDType(q) } }, inputs: [c], outputs: [f] });
          addValue(f, 'float32', info(v).shape);
        }
        return f;
      });
      nodes.push({ ...n, inputs: ins } as Node);
      for (const o of n.outputs) values.set(o, info(o));
      continue;
    }
    switch (n.op) {
      case 'Conv':
      case 'ChannelAffine':
      case 'Gemm':
      case 'MatMul': {
        const ch = chainOfLayer.get(n);
        const outs = consumers.get(n.outputs[0]!) ?? [];
        const toHost = qonnx && n.op !== 'ChannelAffine' && !fused.has(n) && outs.length > 0 && outs.every((c) => host.has(c)) && uniformWeightScale(n, graph);
        if (ch || toHost) {
          accumulatorLayer(n, ch);
          break;
        }
        const act = fused.get(n);
        const out = act ? act.outputs[0]! : n.outputs[0]!;
        const fusedAct = fusedActivation(act ?? clampedThrough.get(n));
        const x = codeIn(n, 0);
        // A clamp folded from behind pools also sets the range: the codes carry only what survives it.
        const a = quantOf(x), q = codeQuant(clampedThrough.get(n)?.outputs[0] ?? out, cfg);
        const lin = linearLayer(n, graph);
        const qw = quantizeWeights(lin.weights, lin.bias, a, q, fusedAct, cfg, config.rounding, givenWeightQuant(n, graph), n.name);
        const [wName, bName] = [`${n.name}.wq`, `${n.name}.bq`];
        addConstant(wName, qw.codes);
        addConstant(bName, qw.bias);
        // A shared float layer stays shared (its codebooks quantized like its weights; this replaces the float
        // `sharing` that lin.conv carries).
        const sharing = n.op === 'Conv' || n.op === 'Gemm' ? quantizeSharing(n, graph.constants.get(n.inputs[1]!)!.shape, qw.attrs, cfg.scheme) : undefined;
        const attrs = sharing ? { ...qw.attrs, sharing } : qw.attrs;
        if (lin.lift) {
          // A per-channel affine on [N, C]: the depthwise 1x1 QConv runs on the codes viewed as [N, C, 1, 1].
          const shape2d = info(out).shape, [xin, yout] = [`${x}.nchw_for.${n.name}`, `${out}.nchw`];
          nodes.push({ name: `${n.name}.to_nchw`, op: 'Reshape', attrs: { shape: lin.lift }, inputs: [x], outputs: [xin] });
          addValue(xin, codeDType(a), lin.lift, a);
          nodes.push({ name: n.name, op: 'QConv', attrs: { ...lin.conv!, ...attrs }, inputs: [xin, wName, bName], outputs: [yout] });
          addValue(yout, codeDType(q), lin.lift, q);
          emitCoded({ name: `${n.name}.to_nc`, op: 'Reshape', attrs: { shape: shape2d }, inputs: [yout], outputs: [out] }, out, q);
        } else {
          const node: Node = lin.conv
            ? { name: n.name, op: 'QConv', attrs: { ...lin.conv, ...attrs }, inputs: [x, wName, bName], outputs: [out] }
            : { name: n.name, op: 'QGemm', attrs, inputs: [x, wName, bName], outputs: [out] };
          emitCoded(node, out, q);
        }
        counts.layers++;
        if (act || clampedThrough.has(n)) counts.fused++;
        break;
      }
      case 'Add':
      case 'Sub':
      case 'Sum':
      case 'Mul':
      case 'Div': {
        const act = fused.get(n);
        const out = act ? act.outputs[0]! : n.outputs[0]!;
        const q = codeQuant(clampedThrough.get(n)?.outputs[0] ?? out, cfg);
        const clamp = fusedActivation(act ?? clampedThrough.get(n));
        const gate = gated.get(n);
        if (gate) {
          const x = codeIn(n, n.inputs.indexOf(gate.inputs[0]!)), a = quantOf(x), f = activation(gate);
          const { lo, hi } = activationBounds(clamp, q);
          const table = Array.from({ length: a.qmax - a.qmin + 1 }, (_, i) => {
            const v = Math.fround(dequantize(a.qmin + i, a));
            return Math.min(hi, Math.max(lo, quantize(Math.fround(v * Math.fround(f(v))), q)));
          });
          emitCoded({ name: n.name, op: 'QTable', attrs: { inMin: a.qmin, table, outType: codeDType(q) }, inputs: [x], outputs: [out] }, out, q);
          counts.tables++;
        } else if (n.op === 'Mul' && codes.has(n.inputs[0]!) && codes.has(n.inputs[1]!)) {
          const [a, b] = [codeIn(n, 0), codeIn(n, 1)];
          emitCoded({ name: n.name, op: 'QMul', attrs: productAttrs(quantOf(a), quantOf(b), q, clamp, config.rounding), inputs: [a, b], outputs: [out] }, out, q);
          counts.products++;
        } else {
          const terms = sumTerms(n, graph, codes, quantOf, cfg, (name, t) => addConstant(name, t));
          emitCoded({ name: n.name, op: 'QSum', attrs: rescaleAttrs(terms.map((t) => t.quant), terms.map((t) => t.sign), q, clamp, config.rounding), inputs: terms.map((t) => t.code), outputs: [out] }, out, q);
          counts.rescales++;
        }
        if (act || clampedThrough.has(n)) counts.fused++;
        break;
      }
      case 'Quant':
      case 'BipolarQuant':
      case 'MultiThreshold': {
        const ch = chains.get(n)!;
        const x = codes.get(ch.start);
        if (x === undefined) throw userError('E_QUANT', `node '${n.name}' (${n.op}): its input '${ch.start}' is not an integer tensor here; the quantizer has no integer form in this position`);
        const a = quantOf(x), oc = quantizerCodes(n, graph);
        if (perTensorChain(ch, graph)) {
          emitCoded({ name: n.name, op: 'QTable', attrs: { inMin: a.qmin, table: chainTable(ch, graph, a, oc), outType: codeDType(oc.quant) }, inputs: [x], outputs: [n.outputs[0]!] }, n.outputs[0]!, oc.quant);
          counts.tables++;
        } else {
          const shape = info(ch.start).shape, C = shape[1] ?? 1;
          const t = chainThresholds(ch, graph, oc, shape.length, Array<number>(C).fill(a.qmin), Array<number>(C).fill(a.qmax), (c) => Math.fround(dequantize(c, a)));
          emitThreshold(n.name, x, t, oc, n.outputs[0]!);
        }
        counts.kept++;
        break;
      }
      case 'Relu':
      case 'Clip': {
        // A clamp with no integer layer to fold into (after a pool, a Concat, a shape op, or a value read twice):
        // a table on the elementwise unit that saturates codes in place, same scale and zero point.
        const x = codeIn(n, 0), a = quantOf(x);
        const { lo, hi } = activationBounds(fusedActivation(n), a);
        const table = Array.from({ length: a.qmax - a.qmin + 1 }, (_, i) => Math.min(hi, Math.max(lo, a.qmin + i)));
        emitCoded({ name: n.name, op: 'QTable', attrs: { inMin: a.qmin, table, outType: codeDType(a) }, inputs: [x], outputs: [n.outputs[0]!] }, n.outputs[0]!, a);
        counts.tables++;
        break;
      }
      case 'LeakyRelu':
      case 'Sigmoid':
      case 'Tanh':
      case 'HardSigmoid':
      case 'HardSwish':
      case 'Selu':
      case 'Elu': {
        const x = codeIn(n, 0), a = quantOf(x), q = codeQuant(n.outputs[0]!, cfg);
        const f = activation(n);
        const table = Array.from({ length: a.qmax - a.qmin + 1 }, (_, i) => quantize(Math.fround(f(Math.fround(dequantize(a.qmin + i, a)))), q));
        emitCoded({ name: n.name, op: 'QTable', attrs: { inMin: a.qmin, table, outType: codeDType(q) }, inputs: [x], outputs: [n.outputs[0]!] }, n.outputs[0]!, q);
        counts.tables++;
        break;
      }
      case 'AveragePool':
      case 'GlobalAveragePool': {
        const x = codeIn(n, 0), a = quantOf(x);
        const spatial = info(n.inputs[0]!).shape.slice(2);
        const window = n.op === 'AveragePool' ? n.attrs : { kernelShape: spatial, strides: spatial.map(() => 1), pads: [...spatial, ...spatial].map(() => 0), dilations: spatial.map(() => 1), ceilMode: false, countIncludePad: false };
        emitCoded({ name: n.name, op: 'QAveragePool', attrs: { ...window, zeroPoint: a.zeroPoint, rounding: config.rounding }, inputs: [x], outputs: [n.outputs[0]!] }, n.outputs[0]!, a);
        break;
      }
      case 'LRN': {
        const x = codeIn(n, 0), q = codeQuant(n.outputs[0]!, cfg);
        emitCoded({ name: n.name, op: 'QLrn', attrs: lrnAttrs(n, quantOf(x), q, config.rounding), inputs: [x], outputs: [n.outputs[0]!] }, n.outputs[0]!, q);
        counts.tables++;
        break;
      }
      case 'GlobalMaxPool': {
        const x = codeIn(n, 0), spatial = info(n.inputs[0]!).shape.slice(2);
        const attrs = { kernelShape: spatial, strides: spatial.map(() => 1), pads: [...spatial, ...spatial].map(() => 0), dilations: spatial.map(() => 1), ceilMode: false };
        emitCoded({ name: n.name, op: 'MaxPool', attrs, inputs: [x], outputs: [n.outputs[0]!] }, n.outputs[0]!, quantOf(x));
        break;
      }
      case 'Pad': {
        const x = codeIn(n, 0), a = quantOf(x);
        emitCoded({ ...n, attrs: { ...n.attrs, value: quantize(n.attrs.value, a) }, inputs: [x] }, n.outputs[0]!, a);
        break;
      }
      case 'Concat': {
        const q = codeQuant(n.outputs[0]!, cfg);
        const ins = n.inputs.map((v, i) => {
          const c = codeIn(n, i), a = quantOf(c);
          if (a.scale === q.scale && a.zeroPoint === q.zeroPoint && a.bits === q.bits) return c;
          const r = `${v}.rescaled_for.${n.name}`;
          nodes.push({ name: r, op: 'QSum', attrs: rescaleAttrs([a], [1], q, { kind: 'none' }, config.rounding), inputs: [c], outputs: [r] });
          addValue(r, codeDType(q), info(v).shape, q);
          counts.rescales++;
          return r;
        });
        emitCoded({ ...n, inputs: ins }, n.outputs[0]!, q);
        break;
      }
      default: {
        if (!SHAPE_OPS.has(n.op) || n.inputs.slice(1).some((i) => !constant(i)))
          throw userError('E_QUANT', `node '${n.name}' (${n.op}) has no integer form; adequate quantizes Conv, Gemm, MatMul with constant weights, Add/Sub/Sum, Mul/Div by constants, activations, pools, Concat and shape ops (see ir/arithmetic.md)`);
        const x = codeIn(n, 0), a = quantOf(x);
        for (const i of n.inputs.slice(1)) addConstant(i, constant(i)!);
        nodes.push({ ...n, inputs: [x, ...n.inputs.slice(1)] } as Node);
        for (const o of n.outputs) {
          addValue(o, codeDType(a), info(o).shape, a);
          codes.set(o, o);
        }
      }
    }
  }

  // Integer graph outputs go back to float under their own names; the code tensor is renamed `<name>.q`.
  let result = nodes;
  for (const out of graph.outputs) {
    const c = codes.get(out);
    if (c === undefined) continue;
    const q = quantOf(c), renamed = `${out}.q`;
    result = result.map((n) => ({ ...n, inputs: n.inputs.map((i) => (i === c ? renamed : i)), outputs: n.outputs.map((o) => (o === c ? renamed : o)) }) as Node);
    values.set(renamed, { ...values.get(c)!, name: renamed });
    result.push({ name: `${out}.dequantize`, op: 'DequantizeLinear', attrs: { quant: { scale: [q.scale], zeroPoint: [q.zeroPoint], dtype: codeDType(q) } }, inputs: [renamed], outputs: [out] });
    values.set(out, { name: out, dtype: 'float32', shape: info(out).shape });
  }
  const used = new Set(result.flatMap((n) => [...n.inputs, ...n.outputs]));
  return {
    graph: {
      ...graph,
      nodes: result,
      values: new Map([...values].filter(([k]) => used.has(k) || graph.inputs.some((i) => i.name === k))),
      constants: new Map([...constants].filter(([k]) => used.has(k))),
    },
    stats: counts,
    calibrated,
  };
}

/** Whether a layer's weights have one scale (a per-tensor accumulator scale): the model's own, or none given. */
function uniformWeightScale(n: Node, graph: Graph): boolean {
  const w = graph.values.get(n.inputs[1] ?? '');
  return !!w && (!!w.quant || (!!w.axisQuant && w.axisQuant.params.every((p) => p.scale === w.axisQuant!.params[0]!.scale)));
}

/** The clamp a Relu or Clip node applies (none without one). */
function fusedActivation(act: UnaryNode | undefined): FusedActivation {
  if (!act) return { kind: 'none' };
  return act.op === 'Relu' ? { kind: 'relu' } : { kind: 'clip', min: act.attrs.min ?? -Infinity, max: act.attrs.max ?? Infinity };
}

/** The weight quantization a QDQ model gave (absorb-qdq annotations), per output channel or per tensor. */
function givenWeightQuant(n: Node, graph: Graph): CodeQuant[] | undefined {
  const w = graph.values.get(n.inputs[1] ?? '');
  if (!w) return undefined;
  if (w.quant) return [w.quant];
  if (!w.axisQuant) return undefined;
  // Output channels: axis 0 of Conv weights and of Gemm B with transB; axis 1 of B [K, N] otherwise.
  const outAxis = n.op === 'Conv' || (n.op === 'Gemm' && n.attrs.transB) ? 0 : 1;
  if (w.axisQuant.axis !== outAxis) throw userError('E_QUANT', `node '${n.name}' (${n.op}): the model quantizes its weights along axis ${w.axisQuant.axis}, not along the output channels (axis ${outAxis})`);
  return [...w.axisQuant.params];
}

interface LinearLayer {
  readonly weights: Tensor;
  readonly bias: Tensor | undefined;
  readonly conv?: Extract<Node, { op: 'Conv' }>['attrs'];
  /** The [N, C, 1, 1] shape a 2-D per-channel affine runs on as a depthwise QConv. */
  readonly lift?: readonly number[];
}

/** The weights of a Conv/Gemm/MatMul/ChannelAffine as rows per output channel, with its bias. */
function linearLayer(n: Node, graph: Graph): LinearLayer {
  const c = (i: number) => (n.inputs[i] === undefined ? undefined : graph.constants.get(n.inputs[i]!));
  const need = (i: number, what: string) => {
    const t = c(i);
    if (!t || t.dtype !== 'float32') throw userError('E_QUANT', `node '${n.name}' (${n.op}): ${what} must be a float constant to quantize it`);
    return t;
  };
  switch (n.op) {
    case 'Conv':
      return { weights: need(1, 'the weight'), bias: n.inputs[2] ? need(2, 'the bias') : undefined, conv: n.attrs };
    case 'ChannelAffine': {
      const s = need(1, 'the scale'), t = need(2, 'the shift'), C = s.data.length;
      const x = graph.values.get(n.inputs[0]!)!.shape;
      // A depthwise 1x1 convolution (ir/arithmetic.md); a 2-D [N, C] tensor is lifted to [N, C, 1, 1] around it.
      const lift = x.length === 2 ? [x[0]!, x[1]!, 1, 1] : undefined;
      const r = lift ? 2 : x.length - 2;
      const ones = Array<number>(r).fill(1);
      return {
        weights: makeTensor('float32', [C, 1, ...ones], Float32Array.from(s.data)),
        bias: t,
        conv: { kernelShape: ones, strides: ones, dilations: ones, pads: Array<number>(2 * r).fill(0), group: C },
        ...(lift ? { lift } : {}),
      };
    }
    case 'Gemm': {
      if (n.attrs.transA) throw userError('E_QUANT', `node '${n.name}' (Gemm): transA=1 has no integer form; export the model without transA`);
      const w = gemmRows(need(1, 'B'), n.attrs.transB, n.attrs.alpha);
      const N = w.shape[0]!;
      const cT = n.inputs[2] ? need(2, 'C') : undefined;
      if (cT && cT.data.length !== N && cT.data.length !== 1) throw userError('E_QUANT', `node '${n.name}' (Gemm): C of shape [${cT.shape}] varies by row; only a bias per output is supported`);
      const bias = cT ? makeTensor('float32', [N], Float32Array.from({ length: N }, (_, j) => n.attrs.beta * cT.data[cT.data.length === 1 ? 0 : j]!)) : undefined;
      return { weights: w, bias };
    }
    case 'MatMul': {
      const b = need(1, 'the second operand');
      if (b.shape.length !== 2 || graph.values.get(n.inputs[0]!)!.shape.length !== 2) throw userError('E_QUANT', `node '${n.name}' (MatMul): only 2-D x times a constant 2-D matrix has an integer form`);
      return { weights: gemmRows(b, false, 1), bias: undefined };
    }
    default:
      throw new Error(`internal error: ${n.op} is not a linear layer`);
  }
}

interface SumTerm {
  readonly code: string;
  readonly quant: CodeQuant;
  readonly sign: number;
}

/** The rescaled operands of Add/Sub/Sum (integer tensors or constants quantized on their own) and of Mul/Div by a
 *  positive or negative scalar constant (one operand whose scale absorbs the constant). */
function sumTerms(n: Node, graph: Graph, codes: Map<string, string>, quantOf: (c: string) => CodeQuant, cfg: LayerQuantConfig, addConstant: (name: string, t: Tensor) => void): SumTerm[] {
  if (n.op === 'Mul' || n.op === 'Div') {
    const [x, k] = codes.has(n.inputs[0]!) ? [0, 1] : [1, 0];
    const c = graph.constants.get(n.inputs[k]!);
    if (!codes.has(n.inputs[x]!) || !c || c.data.length !== 1 || (n.op === 'Div' && k === 0))
      throw userError('E_QUANT', `node '${n.name}' (${n.op}): only multiplication or division by a scalar constant has an integer form`);
    const code = codes.get(n.inputs[x]!)!, q = quantOf(code), f = n.op === 'Mul' ? c.data[0]! : 1 / c.data[0]!;
    return [{ code, quant: { ...q, scale: q.scale * Math.abs(f) }, sign: Math.sign(f) }];
  }
  return n.inputs.map((v, i) => {
    const sign = n.op === 'Sub' && i === 1 ? -1 : 1;
    const code = codes.get(v);
    if (code !== undefined) return { code, quant: quantOf(code), sign };
    const t = graph.constants.get(v);
    if (!t || t.dtype !== 'float32') throw userError('E_QUANT', `node '${n.name}' (${n.op}): operand '${v}' is neither an integer tensor nor a float constant`);
    let min = 0, max = 0;
    for (const x of t.data) [min, max] = [Math.min(min, x), Math.max(max, x)];
    const q = chooseQuantParams(min, max, cfg.activationBits, cfg.scheme);
    const codesT = makeTensor(codeDType(q), t.shape);
    t.data.forEach((x, j) => (codesT.data[j] = quantize(x, q)));
    const name = `${v}.q`;
    addConstant(name, codesT);
    return { code: name, quant: q, sign };
  });
}
