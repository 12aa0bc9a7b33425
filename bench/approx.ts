/** ALWANN exploration throughput: evaluated designs per second (and how many the racing rule kept to the subset)
 *  for a short search on the quantized LeNet-5 with 2,000 evaluation images on all cores. */
import { availableParallelism } from 'node:os';
import { explore } from '../src/dse/approx/explore.js';
import { createRunner } from '../src/dse/approx/pool.js';
import { layerInfo, libraryCandidates } from '../src/dse/approx/setup.js';
import { makeTensor } from '../src/ir/types.js';
import { quantizedLenet } from './fixtures.js';
import type { Benchmark } from './types.js';

export const approxBench: Benchmark = {
  name: 'approx',
  summary: 'ALWANN exploration: designs/s on LeNet-5 (3 tiles, pop 16, 3 generations, 2,000 images, all cores)',
  async run() {
    const { graph, samples } = quantizedLenet(2000);
    const names = graph.nodes.filter((n) => n.op === 'QConv' || n.op === 'QGemm').map((n) => n.name);
    const layers = layerInfo(graph, names, makeTensor('float32', [200, ...samples.inputs.shape.slice(1)], samples.inputs.data.slice(0, 200 * 784)));
    const library = libraryCandidates('builtin', false);
    const t0 = performance.now();
    const runner = createRunner(graph, samples.inputs, samples.labels!, library, layers, 'histogram');
    const setup = (performance.now() - t0) / 1000;
    const r = await explore(runner, layers, library, { tiles: 3, mode: 'free', pop: 16, gen: 3, seed: 1, weightUpdate: 'histogram', maxDrop: 0.5 });
    await runner.close();
    return {
      designs: r.evaluations,
      full_evaluations: r.fullEvaluations,
      seconds: +r.seconds.toFixed(1),
      designs_per_second: +(r.evaluations / r.seconds).toFixed(2),
      setup_seconds: +setup.toFixed(1),
      workers: availableParallelism(),
      multipliers: library.length,
    };
  },
};
