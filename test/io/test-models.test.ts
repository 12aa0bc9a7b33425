/** The committed test models (test/models, built by make_models.py) are valid: ONNX Runtime loads each one, runs it
 *  on its committed input .npy files, and produces finite outputs. The importer's differential tests rely on this. */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, test } from 'vitest';
import { readNpy } from '../../src/io/npy.js';

const DIR = new URL('../models/', import.meta.url).pathname;
const models = readdirSync(DIR).filter((f) => f.endsWith('.onnx')).map((f) => f.slice(0, -5)).sort();

describe('test/models', () => {
  test('the expected models are all there and small', () => {
    expect(models).toEqual([
      'external_data', 'gemm_variants', 'lrn_pool', 'mixed_cnn', 'old_opset9', 'opset7', 'qdq', 'shape_ops', 'symbolic_dims',
    ]);
    expect(existsSync(join(DIR, 'external_data.onnx.data'))).toBe(true);
  });

  for (const name of models) {
    test(`${name} runs in onnxruntime-node on its inputs`, async () => {
      const session = await ort.InferenceSession.create(join(DIR, `${name}.onnx`), { logSeverityLevel: 3 });
      const feeds: Record<string, ort.Tensor> = {};
      for (const [i, input] of session.inputNames.entries()) {
        const own = join(DIR, `${name}.${input}.npy`);
        const file = session.inputNames.length > 1 ? own : join(DIR, `${name}.input.npy`);
        const t = readNpy(file);
        expect(t.dtype).toBe('float32');
        feeds[input] = new ort.Tensor('float32', t.data as Float32Array, [...t.shape]);
        if (i === 0 && session.inputNames.length > 1) {
          expect(Array.from(readNpy(join(DIR, `${name}.input.npy`)).data)).toEqual(Array.from(t.data));
        }
      }
      const out = await session.run(feeds);
      expect(Object.keys(out)).toEqual([...session.outputNames]);
      for (const o of Object.values(out)) {
        expect(o.dims[0]).toBeGreaterThan(0);
        for (const v of o.data as Float32Array) expect(Number.isFinite(v)).toBe(true);
      }
    });
  }
});
