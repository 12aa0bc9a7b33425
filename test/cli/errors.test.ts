/** Bad input gets one clear line on stderr, exit code 2, and no output folder left behind. */
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { runCli, REPO } from '../helpers/cli.js';
import { buildModel, DT } from '../helpers/onnx-builder.js';
import { tempDir } from '../helpers/tmp.js';

const LENET = join(REPO, 'examples/lenet5-mnist/model.onnx');

function expectUserError(args: string[], code: string, ...mentions: string[]) {
  const r = runCli(args);
  expect(r.code, r.stderr).toBe(2);
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toContain(`error[${code}]`);
  for (const m of mentions) expect(lines[0]).toContain(m);
  return lines[0]!;
}

function importFails(bytes: Uint8Array, code: string, ...mentions: string[]) {
  const dir = tempDir();
  const model = join(dir, 'bad.onnx');
  writeFileSync(model, bytes);
  const out = join(dir, 'out');
  expectUserError(['import', model, '-o', out], code, ...mentions);
  expect(existsSync(out)).toBe(false);
}

describe('bad input', () => {
  test('truncated model', () => importFails(readFileSync(LENET).subarray(0, 5000), 'E_ONNX_DECODE', 'bad.onnx'));
  test('not an ONNX file', () => importFails(new TextEncoder().encode('hello, this is not a model\n'.repeat(20)), 'E_ONNX_DECODE'));
  test('unknown op names node, op, domain and opset', () =>
    importFails(
      buildModel({ inputs: [{ name: 'x', shape: [1, 4] }], outputs: ['y'], nodes: [{ op: 'Frobnicate', name: 'mystery', inputs: ['x'], outputs: ['y'] }], opset: 17 }),
      'E_ONNX_UNSUPPORTED_OP', "'mystery'", 'Frobnicate', 'ai.onnx', 'opset 17',
    ));
  test('op of another domain', () =>
    importFails(
      buildModel({ inputs: [{ name: 'x', shape: [1, 4] }], outputs: ['y'], nodes: [{ op: 'Relu', domain: 'com.microsoft', inputs: ['x'], outputs: ['y'] }] }),
      'E_ONNX_UNSUPPORTED_OP', 'com.microsoft',
    ));
  test('unsupported attribute value', () =>
    importFails(
      buildModel({
        inputs: [{ name: 'x', shape: [1, 4] }], outputs: ['y'],
        initializers: [{ name: 'p', shape: [4], data: [0, 1, 0, 1], elemType: DT.INT64 }],
        nodes: [{ op: 'Pad', inputs: ['x', 'p'], outputs: ['y'], attrs: { mode: 'reflect' } }],
      }),
      'E_ONNX_ATTRIBUTE', 'mode', 'reflect',
    ));
  test('shape mismatch', () =>
    importFails(
      buildModel({
        inputs: [{ name: 'x', shape: [1, 3, 8, 8] }], outputs: ['y'],
        initializers: [{ name: 'w', shape: [4, 2, 3, 3], data: new Float32Array(72) }],
        nodes: [{ op: 'Conv', name: 'c1', inputs: ['x', 'w'], outputs: ['y'] }],
      }),
      'E_SHAPE', "'c1'", '3 channels',
    ));
  test('symbolic dimension other than batch names it and the fix', () => {
    const bytes = buildModel({ inputs: [{ name: 'x', shape: ['N', 3, 'H', 8] }], outputs: ['y'], nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }] });
    importFails(bytes, 'E_SHAPE', "'x'", "'H'", '--input-shape');
    const dir = tempDir();
    writeFileSync(join(dir, 'm.onnx'), bytes);
    const r = runCli(['inspect', join(dir, 'm.onnx'), '--input-shape', 'x=2x3x5x8', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).rows[0].output_shape).toEqual([2, 3, 5, 8]);
  });
  test('missing external data', () => {
    const dir = tempDir();
    copyFileSync(join(REPO, 'test/models/external_data.onnx'), join(dir, 'external_data.onnx'));
    expectUserError(['import', join(dir, 'external_data.onnx'), '-o', join(dir, 'out')], 'E_ONNX_EXTERNAL_DATA', 'missing');
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });
  test('unreadable .npy', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'x.npy'), 'garbage');
    expectUserError(['run', LENET, '--input', join(dir, 'x.npy'), '--output', join(dir, 'y.npy')], 'E_NPY', 'x.npy');
    expect(existsSync(join(dir, 'y.npy'))).toBe(false);
  });
  test('missing model file', () => expectUserError(['inspect', '/nonexistent/model.onnx'], 'E_IO', '/nonexistent/model.onnx'));
  test('IR folder that does not match the schema', () => {
    const dir = tempDir();
    const ir = join(dir, 'ir');
    expect(runCli(['import', LENET, '-o', ir]).code).toBe(0);
    const doc = JSON.parse(readFileSync(join(ir, 'model.ir.json'), 'utf8'));
    doc.nodes[0].attrs.group = 0;
    writeFileSync(join(ir, 'model.ir.json'), JSON.stringify(doc));
    expectUserError(['inspect', ir], 'E_IR_INVALID', 'group');
  });
  test('unknown command', () => expectUserError(['frobnicate'], 'E_USAGE', 'frobnicate'));
});
