/** adequate quantize on the shipped examples: the accuracy bar (at most 0.3 points lost on 5,000 MNIST test images
 *  calibration never saw), the integer IR through eval and run --dump-layers, and bad input. */
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { readNpy, writeNpy } from '../../src/io/npy.js';
import { runCliAsync, REPO } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir();

describe.each(['lenet5-mnist', 'mlp-mnist'])('adequate quantize %s', (example) => {
  const out = join(dir, example);
  test('8-bit unsigned quantization loses at most 0.3 points of top-1', async () => {
    const r = await runCliAsync(['quantize', join(REPO, 'examples', example, 'model.onnx'), '-o', out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.calibration_samples).toBe(500);
    expect(j.accuracy.count).toBe(5000);
    expect(j.accuracy.float_top1 - j.accuracy.quantized_top1).toBeLessThanOrEqual(0.003);
  });

  test('eval on the quantized IR runs the integer golden model', async () => {
    const r = await runCliAsync(['eval', out, '--limit', '500', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.arithmetic).toBe('integer');
    expect(j.top1).toBeGreaterThan(0.95);
  });
});

test('run --dump-layers writes every layer output as integer codes', async () => {
  const ir = join(dir, 'lenet5-mnist');
  const x = join(dir, 'x.npy');
  writeNpy(x, { dtype: 'float32', shape: [2, 1, 28, 28], data: new Float32Array(2 * 784).map((_, i) => (i % 29) / 29) });
  const layers = join(dir, 'layers');
  const r = await runCliAsync(['run', ir, '--input', x, '--dump-layers', layers]);
  expect(r.code, r.stderr).toBe(0);
  const files = readdirSync(layers);
  const conv = readNpy(join(layers, files.find((f) => f.includes('features.0'))!));
  expect(conv.dtype).toBe('uint8');
  expect(conv.shape).toEqual([2, 6, 28, 28]);
});

test('signed scheme and a per-layer config file', async () => {
  const cfg = join(dir, 'q.json');
  writeFileSync(cfg, JSON.stringify({ defaults: { activationRange: 'percentile' }, layers: { '/classifier/classifier.5/Gemm': { weightBits: 6 } } }));
  const r = await runCliAsync(['quantize', join(REPO, 'examples/lenet5-mnist/model.onnx'), '-o', join(dir, 'signed'), '--scheme', 'signed', '--config', cfg, '--eval-limit', '1000', '--json']);
  expect(r.code, r.stderr).toBe(0);
  const j = JSON.parse(r.stdout);
  expect(j.layers_detail.every((l: { scheme: string }) => l.scheme === 'signed')).toBe(true);
  expect(j.accuracy.quantized_top1).toBeGreaterThan(0.97);
});

test('bias correction recovers most of the loss of 3-bit weights', async () => {
  const acc = async (extra: string[]) => {
    const r = await runCliAsync(['quantize', join(REPO, 'examples/lenet5-mnist/model.onnx'), '-o', join(dir, `bc${extra.length}`), '--weight-bits', '3', '--calib', '200', '--eval-limit', '2000', '--json', ...extra]);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout).accuracy.quantized_top1 as number;
  };
  const plain = await acc([]), corrected = await acc(['--bias-correction']);
  expect(corrected).toBeGreaterThan(plain + 0.003);
});

test('a QDQ model keeps its own scales and zero points', async () => {
  const { loadIr } = await import('../../src/ir/serialize.js');
  const out = join(dir, 'qdq');
  const r = await runCliAsync(['quantize', join(REPO, 'test/models/qdq.onnx'), '-o', out, '--inputs', join(REPO, 'test/models/qdq.input.npy'), '--calib', '2']);
  expect(r.code, r.stderr).toBe(0);
  const g = loadIr(out);
  const q = g.nodes.find((n) => n.op === 'QuantizeLinear')!;
  // make_models.py: input quantized per tensor with scale 0.02, zero point 128 (uint8).
  expect(q.op === 'QuantizeLinear' && [q.attrs.quant.scale[0], q.attrs.quant.zeroPoint[0]]).toEqual([Math.fround(0.02), 128]);
  const conv = g.nodes.find((n) => n.op === 'QConv')!;
  expect(conv.op === 'QConv' && conv.attrs.aScale).toBeCloseTo(0.02, 7);
  expect(conv.op === 'QConv' && new Set(conv.attrs.wScale).size).toBe(4); // per-axis weight scales, one per output channel
});

describe('bad input', () => {
  const model = join(REPO, 'examples/lenet5-mnist/model.onnx');
  const fail = async (args: string[], code: string, mention: string) => {
    const out = join(dir, `bad-${Math.random().toString(36).slice(2)}`);
    const r = await runCliAsync(['quantize', model, '-o', out, ...args]);
    expect(r.code, r.stdout + r.stderr).toBe(2);
    // One error line, last; only progress lines (calibration) may come before it.
    const lines = r.stderr.trim().split('\n');
    expect(lines.filter((l) => l.includes('error['))).toHaveLength(1);
    expect(lines.at(-1)).toContain('error[');
    expect(r.stderr).toContain(code);
    expect(r.stderr).toContain(mention);
    expect(existsSync(out)).toBe(false);
  };
  test('calibration data of the wrong shape', async () => {
    const x = join(dir, 'wrong.npy');
    writeNpy(x, { dtype: 'float32', shape: [20, 3, 10, 10], data: new Float32Array(6000) });
    await fail(['--inputs', x], 'E_DATASET', 'wrong.npy');
  });
  test('labels count mismatch', async () => {
    const x = join(dir, 'x20.npy'), y = join(dir, 'y7.npy');
    writeNpy(x, { dtype: 'float32', shape: [20, 1, 28, 28], data: new Float32Array(20 * 784) });
    writeNpy(y, { dtype: 'int64', shape: [7], data: new Float64Array(7) });
    await fail(['--inputs', x, '--labels', y], 'E_DATASET', 'y7.npy');
  });
  test('too few samples', async () => {
    const x = join(dir, 'x3.npy');
    writeNpy(x, { dtype: 'float32', shape: [3, 1, 28, 28], data: new Float32Array(3 * 784) });
    await fail(['--inputs', x], 'E_DATASET', 'only 3 calibration samples');
  });
  test('bits out of range', async () => await fail(['--bits', '20'], 'E_USAGE', "--bits '20' is not valid: give an integer from 2 to 16"));
  test('an accumulator wider than int32', async () => await fail(['--bits', '16', '--calib', '20'], 'E_QUANT', 'accumulator needs'));
});
