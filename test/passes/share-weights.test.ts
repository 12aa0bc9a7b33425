/** The share-weights pass on LeNet-5 (float and quantized): lossless round trips checked against the golden model,
 *  codebooks and indices (src/ir/sharing.ts), pruning, float sharing carried through quantize, weight bits, and the
 *  user errors. */
import { beforeAll, describe, expect, test } from 'vitest';
import { runGraph } from '../../src/golden/evaluate.js';
import { decodeIr, encodeIr } from '../../src/ir/serialize.js';
import { isShareable, sharedWeightIndices, weightGroups, zeroOf, type ShareableNode } from '../../src/ir/sharing.js';
import { layerStats, totalsOf } from '../../src/ir/stats.js';
import type { Graph, SharingGranularity, Tensor } from '../../src/ir/types.js';
import { makeTensor } from '../../src/ir/types.js';
import type { Dataset } from '../../src/io/dataset.js';
import { bindMultipliers } from '../../src/passes/bind-multipliers.js';
import { histogramOf, kmeans1d } from '../../src/passes/kmeans1d.js';
import { shareWeights, withSharedLayers } from '../../src/passes/share-weights.js';
import { weightMap } from '../../src/dse/approx/weight-update.js';
import { getMultiplier } from '../../src/multipliers/index.js';
import { expectUserError } from '../helpers/user-error.js';
import { lenetFloat, mnist, quantized } from './share-fixtures.js';

let float: Graph, quant: Graph, data: Dataset;
const yieldToVitest = () => new Promise((resolve) => setImmediate(resolve)); // long synchronous steps starve its worker RPC
beforeAll(async () => {
  float = lenetFloat();
  data = mnist(float, 64);
  await yieldToVitest();
  quant = quantized(float, data);
}, 120000);

const layersOf = (g: Graph) => g.nodes.filter((n): n is ShareableNode => isShareable(n));
const weightsOf = (g: Graph, n: ShareableNode) => g.constants.get(n.inputs[1]!)!;
const outputs = (g: Graph) => {
  const env = runGraph(g, new Map([[g.inputs[0]!.name, slice(data.inputs, g.inputs[0]!.shape)]]));
  return Array.from(env.get(g.outputs[0]!)!.data);
};
function slice(x: Tensor, shape: readonly number[]): Tensor {
  const t = makeTensor('float32', shape);
  t.data.set(x.data.subarray(0, t.data.length));
  return t;
}

/** The graph with every layer's weights moved onto at most k distinct values per layer (a coarse grid). */
function withDistinctValues(g: Graph, k: number): Graph {
  const shared = new Map(layersOf(g).map((n) => {
    const w = weightsOf(g, n);
    const lo = Math.min(...w.data), hi = Math.max(...w.data);
    const step = (hi - lo) / (k - 1);
    const out = makeTensor(w.dtype, w.shape);
    for (let i = 0; i < w.data.length; i++) out.data[i] = w.dtype === 'float32' ? Math.fround(lo + step * Math.round((w.data[i]! - lo) / step)) : lo + Math.round(step * Math.round((w.data[i]! - lo) / step));
    return [n.name, out] as const;
  }));
  return { ...g, constants: new Map([...g.constants].map(([name, t]) => [name, layersOf(g).map((n) => (n.inputs[1] === name ? shared.get(n.name) : undefined)).find((x) => x) ?? t])) };
}

describe('lossless sharing', () => {
  for (const kind of ['float', 'quantized'] as const)
    for (const granularity of ['layer', 'channel', 'kernel', 'network'] as SharingGranularity[])
      test(`${kind}, ${granularity}: K distinct values per layer come back unchanged at K clusters, outputs identical`, () => {
        const g = withDistinctValues(kind === 'float' ? float : quant, 16);
        // Network granularity needs K at least the distinct values of all layers together.
        const distinct = granularity === 'network' ? new Set(layersOf(g).flatMap((n) => Array.from(weightsOf(g, n).data))).size : Math.max(...layersOf(g).map((n) => new Set(weightsOf(g, n).data).size));
        expect(distinct).toBeLessThanOrEqual(granularity === 'network' ? 16 * 5 : 16);
        const { graph: shared } = shareWeights.run(g, { clusters: distinct, granularity });
        for (const n of layersOf(shared)) {
          expect(Array.from(weightsOf(shared, n).data), n.name).toEqual(Array.from(weightsOf(g, n).data));
          expect(n.attrs.sharing!.granularity).toBe(granularity);
          const { indices, codebooks, groupOf } = sharedWeightIndices(n, weightsOf(shared, n));
          const w = weightsOf(shared, n);
          for (let i = 0; i < w.data.length; i++) expect(codebooks[groupOf(i)]![indices[i]!]).toBe(w.data[i]);
        }
        expect(outputs(shared)).toEqual(outputs(g));
      }, 30000);
});

