/** The example models reach the float accuracy recorded in their accuracy.json (measured in PyTorch by train.py)
 *  when ONNX Runtime runs them on the data their dataset.json names, loaded and preprocessed by loadDataset. This
 *  checks dataset.json, the npm: paths, the IDX reader, the preprocessing and the exported models together. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, test } from 'vitest';
import { datasetOptionsFromConfig, findDatasetConfig, loadDataset } from '../../src/io/dataset.js';

const EXAMPLES = new URL('../../examples/', import.meta.url).pathname;

describe.each([
  ['lenet5-mnist', 'input', 'logits', [1, 1, 28, 28]],
  ['mlp-mnist', 'input', 'probs', [1, 784]],
] as const)('examples/%s', (name, inputName, outputName, shape) => {
  test('float top-1 on the 10,000 MNIST test images matches accuracy.json', async () => {
    const model = join(EXAMPLES, name, 'model.onnx');
    const recorded = JSON.parse(readFileSync(join(EXAMPLES, name, 'accuracy.json'), 'utf8')) as { top1: number; count: number };
    const cfg = findDatasetConfig(model);
    expect(cfg).toBeDefined();
    const ds = loadDataset(datasetOptionsFromConfig(cfg!, 'test')!, { shape });
    expect(ds.count).toBe(recorded.count);
    const session = await ort.InferenceSession.create(model, { logSeverityLevel: 3 });
    expect(session.inputNames).toEqual([inputName]);
    expect(session.outputNames).toEqual([outputName]);
    const per = ds.inputs.data.length / ds.count;
    const batch = 1000;
    let correct = 0;
    for (let i = 0; i < ds.count; i += batch) {
      const n = Math.min(batch, ds.count - i);
      const x = (ds.inputs.data as Float32Array).subarray(i * per, (i + n) * per);
      const out = await session.run({ [inputName]: new ort.Tensor('float32', x, [n, ...shape.slice(1)]) });
      const y = out[outputName]!.data as Float32Array;
      const k = y.length / n;
      for (let s = 0; s < n; s++) {
        let best = 0;
        for (let j = 1; j < k; j++) if (y[s * k + j]! > y[s * k + best]!) best = j;
        if (best === ds.labels![i + s]) correct++;
      }
    }
    // ONNX Runtime and PyTorch may round differently on a rare borderline image.
    expect(Math.abs(correct / ds.count - recorded.top1)).toBeLessThanOrEqual(0.0005);
  });
});
