/** Pass pipelines: explicit ordered arrays, one comment per step. */
import type { Graph } from '../ir/types.js';
import { channelConstants } from './channel-constants.js';
import { foldBatchNorm } from './fold-batchnorm.js';
import { fuseHardSwish } from './fuse-hardswish.js';
import { fuseMatMulAdd } from './fuse-matmul-add.js';
import { fusePad } from './fuse-pad.js';
import type { Pass } from './pass.js';

/** Run right after import: the graph the user's model means, in the fewest ops. */
export const importPipeline: readonly Pass[] = [
  // MatMul by a constant matrix (and a constant bias Add after it) becomes a Gemm, so what follows can fold into it.
  fuseMatMulAdd,
  // Per-channel Mul/Add/Sub/Div by constants become one ChannelAffine (BatchNormalization exported as Mul + Add).
  channelConstants,
  // BatchNormalization (and any ChannelAffine) after Conv/Gemm becomes part of the layer's weights and bias.
  foldBatchNorm,
  // x * HardSigmoid(x) (HardSwish as PyTorch exports it below opset 14) becomes one HardSwish.
  fuseHardSwish,
  // A zero spatial Pad before a Conv (Keras/TensorFlow 'same' padding of strided layers) becomes the Conv's own pads.
  fusePad,
];

export function runPipeline(graph: Graph, passes: readonly Pass[], after?: (pass: Pass, g: Graph) => void): Graph {
  let g = graph;
  for (const p of passes) {
    g = p.run(g).graph;
    after?.(p, g);
  }
  return g;
}
