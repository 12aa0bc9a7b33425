/** The sharing exploration's parts: the design space (canonical form, options), the evaluator against the plain
 *  golden model, the NNLS proxy against its optimality conditions, and the search with a synthetic accuracy. */
import { beforeAll, describe, expect, test } from 'vitest';
import { graphRunner, top1 } from '../../src/golden/accuracy.js';
import { sharedWeightIndices } from '../../src/ir/sharing.js';
import type { Graph } from '../../src/ir/types.js';
import type { Dataset } from '../../src/io/dataset.js';
import { withSharedLayers } from '../../src/passes/share-weights.js';
import { SharingEvaluator, type LayerChoice } from '../../src/dse/share/evaluator.js';
import { exploreSharing, type AccuracyRunner } from '../../src/dse/share/explore.js';
import { fitDropModel } from '../../src/dse/share/proxy.js';
import { ShareSpace } from '../../src/dse/share/space.js';
import { createRng } from '../../src/dse/prng.js';
import { expectUserError } from '../helpers/user-error.js';
import { lenetFloat, mnist, quantized } from '../passes/share-fixtures.js';

let quant: Graph, data: Dataset, space: ShareSpace;
beforeAll(async () => {
  const float = lenetFloat();
  data = mnist(float, 500);
  await new Promise((resolve) => setImmediate(resolve)); // long synchronous steps starve vitest's worker RPC
  quant = quantized(float, data);
  space = new ShareSpace(quant, ['layer', 'channel', 'kernel'], 6);
}, 60000);

const choices = (genome: readonly number[]): LayerChoice[] => space.options(genome).map((o) => ({ key: o.key, shared: o.shared }));
const graphOf = (genome: readonly number[]) => withSharedLayers(quant, new Map(space.options(genome).flatMap((o, i) => (o.shared ? [[space.layers[i]!.node.name, o.shared] as const] : []))));

describe('design space', () => {
  test('canonical form: unshared layers at granularity 0, bits capped at lossless, Gemm kernels are channels', () => {
    const g = space.canonicalize([0, 2, 6, 2, 3, 2, 2, 1, 9, 0]);
    expect(g.slice(0, 2)).toEqual([0, 0]);
    // conv2 per kernel: 25 weights per kernel, so at most 5 bits
    expect(g.slice(2, 4)).toEqual([Math.min(6, space.layers[1]!.losslessBits[2]!), 2]);
    expect(g.slice(4, 6)).toEqual([3, 1]); // Gemm 'kernel' -> 'channel'
    expect(space.canonicalize(g)).toEqual(g);
  });

  test('an option is the shared layer with its memory (indices plus codebooks) and normalised error', () => {
    const o = space.option(2, 3, 0);
    const s = o.shared!;
    expect(s.sharing.indexBits).toBe(3);
    expect(o.bits).toBe(48000 * 3 + 8 * s.sharing.codebooks[0]!.length);
    expect(o.error).toBeCloseTo(s.sse / s.spread, 12);
    sharedWeightIndices({ ...space.layers[2]!.node, attrs: { ...space.layers[2]!.node.attrs, sharing: s.sharing } } as never, s.weights);
    expect(space.option(2, 0, 0)).toMatchObject({ shared: undefined, bits: 48000 * 8, error: 0, key: '' });
  });

  test('bad settings are clear errors', () => {
    expectUserError(() => new ShareSpace(quant, ['layer'], 0), 'E_USAGE', '--max-bits 0');
    expectUserError(() => new ShareSpace(quant, [], 4), 'E_USAGE', 'at least one granularity');
  });
});

