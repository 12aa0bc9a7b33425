import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { isUserError } from '../../src/errors.js';
import { type DType, type Tensor, makeTensor } from '../../src/ir/types.js';
import { encodeNpy, parseNpy, readNpy, writeNpy } from '../../src/io/npy.js';
import { hasNumpy, runPython, testWithNumpy } from './python.js';
import { expectUserError } from '../helpers/user-error.js';

const FIXTURES = new URL('./fixtures/', import.meta.url).pathname;


const EXPECTED_DTYPE: Record<string, DType> = {
  f4: 'float32', f8: 'float32', f2: 'float32',
  i8: 'int64', u8: 'int64', u4: 'int64',
  i4: 'int32', i2: 'int32', u2: 'int32',
  i1: 'int8', u1: 'uint8', b1: 'bool',
};

interface Case {
  name: string;
  descr: string;
  expect: 'ok' | 'fortran' | 'overflow' | 'structured' | 'dtype';
  shape?: number[];
  values?: number[];
}

describe('npy files written by NumPy', () => {
  let dir = '';
  let cases: Case[] = [];
  beforeAll(() => {
    if (!hasNumpy()) return;
    dir = mkdtempSync(join(tmpdir(), 'adequate-npy-'));
    runPython([join(FIXTURES, 'make_npy.py'), dir]);
    cases = JSON.parse(readFileSync(join(dir, 'cases.json'), 'utf8')) as Case[];
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  testWithNumpy('every supported dtype, byte order and version reads back exactly', () => {
    const ok = cases.filter((c) => c.expect === 'ok');
    expect(ok.length).toBeGreaterThan(20);
    for (const c of ok) {
      const t = readNpy(join(dir, `${c.name}.npy`));
      const kind = c.descr.slice(1);
      expect(t.dtype, c.name).toBe(EXPECTED_DTYPE[kind]);
      expect(t.shape, c.name).toEqual(c.shape);
      const want = t.dtype === 'float32' ? c.values!.map((v) => Math.fround(v)) : c.values!;
      expect(Array.from(t.data), c.name).toEqual(want);
    }
  });

  testWithNumpy('unsupported files give one-line E_NPY errors naming the file', () => {
    const frag: Record<string, RegExp> = {
      fortran: /Fortran-order.*ascontiguousarray/,
      overflow: /beyond \+-2\^53/,
      structured: /structured/,
      dtype: /unsupported NumPy dtype/,
    };
    const bad = cases.filter((c) => c.expect !== 'ok');
    expect(bad.length).toBe(5);
    for (const c of bad) {
      const path = join(dir, `${c.name}.npy`);
      expectUserError(() => readNpy(path), 'E_NPY', path, frag[c.expect]!);
    }
  });

  testWithNumpy('truncated files and flipped header bytes are clean errors', () => {
    const path = join(dir, 'f4.npy');
    const bytes = readFileSync(path);
    for (const cut of [0, 3, 7, 9, 20, 127, bytes.length - 1]) {
      expectUserError(() => parseNpy(bytes.subarray(0, cut), 'cut.npy'), 'E_NPY', 'cut.npy');
    }
    for (let i = 0; i < 128; i++) {
      const b = Uint8Array.from(bytes);
      b[i] = b[i]! ^ 0x5a;
      try {
        parseNpy(b, 'flip.npy');
      } catch (e) {
        if (!isUserError(e)) throw e;
        expect(e.message).toContain('flip.npy');
      }
    }
  });

  testWithNumpy('files written here load in NumPy with the right dtype, shape and values', () => {
    const tensors: Record<string, Tensor> = {
      f32: makeTensor('float32', [2, 3], Float32Array.from([0.1, -2, 3.5, 1e-30, -0, 7])),
      i64: makeTensor('int64', [4], Float64Array.from([0, -1, 2 ** 53, -(2 ** 40)])),
      i32: makeTensor('int32', [2, 2], Int32Array.from([-(2 ** 31), 2 ** 31 - 1, 0, 5])),
      i8: makeTensor('int8', [3], Int8Array.from([-128, 0, 127])),
      u8: makeTensor('uint8', [1, 3], Uint8Array.from([0, 128, 255])),
      bool: makeTensor('bool', [2], Uint8Array.from([1, 0])),
      scalar: makeTensor('float32', [], Float32Array.from([4.25])),
      empty: makeTensor('float32', [0, 5]),
    };
    const paths: string[] = [];
    for (const [k, t] of Object.entries(tensors)) {
      const p = join(dir, `ours_${k}.npy`);
      writeNpy(p, t);
      paths.push(p);
    }
    const res = JSON.parse(runPython([join(FIXTURES, 'check_npy.py'), ...paths])) as Record<
      string,
      { descr: string; shape: number[]; values: number[]; version: number[] }
    >;
    const descr: Record<DType, string> = { float32: '<f4', int64: '<i8', int32: '<i4', int8: '|i1', uint8: '|u1', bool: '|b1' };
    for (const [k, t] of Object.entries(tensors)) {
      const r = res[join(dir, `ours_${k}.npy`)]!;
      expect(r.descr, k).toBe(descr[t.dtype]);
      expect(r.shape, k).toEqual(t.shape);
      expect(r.values, k).toEqual(Array.from(t.data));
      expect(r.version, k).toEqual([1, 0]);
    }
  });
});

describe('npy round trip', () => {
  test('encode then parse gives the same tensor for every dtype', () => {
    const cases: Tensor[] = [
      makeTensor('float32', [3, 1, 2], Float32Array.from([1.5, -2.25, 0, NaN, Infinity, -1e-38])),
      makeTensor('int64', [2, 2], Float64Array.from([-(2 ** 53), 2 ** 53, 0, -7])),
      makeTensor('int32', [3], Int32Array.from([-5, 0, 2147483647])),
      makeTensor('int8', [2], Int8Array.from([-128, 127])),
      makeTensor('uint8', [2, 1], Uint8Array.from([0, 255])),
      makeTensor('bool', [3], Uint8Array.from([1, 0, 1])),
      makeTensor('float32', []),
      makeTensor('int32', [4, 0]),
    ];
    for (const t of cases) {
      const bytes = encodeNpy(t);
      // Data starts at a multiple of 64 bytes, like NumPy's own files.
      const headerLen = bytes[8]! | (bytes[9]! << 8);
      expect((10 + headerLen) % 64).toBe(0);
      const back = parseNpy(bytes, 'mem.npy');
      expect(back.dtype).toBe(t.dtype);
      expect(back.shape).toEqual(t.shape);
      expect(Array.from(back.data)).toEqual(Array.from(t.data));
    }
  });

  test('writeNpy and readNpy through the file system', () => {
    const dir = mkdtempSync(join(tmpdir(), 'adequate-npy-'));
    try {
      const t = makeTensor('float32', [2, 2], Float32Array.from([1, 2, 3, 4]));
      writeNpy(join(dir, 'a.npy'), t);
      expect(Array.from(readNpy(join(dir, 'a.npy')).data)).toEqual([1, 2, 3, 4]);
      expectUserError(() => readNpy(join(dir, 'missing.npy')), 'E_IO', 'missing.npy');
      expectUserError(() => writeNpy(join(dir, 'no', 'such', 'dir.npy'), t), 'E_IO', 'dir.npy');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('garbage and headers NumPy would not write are E_NPY', () => {
    expectUserError(() => parseNpy(new TextEncoder().encode('hello world, not numpy'), 'g.npy'), 'E_NPY', 'g.npy', /magic/);
    const mk = (header: string, major = 1, data = 0): Uint8Array => {
      const pre = major === 1 ? 10 : 12;
      const b = new Uint8Array(pre + header.length + data);
      b.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
      if (major === 1) new DataView(b.buffer).setUint16(8, header.length, true);
      else new DataView(b.buffer).setUint32(8, header.length, true);
      for (let i = 0; i < header.length; i++) b[pre + i] = header.charCodeAt(i);
      return b;
    };
    expectUserError(() => parseNpy(mk("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", 4), 'v.npy'), 'E_NPY', /version 4\.0/);
    expectUserError(() => parseNpy(mk("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }"), 't.npy'), 'E_NPY', /truncated data/);
    expectUserError(() => parseNpy(mk("{'descr': '<f4', 'fortran_order': False, 'shape': (2,"), 'h.npy'), 'E_NPY', /unreadable header/);
    expectUserError(() => parseNpy(mk("{'descr': '<f4', 'shape': (2,)}"), 'h.npy'), 'E_NPY', /fortran_order/);
    expectUserError(() => parseNpy(mk("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,)}"), 'h.npy'), 'E_NPY', /shape/);
    expectUserError(() => parseNpy(mk("{'descr': '<f3', 'fortran_order': False, 'shape': ()}"), 'h.npy'), 'E_NPY', /dtype '<f3'/);
    const ok = parseNpy(mk("{'descr': '<i2', 'fortran_order': False, 'shape': (1,)}", 2, 2), 'ok.npy');
    expect(ok.dtype).toBe('int32');
    // Header-length field pointing past the end of the file.
    const b = mk("{'descr': '<f4', 'fortran_order': False, 'shape': (2,)}");
    new DataView(b.buffer).setUint16(8, 60000, true);
    expectUserError(() => parseNpy(b, 'long.npy'), 'E_NPY', /runs past the end/);
  });
});

