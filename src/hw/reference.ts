/** The accelerator's reference: the integer golden model run from input codes to output codes, over exactly the nodes
 *  the plan maps to hardware. The HLS C simulation and the Verilator run are compared with these buffers, bit for bit. */
import { quantizeLinear } from '../golden/quantize.js';
import { runNodes, type EvalContext } from '../golden/evaluate.js';
import type { Tensor } from '../ir/types.js';
import { makeTensor } from '../ir/types.js';
import type { AcceleratorPlan } from './plan.js';

/** Input codes of one inference: the host's QuantizeLinear applied to one float sample (C order, batch 1). */
export function quantizeSample(plan: AcceleratorPlan, sample: Float32Array): Tensor {
  const x = makeTensor('float32', plan.hostInput.shape, sample);
  return quantizeLinear(plan.quantize.attrs.quant, x);
}

/** Every activation buffer of one inference, by buffer name (the input codes included). */
export function referenceBuffers(plan: AcceleratorPlan, inputCodes: Tensor, ctx?: EvalContext): Map<string, Tensor> {
  const env = new Map<string, Tensor>([[plan.input.name, inputCodes]]);
  const last = plan.layers.length; // plan.layers are graph nodes 1..last
  runNodes(plan.graph, env, 1, ctx, 1 + last);
  return new Map([...plan.buffers.keys()].map((name) => [name, env.get(name)!]));
}