test('the evaluator (rebatched, restarted at kept prefixes, chunk ranges) equals the plain golden model', async () => {
  const evaluator = new SharingEvaluator(quant, space.layers.map((l) => l.node.name), data.inputs, data.labels!);
  expect(evaluator.chunkCount).toBe(2);
  const genomes = [
    [0, 0, 0, 0, 2, 0, 0, 0, 0, 0],
    [0, 0, 0, 0, 2, 0, 3, 1, 0, 0], // shares the kept prefix of the first design up to layer 3
    [2, 1, 3, 2, 2, 0, 3, 1, 1, 0],
    [0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    [2, 1, 3, 2, 2, 0, 3, 1, 2, 1], // kept prefix of the third, last layer changed
  ].map((g) => space.canonicalize(g));
  for (const g of genomes) {
    await new Promise((resolve) => setImmediate(resolve)); // let vitest's worker talk between designs
    const plain = top1(graphRunner(graphOf(g)), quant.inputs[0]!.shape, data);
    expect(evaluator.evaluate(choices(g)).correct, g.join(',')).toBe(plain.correct);
    // The same design measured chunk by chunk adds up to the same count.
    const parts = [0, 1].map((c) => evaluator.evaluate(choices(g), c, c + 1).correct);
    expect(parts.reduce((a, b) => a + b, 0)).toBe(plain.correct);
  }
}, 120000);

test('the proxy fit is the non-negative least-squares optimum (KKT conditions) and recovers exact sensitivities', () => {
  const rng = createRng(11);
  const truth = [0.5, 0, 2, 0.1];
  const points = Array.from({ length: 20 }, () => {
    const errors = truth.map(() => rng.float() * 0.1);
    return { errors, drop: errors.reduce((s, e, l) => s + e * truth[l]!, 0) };
  });
  const exact = fitDropModel(points, 4, 0.001);
  exact.beta.forEach((b, l) => expect(b).toBeCloseTo(truth[l]!, 6));
  expect(exact.margin).toBe(0.001); // a perfect fit: the floor
  // Noisy data with a negative true coefficient: beta >= 0, gradient zero on free coefficients, >= 0 on clamped ones.
  const noisy = points.map((p) => ({ errors: p.errors, drop: p.drop - 3 * p.errors[1]! + (rng.float() - 0.5) * 0.01 }));
  const m = fitDropModel(noisy, 4, 0);
  const grad = [0, 1, 2, 3].map((a) => noisy.reduce((s, p) => s + 2 * p.errors[a]! * (m.predict(p.errors) - p.drop), 0));
  m.beta.forEach((b, a) => {
    expect(b).toBeGreaterThanOrEqual(0);
    if (b > 0) expect(Math.abs(grad[a]!)).toBeLessThan(1e-8);
    else expect(grad[a]!).toBeGreaterThan(-1e-8);
  });
  expect(m.beta[1]).toBe(0);
});

describe('the search', () => {
  /** Synthetic top-1: 0.99 minus the clustering errors weighted per layer (a known, exactly additive sensitivity). */
  const weights = [0.5, 0.2, 0.05, 0.1, 0.3];
  const fake = (): AccuracyRunner & { calls: number } => {
    const r = {
      calls: 0,
      chunkCount: 1,
      evaluate(_genome: readonly number[], c: readonly LayerChoice[]) {
        r.calls++;
        const loss = c.reduce((s, x, l) => s + (x.shared ? (x.shared.sse / x.shared.spread) * weights[l]! : 0), 0);
        return { correct: Math.round(10000 * (0.99 - loss)), count: 10000 };
      },
    };
    return r;
  };

  test('measures only designs that could join the front; proxy-only designs are beaten by a measured design; deterministic', async () => {
    const runner = fake();
    const r = await exploreSharing(space, runner, { pop: 16, gen: 6, seed: 5, maxDrop: 0.5 });
    expect(runner.calls).toBe(r.accuracyEvaluations); // one chunk: one call per measured design
    expect(r.accuracyEvaluations + r.proxyOnly).toBe(r.evaluations + 1); // + the unshared baseline
    expect(r.proxyOnly).toBeGreaterThan(0);
    for (const d of r.designs.filter((x) => !x.measured))
      expect(r.designs.some((m) => m.full && m.memoryBits <= d.memoryBits && m.top1 > d.top1), d.keys.join(' ')).toBe(true);
    // The proxy learnt the synthetic sensitivities.
    r.dropModel!.beta.forEach((b, l) => expect(b).toBeCloseTo(weights[l]!, 2)); // top-1 rounded to 1/10000
    expect(r.front.every((d) => d.full)).toBe(true);
    const again = await exploreSharing(space, fake(), { pop: 16, gen: 6, seed: 5, maxDrop: 0.5 });
    expect(again.front.map((d) => d.keys.join(' '))).toEqual(r.front.map((d) => d.keys.join(' ')));
  }, 120000);
});