describe('lossy sharing', () => {
  test('quantized, layer granularity, 16 clusters: 4-bit indices, each codebook the exact k-means of the layer', () => {
    const { graph: shared, stats } = shareWeights.run(quant, { clusters: 16, granularity: 'layer' });
    expect(stats.layers).toBe(5);
    for (const n of layersOf(shared)) {
      const s = n.attrs.sharing!;
      expect(s.indexBits).toBe(4);
      expect(s.codebooks).toHaveLength(1);
      const optimum = kmeans1d(histogramOf(weightsOf(quant, n).data), 16, 'integer');
      expect(s.codebooks[0]).toEqual(optimum.centroids);
      const before = weightsOf(quant, n).data, after = weightsOf(shared, n).data;
      let sse = 0;
      for (let i = 0; i < before.length; i++) sse += (before[i]! - after[i]!) ** 2;
      expect(sse).toBe(optimum.sse);
    }
  });

  test('channel and kernel granularity: one codebook per output channel / per kernel, each at most K entries', () => {
    for (const granularity of ['channel', 'kernel'] as const) {
      const { graph: shared } = shareWeights.run(quant, { clusters: 4, granularity });
      for (const n of layersOf(shared)) {
        const w = weightsOf(shared, n);
        const expected = n.op === 'QConv' && granularity === 'kernel' ? w.shape[0]! * w.shape[1]! : w.shape[0]!;
        expect(n.attrs.sharing!.codebooks, `${granularity} ${n.name}`).toHaveLength(expected);
        expect(Math.max(...n.attrs.sharing!.codebooks.map((c) => c.length))).toBeLessThanOrEqual(4);
        expect(n.attrs.sharing!.indexBits).toBe(2);
        sharedWeightIndices(n, w);
      }
    }
  });

  test('weight bits count indices plus codebooks (a network codebook once)', () => {
    const weights = layersOf(quant).map((n) => weightsOf(quant, n).data.length); // 150, 2400, 48000, 10080, 840
    const biases = 6 + 16 + 120 + 84 + 10;
    const layer = shareWeights.run(quant, { clusters: 16, granularity: 'layer' }).graph;
    const entries = layersOf(layer).reduce((s, n) => s + n.attrs.sharing!.codebooks[0]!.length, 0);
    expect(totalsOf(layerStats(layer)).weight_bits).toBe(4 * weights.reduce((a, b) => a + b, 0) + 8 * entries + 32 * biases);
    const network = shareWeights.run(quant, { clusters: 16, granularity: 'network' }).graph;
    expect(totalsOf(layerStats(network)).weight_bits).toBe(4 * weights.reduce((a, b) => a + b, 0) + 8 * 16 + 32 * biases);
  });
});

describe('pruning', () => {
  test('the smallest 30% of each layer become the zero (entry 0 of every codebook); the rest take K-1 clusters', async () => {
    for (const g of [float, quant]) {
      await yieldToVitest();
      const { graph: shared, stats } = shareWeights.run(g, { clusters: 8, granularity: 'channel', prune: 0.3 });
      let total = 0;
      for (const n of layersOf(shared)) {
        const before = weightsOf(g, n), after = weightsOf(shared, n);
        const groups = weightGroups(n, before.shape, 'channel');
        const scale = (i: number) => (n.op === 'QConv' || n.op === 'QGemm' ? n.attrs.wScale[groups.channelOf(i)]! : 1);
        const mag = Array.from(before.data, (v, i) => Math.abs(v - zeroOf(n, groups.channelOf(i))) * scale(i));
        const threshold = [...mag].sort((a, b) => a - b)[Math.floor(0.3 * mag.length) - 1]!;
        let zeros = 0;
        for (let i = 0; i < mag.length; i++) {
          if (mag[i]! < threshold) expect(after.data[i], `${n.name}[${i}] below the threshold`).toBe(zeroOf(n, groups.channelOf(i)));
          if (after.data[i] === zeroOf(n, groups.channelOf(i))) zeros++;
        }
        expect(zeros).toBeGreaterThanOrEqual(Math.floor(0.3 * mag.length));
        total += Math.floor(0.3 * mag.length);
        n.attrs.sharing!.codebooks.forEach((cb, m) => {
          expect(cb[0]).toBe(zeroOf(n, m));
          expect(cb.length).toBeLessThanOrEqual(8);
        });
        expect(n.attrs.sharing!.pruned).toBe(0.3);
        sharedWeightIndices(n, after);
      }
      expect(stats.prunedWeights).toBe(total);
    }
  });

  test('one layer codebook cannot hold per-channel zero points: a clear error', () => {
    expectUserError(() => shareWeights.run(quant, { clusters: 8, granularity: 'layer', prune: 0.3 }), 'E_USAGE', 'zero point per output channel', '--granularity channel');
  });
});

