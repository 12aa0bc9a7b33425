/** Every command meets bad input with exit code 2 and one clear line (`adequate: error[E_...]: ...`), and leaves no
 *  output folder or temporary behind. */
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { runCliAsync } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir();
const missing = join(dir, 'missing.onnx');
const garbage = join(dir, 'garbage.onnx');
const notIr = join(dir, 'not-an-ir');
const badConfig = join(dir, 'bad.yaml');
const out = join(dir, 'out');
const unwritable = '/proc/version/out'; // a path under a file: no user, not even root, can create it
const lenet = 'examples/lenet5-mnist/model.onnx';

beforeAll(() => {
  writeFileSync(garbage, Buffer.from('this is not a protobuf \u0000\u0001\u0002 at all'.repeat(8)));
  writeFileSync(join(dir, 'labels.txt'), 'not an array file');
  writeFileSync(badConfig, 'approx:\n  tiles: two\n');
});

const cases: [string, string[], RegExp?][] = [
  ['import: missing file', ['import', missing, '-o', out]],
  ['import: garbage ONNX', ['import', garbage, '-o', out], /garbage\.onnx/],
  ['import: unwritable output', ['import', lenet, '-o', unwritable], /E_IO/],
  ['inspect: garbage ONNX', ['inspect', garbage]],
  ['inspect: not an IR folder', ['inspect', notIr]],
  ['run: missing file', ['run', missing]],
  ['eval: wrong labels file', ['eval', lenet, '--inputs', join(dir, 'labels.txt'), '--labels', join(dir, 'labels.txt')]],
  ['quantize: garbage ONNX', ['quantize', garbage, '-o', out]],
  ['quantize: bad bits', ['quantize', lenet, '-o', out, '--bits', '40']],
  ['approx: float model', ['approx', lenet, '-o', out]],
  ['share: missing model', ['share', missing, '--clusters', '4', '--granularity', 'layer', '-o', out]],
  ['share: zero clusters', ['share', lenet, '--clusters', '0', '--granularity', 'layer', '-o', out], /clusters/],
  ['share-explore: missing model', ['share-explore', missing, '-o', out]],
  ['wordlength: missing model', ['wordlength', missing, '--kind', 'fixed', '-o', out]],
  ['emit hls: float model', ['emit', 'hls', lenet, '-o', out], /quantize/],
  ['emit verilog: garbage ONNX', ['emit', 'verilog', garbage, '-o', out]],
  ['emit verilog: bad lanes', ['emit', 'verilog', lenet, '-o', out, '--lanes', '0'], /--lanes/],
  ['verify: not a build folder', ['verify', dir], /build/],
  ['synth: not a build folder', ['synth', dir], /build/],
  ['compile: missing model', ['compile', missing, '-o', out]],
  ['compile: broken config', ['compile', lenet, '-o', out, '--config', badConfig], /bad\.yaml:2:.*approx\.tiles/],
  ['compile: bad --set', ['compile', lenet, '-o', out, '--set', 'approx=='], /--set/],
  ['init: garbage ONNX', ['init', garbage, '-o', join(dir, 'a.yaml')]],
  ['mult show: unknown id', ['mult', 'show', 'no_such_multiplier']],
  ['mult import: not Verilog', ['mult', 'import', garbage, '--library', join(dir, 'lib')]],
  ['unknown command', ['frobnicate']],
  ['unknown flag', ['inspect', lenet, '--no-such-flag']],
];

describe('malformed input to every command', () => {
  test.each(cases)('%s', async (_name, args, message) => {
    const r = await runCliAsync(args);
    expect(r.code, r.stderr).toBe(2);
    const lines = r.stderr.trim().split('\n').filter((l) => !/^\S+ \d+\/\d+ /.test(l)); // progress lines aside
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^adequate: error\[E_[A-Z_]+\]: \S.{10,}$/);
    if (message) expect(lines[0]).toMatch(message);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  }, 120_000);
});
