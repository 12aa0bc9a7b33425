/** ALWANN exploration throughput: evaluated designs per second (and how many the racing rule kept to the subset)
 *  for a short search on the quantized LeNet-5 with 2,000 evaluation images on all cores; and the hardware of the
 *  search's choice (lowest energy within 0.5 points): the mean xc7 LUT count of its multipliers (Yosys, no DSP;
 *  multipliers/synth.json) against the exact multiplier's. */
import { availableParallelism } from 'node:os';
import { bestWithin, explore } from '../src/dse/approx/explore.js';
import { getMultiplier } from '../src/multipliers/index.js';
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
    const library = await libraryCandidates('builtin', false);
    const t0 = performance.now();
    const runner = createRunner(graph, samples.inputs, samples.labels!, library, layers, { weights: 'histogram', bias: true });
    const setup = (performance.now() - t0) / 1000;
    const r = await explore(runner, layers, library, { tiles: 3, mode: 'free', pop: 16, gen: 3, seed: 1, weightUpdate: 'histogram', maxDrop: 0.5 });
    await runner.close();
    const chosen = bestWithin(r.front, r.exactTop1, 0.5) ?? r.exact;
    const luts = (i: number) => getMultiplier(library[i]!.id).synth!.luts;
    const used = [...new Set(chosen.perLayer)];
    const macs = layers.reduce((t, l) => t + l.macs, 0);
    return {
      designs: r.evaluations,
      full_evaluations: r.fullEvaluations,
      seconds: +r.seconds.toFixed(1),
      designs_per_second: +(r.evaluations / r.seconds).toFixed(2),
      setup_seconds: +setup.toFixed(1),
      workers: availableParallelism(),
      multipliers: library.length,
      chosen_relative_energy: +chosen.relativeEnergy.toFixed(4),
      chosen_multipliers: used.map((i) => library[i]!.id).join(', '),
      chosen_mean_luts: +(used.reduce((t, i) => t + luts(i), 0) / used.length).toFixed(1),
      chosen_mac_weighted_luts: +(layers.reduce((t, l, k) => t + l.macs * luts(chosen.perLayer[k]!), 0) / macs).toFixed(1),
      exact_luts: luts(0),
    };
  },
};