describe('float sharing, then quantize', () => {
  test('codebooks become codes; every weight code is in its codebook; per-channel scales make layer codebooks per channel', async () => {
    for (const granularity of ['layer', 'channel', 'kernel', 'network'] as const) {
      await yieldToVitest();
      const shared = shareWeights.run(float, { clusters: 16, granularity, prune: 0.2 }).graph;
      const q = quantized(shared, data);
      for (const n of layersOf(q)) {
        const s = n.attrs.sharing!;
        expect(s.granularity).toBe(granularity === 'layer' || granularity === 'network' ? 'channel' : granularity);
        expect(Math.max(...s.codebooks.map((c) => c.length))).toBeLessThanOrEqual(16);
        expect(s.codebooks.every((cb) => cb.every(Number.isInteger))).toBe(true);
        expect(s.pruned).toBe(0.2);
        sharedWeightIndices(n, weightsOf(q, n)); // throws if a code is missing or entry 0 is not the zero point
      }
      const indexBits = layersOf(q).reduce((s, n) => s + n.attrs.sharing!.indexBits * weightsOf(q, n).data.length, 0);
      const codebookBits = layersOf(q).reduce((s, n) => s + 8 * n.attrs.sharing!.codebooks.reduce((a, c) => a + c.length, 0), 0);
      expect(layerStats(q).reduce((s, r) => s + r.weightBits, 0)).toBe(indexBits + codebookBits + 32 * (6 + 16 + 120 + 84 + 10));
    }
  }, 60000);
});

describe('the IR rejects sharing that no longer fits', () => {
  test('a weight edited after sharing: E_IR_INVALID on load', () => {
    const shared = shareWeights.run(quant, { clusters: 4, granularity: 'layer' }).graph;
    const n = layersOf(shared)[1]!;
    const w = weightsOf(shared, n);
    const edited = makeTensor(w.dtype, w.shape, w.data.slice());
    edited.data[7] = n.attrs.sharing!.codebooks[0]!.includes(255) ? 254 : 255;
    const bad = { ...shared, constants: new Map([...shared.constants, [n.inputs[1]!, edited]]) };
    const { json, weights } = encodeIr(bad);
    expectUserError(() => decodeIr(JSON.parse(json), weights, 'edited.ir.json'), 'E_IR_INVALID', 'edited.ir.json', `layer '${n.name}'`, 'weight 7', 're-run adequate share');
    const ok = encodeIr(shared);
    expect(decodeIr(JSON.parse(ok.json), ok.weights, 'ok').nodes).toEqual(shared.nodes);
  });

  test('approximate binding maps the codebooks with the weights, so the bound IR stays valid', () => {
    const shared = shareWeights.run(quant, { clusters: 8, granularity: 'channel' }).graph;
    const mult = getMultiplier('mul8u_1AGV');
    const map = weightMap(mult.table, false);
    const layers = new Map(layersOf(shared).map((n) => [n.name, { multiplier: mult.id, weightMap: map }]));
    const bound = bindMultipliers.run(shared, { layers }).graph;
    layersOf(bound).forEach((n, l) => {
      expect(Array.from(weightsOf(bound, n).data)).toEqual(Array.from(weightsOf(shared, layersOf(shared)[l]!).data, (v) => map[v & 255]));
      sharedWeightIndices(n, weightsOf(bound, n));
    });
  });
});

describe('user errors', () => {
  test('bad cluster counts', () => {
    expectUserError(() => shareWeights.run(quant, { clusters: 0, granularity: 'layer' }), 'E_USAGE', '--clusters 0 must be a positive integer');
    expectUserError(() => shareWeights.run(quant, { clusters: 2.5, granularity: 'layer' }), 'E_USAGE', '--clusters 2.5');
    // The first conv has 25 weights per kernel (1 input channel, 5x5) and 150 in all.
    expectUserError(() => shareWeights.run(quant, { clusters: 26, granularity: 'kernel' }), 'E_USAGE', '--clusters 26 is more than the 25 weights', 'coarser granularity');
    expectUserError(() => shareWeights.run(quant, { clusters: 151, granularity: 'layer' }), 'E_USAGE', 'more than the 150 weights');
    expectUserError(() => shareWeights.run(quant, { clusters: 1, granularity: 'channel', prune: 0.5 }), 'E_USAGE', '--prune needs --clusters 2');
    expectUserError(() => shareWeights.run(quant, { clusters: 4, granularity: 'channel', prune: 1 }), 'E_USAGE', '--prune 1 must be a fraction');
  });

  test('withSharedLayers leaves an empty request alone', () => {
    expect(withSharedLayers(quant, new Map())).toBe(quant);
  });
});
