/** The accelerator's reference: the golden model run from the accelerator's input to its output, over exactly the
 *  nodes the plan maps to hardware (integer codes for quantized IRs; values of their formats for word-length-tuned
 *  IRs). The HLS C simulation and the Verilator run are compared with these buffers, bit for bit. */
import { quantizeLinear } from '../golden/quantize.js';
import { runGraph, runNodes, type EvalContext } from '../golden/evaluate.js';
import { yieldToSignals } from '../io/atomic-dir.js';
import type { Tensor } from '../ir/types.js';
import { makeTensor } from '../ir/types.js';
import type { AcceleratorPlan } from './plan.js';
import type { TunedPlan } from './plan-tuned.js';

/** Input codes of one inference: the host's QuantizeLinear applied to one float sample (C order, batch 1). */
export function quantizeSample(plan: AcceleratorPlan, sample: Float32Array): Tensor {
  const x = makeTensor('float32', plan.hostInput.shape, sample);
  return quantizeLinear(plan.quantize.attrs.quant, x);
}

/** Every activation buffer of one inference, by buffer name (the input codes included). */
export function referenceBuffers(plan: AcceleratorPlan, inputCodes: Tensor, ctx?: EvalContext): Map<string, Tensor> {
  const env = new Map<string, Tensor>([[plan.input.name, inputCodes]]);
  // The accelerator's nodes are graph nodes 1 .. (the output DequantizeLinear) - 1 (a Split is several plan layers).
  runNodes(plan.graph, env, 1, ctx, plan.graph.nodes.indexOf(plan.dequantize));
  return new Map([...plan.buffers.keys()].map((name) => [name, env.get(name)!]));
}

/** referenceBuffers, yielding to the event loop after each node, so an interrupt's cleanup (writeDirAtomically) runs
 *  while a large network's inference does (a VGG-19's takes seconds). */
export async function referenceBuffersYielding(plan: AcceleratorPlan, inputCodes: Tensor, ctx?: EvalContext): Promise<Map<string, Tensor>> {
  const env = new Map<string, Tensor>([[plan.input.name, inputCodes]]);
  const end = plan.graph.nodes.indexOf(plan.dequantize);
  for (let k = 1; k < end; k++) {
    runNodes(plan.graph, env, k, ctx, k + 1);
    await yieldToSignals();
  }
  return new Map([...plan.buffers.keys()].map((name) => [name, env.get(name)!]));
}

/** Every activation buffer of one inference of a word-length-tuned accelerator (values of their formats), by buffer
 *  name, from one float sample (C order, batch 1): the golden model's runGraph on the tuned IR, which casts the input
 *  into its format as the host does (ir/arithmetic.md section 6); the input buffer holds the cast values. */
export function tunedReferenceBuffers(plan: TunedPlan, sample: ArrayLike<number>): Map<string, Tensor> {
  const info = plan.graph.inputs[0]!;
  const env = runGraph(plan.graph, new Map([[info.name, makeTensor('float32', info.shape, Float32Array.from(sample))]]));
  return new Map([...plan.buffers.keys()].map((name) => [name, env.get(name)!]));
}
