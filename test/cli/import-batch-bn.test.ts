/** Bugs of the import path, as a user meets them on the command line: a graph input with a fixed huge batch, and a
 *  Conv + BatchNormalization model (MACs of the folded Conv, an unfoldable BatchNormalization in the saved IR). */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { makeTensor } from '../../src/ir/types.js';
import { readNpy, writeNpy } from '../../src/io/npy.js';
import { runCliAsync } from '../helpers/cli.js';
import { buildModel, seeded } from '../helpers/onnx-builder.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir();

test('a graph input declared with a fixed batch of 789444 runs on 3 samples (the data sets the batch)', async () => {
  // y = x W^T + b with W = [[1, 2], [3, 4], [5, 6]], b = [0.5, -1, 2]: worked by hand below.
  const model = join(dir, 'huge-batch.onnx');
  writeFileSync(model, buildModel({
    inputs: [{ name: 'x', shape: [789444, 2] }], outputs: ['y'],
    initializers: [{ name: 'w', shape: [3, 2], data: [1, 2, 3, 4, 5, 6] }, { name: 'b', shape: [3], data: [0.5, -1, 2] }],
    nodes: [{ op: 'Gemm', inputs: ['x', 'w', 'b'], outputs: ['y'], attrs: { transB: 1 } }],
  }));
  writeNpy(join(dir, 'x.npy'), makeTensor('float32', [3, 2], Float32Array.from([1, 0, 0, 1, 2, -1])));
  const r = await runCliAsync(['run', model, '-i', join(dir, 'x.npy'), '-o', join(dir, 'y.npy')]);
  expect(r.code, r.stderr).toBe(0);
  const y = readNpy(join(dir, 'y.npy'));
  expect(y.shape).toEqual([3, 3]);
  // [1, 0] -> [1.5, 2, 7]; [0, 1] -> [2.5, 3, 8]; [2, -1] -> [0.5, 1, 6]
  expect(Array.from(y.data)).toEqual([1.5, 2, 7, 2.5, 3, 8, 0.5, 1, 6]);
});

test('Conv + BatchNormalization: inspect counts the folded Conv\'s 55,296 MACs; an unfoldable BatchNormalization imports to a readable IR', async () => {
  const model = join(dir, 'conv-bn.onnx');
  const bnInits = (p: string, c: number) => [
    { name: `${p}s`, shape: [c], data: seeded(3, c) }, { name: `${p}t`, shape: [c], data: seeded(4, c) },
    { name: `${p}m`, shape: [c], data: seeded(5, c) }, { name: `${p}v`, shape: [c], data: seeded(6, c).map((v) => v * v + 0.1) },
  ];
  writeFileSync(model, buildModel({
    inputs: [{ name: 'x', shape: [1, 3, 16, 16] }], outputs: ['y'],
    initializers: [{ name: 'w', shape: [8, 3, 3, 3], data: seeded(1, 216) }, ...bnInits('a', 8), ...bnInits('b', 8)],
    nodes: [
      { op: 'Conv', inputs: ['x', 'w'], outputs: ['c'], attrs: { pads: [1, 1, 1, 1] } },
      { op: 'BatchNormalization', inputs: ['c', 'as', 'at', 'am', 'av'], outputs: ['n'] },
      { op: 'Relu', inputs: ['n'], outputs: ['r'] },
      { op: 'BatchNormalization', inputs: ['r', 'bs', 'bt', 'bm', 'bv'], outputs: ['y'] },
    ],
  }));
  const inspect = await runCliAsync(['inspect', model, '--json']);
  expect(inspect.code, inspect.stderr).toBe(0);
  expect(JSON.parse(inspect.stdout).totals.macs).toBe(55296); // 8 x 16 x 16 outputs x 27 products
  const ir = join(dir, 'conv-bn-ir');
  expect((await runCliAsync(['import', model, '-o', ir])).code).toBe(0);
  const back = await runCliAsync(['inspect', ir, '--json']);
  expect(back.code, back.stderr).toBe(0);
  expect(JSON.parse(back.stdout).totals.macs).toBe(55296);
  // eval straight from the .onnx: 130 samples are split over worker threads, which decode the IR as saved.
  writeNpy(join(dir, 'xs.npy'), makeTensor('float32', [130, 3, 16, 16], seeded(40, 130 * 768)));
  writeNpy(join(dir, 'ys.npy'), makeTensor('int32', [130], Int32Array.from({ length: 130 }, (_, i) => i)));
  const ev = await runCliAsync(['eval', model, '--inputs', join(dir, 'xs.npy'), '--labels', join(dir, 'ys.npy'), '--json']);
  expect(ev.code, ev.stderr).toBe(0);
  expect(JSON.parse(ev.stdout).count).toBe(130);
});
