/** docs/promises.md, point by point, through the CLI as a user runs it: each test name starts with the number of the
 *  promise it checks. (Promises 2 and 4 are also checked in process by test/io/output-guard.test.ts, 3.2 by
 *  test/cli/options.test.ts.) */
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { makeTensor } from '../../src/ir/types.js';
import { writeNpy } from '../../src/io/npy.js';
import { lockPathOf } from '../../src/io/lock.js';
import { OUTPUT_MARKER } from '../../src/io/output-guard.js';
import { REPO, runCliAsync } from '../helpers/cli.js';
import { buildModel, DT } from '../helpers/onnx-builder.js';
import { tempDir } from '../helpers/tmp.js';
import { testWithTool } from '../helpers/tools.js';

const LENET = join(REPO, 'examples/lenet5-mnist/model.onnx');
const MLP = join(REPO, 'examples/mlp-mnist/model.onnx');
const dir = tempDir();
const q = join(dir, 'lenet-q'); // quantized LeNet-5, shared by the tests that need one
const x20 = join(dir, 'x20.npy'), y20 = join(dir, 'y20.npy');

/** One error line on stderr with this code, exit 2; returns the line. */
function oneError(r: { code: number; stderr: string }, code: string, ...mentions: (string | RegExp)[]): string {
  expect(r.code, r.stderr).toBe(2);
  const lines = r.stderr.split('\n').filter((l) => l.includes('error['));
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toContain(`error[${code}]`);
  for (const m of mentions) expect(lines[0]).toMatch(m);
  return lines[0]!;
}

/** 20 seeded samples in [0, 1] and their labels 0..9, for LeNet-5's 1x28x28 input. */
function writeSamples(): void {
  let s = 7;
  const rand = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32);
  writeNpy(x20, makeTensor('float32', [20, 1, 28, 28], Float32Array.from({ length: 20 * 784 }, rand)));
  writeNpy(y20, makeTensor('int64', [20], Float64Array.from({ length: 20 }, (_, i) => i % 10)));
}

beforeAll(async () => {
  writeSamples();
  const r = await runCliAsync(['quantize', LENET, '-o', q, '--calib', '50', '--eval-limit', '0']);
  if (r.code !== 0) throw new Error(r.stderr);
}, 120_000);

describe('1. exit codes', () => {
  test('1.1 eval without labels, run on 0 samples, unwritable -o, compile -o at a file, YAML alias bombs: exit 2, one line', async () => {
    oneError(await runCliAsync(['eval', LENET, '--inputs', x20]), 'E_DATASET', 'needs labels', '--labels');
    const empty = join(dir, 'empty.npy');
    writeNpy(empty, makeTensor('float32', [0, 1, 28, 28]));
    oneError(await runCliAsync(['run', LENET, '--input', empty, '--output', join(dir, 'y.npy')]), 'E_NPY', 'holds no samples');
    // A path under a file: no user, not even root, can create it.
    oneError(await runCliAsync(['init', LENET, '-o', '/proc/version/adequate.yaml']), 'E_IO', '/proc/version');
    oneError(await runCliAsync(['mult', 'export', 'mul8u_17QU', '-o', '/proc/version/t.bin']), 'E_IO', '/proc/version');
    oneError(await runCliAsync(['run', LENET, '--input', x20, '--dump-layers', '/proc/version/layers']), 'E_IO', '/proc/version');
    const file = join(dir, 'a-file');
    writeFileSync(file, 'mine');
    oneError(await runCliAsync(['compile', MLP, '-o', file]), 'E_IO', 'is a file');
    expect(readFileSync(file, 'utf8')).toBe('mine');
    const bomb = join(dir, 'bomb.yaml');
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++) levels.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${String.fromCharCode(96 + i)}`).join(', ')}]`);
    writeFileSync(bomb, levels.join('\n') + '\n');
    oneError(await runCliAsync(['compile', MLP, '-o', join(dir, 'bomb-out'), '--config', bomb]), 'E_CONFIG', 'bomb.yaml');
  }, 120_000);

  testWithTool('verilator', '1.1 verify on a build without rtl/ or tb/: exit 2, one line', async () => {
    const build = join(dir, 'v-broken');
    expect((await runCliAsync(['emit', 'verilog', q, '-o', build])).code).toBe(0);
    rmSync(join(build, 'tb'), { recursive: true });
    oneError(await runCliAsync(['verify', build, '--count', '1']), 'E_USAGE', 'has no tb', 'emit verilog');
  }, 120_000);
});

describe('2. what adequate writes, and what it never deletes', () => {
  test('2.1/2.2 outputs carry the marker; a folder adequate did not write is kept unless --force', async () => {
    const ir = join(dir, 'ir');
    expect((await runCliAsync(['import', LENET, '-o', ir])).code).toBe(0);
    expect(JSON.parse(readFileSync(join(ir, OUTPUT_MARKER), 'utf8'))).toMatchObject({ written_by: 'adequate', command: 'import' });
    expect((await runCliAsync(['import', LENET, '-o', ir])).code).toBe(0); // its own output: replaced
    const mine = join(dir, 'mine');
    mkdirSync(mine);
    writeFileSync(join(mine, 'thesis.tex'), 'years of work');
    for (const args of [['import', LENET], ['quantize', LENET, '--calib', '20'], ['emit', 'hls', q], ['share', q, '-k', '4'], ['run', LENET, '--input', x20, '--output-dir']])
      oneError(await runCliAsync([...args, ...(args[0] === 'run' ? [mine] : ['-o', mine])]), 'E_IO', 'adequate did not write it', '--force');
    expect(readdirSync(mine)).toEqual(['thesis.tex']);
    expect((await runCliAsync(['import', LENET, '-o', mine, '--force'])).code).toBe(0);
    expect(existsSync(join(mine, 'thesis.tex'))).toBe(false);
  }, 120_000);

  test('2.2 compile refuses an -o folder and a stage folder that adequate did not write', async () => {
    const out = join(dir, 'foreign-compile');
    mkdirSync(out);
    writeFileSync(join(out, 'notes.txt'), 'mine');
    oneError(await runCliAsync(['compile', MLP, '-o', out]), 'E_IO', 'adequate did not write it');
    writeFileSync(join(out, OUTPUT_MARKER), '{}');
    mkdirSync(join(out, '1-import'));
    writeFileSync(join(out, '1-import', 'notes.txt'), 'mine too');
    const r = await runCliAsync(['compile', MLP, '-o', out]);
    oneError(r, 'E_IO', '1-import', 'adequate did not write it');
    expect(readFileSync(join(out, '1-import', 'notes.txt'), 'utf8')).toBe('mine too');
  }, 120_000);

  test('2.3 an output that is or holds an input is refused, even with --force', async () => {
    const proj = join(dir, 'proj');
    mkdirSync(proj);
    copyFileSync(LENET, join(proj, 'model.onnx'));
    writeFileSync(join(proj, 'train.py'), 'print("training")\n');
    oneError(await runCliAsync(['import', join(proj, 'model.onnx'), '-o', proj, '--force']), 'E_IO', 'contains the input');
    oneError(await runCliAsync(['import', 'model.onnx', '-o', '.', '--force'], { cwd: proj }), 'E_IO', 'contains the input');
    oneError(await runCliAsync(['emit', 'verilog', q, '-o', q, '--force']), 'E_IO', 'is the input');
    oneError(await runCliAsync(['init', join(proj, 'model.onnx'), '-o', join(proj, 'model.onnx'), '--force']), 'E_IO', 'is the input');
    expect(readdirSync(proj).sort()).toEqual(['model.onnx', 'train.py']);
    expect(readFileSync(join(proj, 'model.onnx'))).toEqual(readFileSync(LENET));
    expect(existsSync(join(q, 'model.ir.json'))).toBe(true);
  }, 120_000);

  test('2.4 an existing single file is overwritten only with --force', async () => {
    const table = join(dir, 'table.bin'), yaml = join(dir, 'my.yaml');
    writeFileSync(table, 'my table');
    writeFileSync(yaml, '# my config\n');
    oneError(await runCliAsync(['mult', 'export', 'mul8u_17QU', '-o', table]), 'E_IO', 'exists', '--force');
    oneError(await runCliAsync(['init', LENET, '-o', yaml]), 'E_IO', 'exists', '--force');
    oneError(await runCliAsync(['run', LENET, '--input', x20, '--output', yaml]), 'E_IO', 'exists', '--force');
    expect(readFileSync(table, 'utf8')).toBe('my table');
    expect(readFileSync(yaml, 'utf8')).toBe('# my config\n');
    expect((await runCliAsync(['mult', 'export', 'mul8u_17QU', '-o', table, '--force'])).code).toBe(0);
    expect(statSync(table).size).toBe(131072);
  }, 120_000);

  test('2.5 quantize writes nothing when its accuracy measurement fails, and calibrating on every sample is no error', async () => {
    const out = join(dir, 'q-kept');
    expect((await runCliAsync(['quantize', LENET, '-o', out, '--inputs', x20, '--labels', y20, '--calib', '10'])).code).toBe(0);
    const before = readFileSync(join(out, 'weights.bin'));
    const bad = join(dir, 'y-bad.npy');
    writeNpy(bad, makeTensor('int64', [20], Float64Array.from({ length: 20 }, (_, i) => (i === 15 ? 12 : 0))));
    oneError(await runCliAsync(['quantize', LENET, '-o', out, '--inputs', x20, '--labels', bad, '--calib', '10', '--bits', '6']), 'E_DATASET', 'label 12', '10 classes');
    expect(readFileSync(join(out, 'weights.bin'))).toEqual(before);
    // --calib equal to the number of samples: no held-out samples, so no accuracy, and no "offset past the end".
    const r = await runCliAsync(['quantize', LENET, '-o', join(dir, 'q-all'), '--inputs', x20, '--labels', y20, '--calib', '20', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('calibration used every sample');
    expect(JSON.parse(r.stdout).accuracy).toBeUndefined();
  }, 120_000);

  test('2.6 verify on an IR folder says it is one and never suggests -o at it', async () => {
    const line = oneError(await runCliAsync(['verify', q]), 'E_USAGE', 'it is an IR folder', '-o BUILD');
    expect(line).not.toContain(`-o ${q}`);
  });
});

describe('3. every command exits after its error', () => {
  // Each of these hung after its error before (worker threads kept the process alive), or was refused only after a
  // full search. Now each is refused at once, the value shown as typed.
  test.each([
    [['approx', 'Q', '-o', 'OUT', '--pop', '1'], "--pop '1'"],
    [['approx', 'Q', '-o', 'OUT', '--pop', '0'], "--pop '0'"],
    [['approx', 'Q', '-o', 'OUT', '--gen', '-1'], "--gen '-1'"],
    [['approx', 'Q', '-o', 'OUT', '--max-drop', 'abc'], "--max-drop 'abc'"],
    [['approx', 'Q', '-o', 'OUT', '--max-drop', '-1'], "--max-drop '-1'"],
    [['approx', 'Q', '-o', 'OUT', '--pick', '99'], '--pick 99'],
    [['share-explore', 'Q', '-o', 'OUT', '--pop', '1'], "--pop '1'"],
    [['quantize', LENET, '-o', 'OUT', '--bits', 'abc'], "--bits 'abc'"],
    [['verify', 'Q', '--count', 'abc'], "--count 'abc'"],
    [['emit', 'verilog', 'Q', '-o', 'OUT', '--lanes', 'many'], "--lanes 'many'"],
  ])('3.1/3.2 %j exits 2 within the time limit', async (args, typed) => {
    const r = await runCliAsync(args.map((a) => (a === 'Q' ? q : a === 'OUT' ? join(dir, 'never') : a)), { timeoutMs: 60_000 });
    expect(r.timedOut).toBe(false);
    oneError(r, 'E_USAGE', typed);
    expect(existsSync(join(dir, 'never'))).toBe(false);
  }, 90_000);

  test('3.3 a --library folder that does not exist is an error', async () => {
    oneError(await runCliAsync(['approx', q, '-o', join(dir, 'never'), '--library', join(dir, 'no-such-lib')]), 'E_MULT', 'does not exist');
    oneError(await runCliAsync(['mult', 'list', '--library', join(dir, 'no-such-lib')]), 'E_MULT', 'does not exist');
  });
});

describe('4. locking', () => {
  test('4.1/4.2 a live lock refuses a second run; a dead one is taken over', async () => {
    const out = join(dir, 'locked-ir');
    const sleeper = spawn('sleep', ['60'], { stdio: 'ignore' });
    writeFileSync(lockPathOf(out), JSON.stringify({ pid: sleeper.pid, host: hostname(), command: 'compile' }) + '\n');
    try {
      oneError(await runCliAsync(['import', LENET, '-o', out]), 'E_IO', `another adequate run holds ${out}`);
      oneError(await runCliAsync(['compile', MLP, '-o', out]), 'E_IO', `another adequate run holds ${out}`);
      expect(existsSync(out)).toBe(false);
    } finally {
      sleeper.kill('SIGKILL');
      await new Promise((r) => sleeper.on('close', r));
    }
    const r = await runCliAsync(['import', LENET, '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(lockPathOf(out))).toBe(false); // released at the end
  }, 60_000);
});

describe('5. caching rules (compile) and 1.2 a failed stage', () => {
  const out = join(dir, 'flow');
  const config = join(dir, 'flow.yaml');
  test('5.1 a stage folder changed after its run is noticed and rerun; 1.2 a failed stage prints its own line once', async () => {
    writeFileSync(config, 'seed: 7\nquantize:\n  calib: 50\n  eval-limit: 50\napprox:\n  enabled: false\nhls:\n  enabled: false\ncsim:\n  enabled: false\nverilog:\n  enabled: false\nrtl:\n  enabled: false\nsynth:\n  enabled: false\n');
    const first = await runCliAsync(['compile', MLP, '-o', out, '--config', config, '--json']);
    expect(first.code, first.stderr).toBe(0);
    const weights = join(out, '2-quantize', 'weights.bin');
    const good = readFileSync(weights);
    writeFileSync(weights, good.subarray(0, good.length >> 1)); // truncated after the run
    const second = await runCliAsync(['compile', MLP, '-o', out, '--config', config, '--json']);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toMatch(/2-quantize: 1 file\(s\) changed since its run \(weights\.bin\); rerunning it/);
    expect(JSON.parse(second.stdout).stages.map((s: { skipped: boolean }) => s.skipped)).toEqual([true, false]);
    expect(readFileSync(weights)).toEqual(good);
    const third = await runCliAsync(['compile', MLP, '-o', out, '--config', config, '--json']);
    expect(JSON.parse(third.stdout).stages.map((s: { skipped: boolean }) => s.skipped)).toEqual([true, true]);

    // 1.2: the approx stage's own error, once, with its own code; compile's exit code is the stage's.
    const failed = await runCliAsync(['compile', MLP, '-o', out, '--config', config, '--set', 'approx.enabled=true', '--set', `approx.library=${join(dir, 'no-such-lib')}`], { timeoutMs: 120_000 });
    oneError(failed, 'E_MULT', 'no-such-lib');
    const hang = await runCliAsync(['compile', MLP, '-o', out, '--config', config, '--set', 'approx.enabled=true', '--set', 'approx.pop=1'], { timeoutMs: 120_000 });
    expect(hang.timedOut).toBe(false);
    oneError(hang, 'E_USAGE', "--pop '1'");
  }, 300_000);
});

describe('6. limits', () => {
  const constantOfShape = (n: number) =>
    buildModel({
      inputs: [{ name: 'x', shape: [1, n] }], outputs: ['y'],
      initializers: [{ name: 'shape', shape: [2], data: [1, n], elemType: DT.INT64 }],
      nodes: [{ op: 'ConstantOfShape', name: 'big', inputs: ['shape'], outputs: ['c'] }, { op: 'Add', inputs: ['x', 'c'], outputs: ['y'] }],
    });
  test('6.1 import refuses a tensor above the limit; --max-tensor-bytes moves the limit', async () => {
    for (const [n, name] of [[1e8, 'e8'], [1e12, 'e12']] as const) {
      const model = join(dir, `const-${name}.onnx`);
      writeFileSync(model, constantOfShape(n));
      oneError(await runCliAsync(['import', model, '-o', join(dir, `never-${name}`)]), 'E_ONNX_ATTRIBUTE', "'big'", '--max-tensor-bytes');
      expect(existsSync(join(dir, `never-${name}`))).toBe(false);
    }
    const small = join(dir, 'const-small.onnx');
    writeFileSync(small, constantOfShape(1000)); // 4,000 bytes
    oneError(await runCliAsync(['import', small, '-o', join(dir, 'never'), '--max-tensor-bytes', '3999']), 'E_ONNX_ATTRIBUTE', 'above the import limit of 3999 bytes');
    const ok = await runCliAsync(['inspect', small, '--max-tensor-bytes', '4000']);
    expect(ok.code, ok.stderr).toBe(0);
  }, 60_000);

  testWithTool('g++', '6.2 a tool that never ends is stopped at --tool-timeout with E_TOOL', async () => {
    const build = join(dir, 'hls');
    expect((await runCliAsync(['emit', 'hls', q, '-o', build])).code).toBe(0);
    const fakeBin = join(dir, 'fake-bin');
    mkdirSync(fakeBin);
    writeFileSync(join(fakeBin, 'g++'), '#!/bin/sh\nsleep 600\n');
    chmodSync(join(fakeBin, 'g++'), 0o755);
    const t0 = Date.now();
    const r = await runCliAsync(['verify', build, '--hls', '--count', '1', '--tool-timeout', '2'], { env: { PATH: `${fakeBin}:${process.env.PATH}` }, timeoutMs: 60_000 });
    expect(r.timedOut).toBe(false);
    oneError(r, 'E_TOOL', 'g++', 'did not finish within 2 s', '--tool-timeout');
    expect(Date.now() - t0).toBeLessThan(30_000);
  }, 120_000);
});

describe('7. inputs are checked, not trusted', () => {
  test('7.1 a hand-edited graph input shape is refused by run and emit', async () => {
    const edited = join(dir, 'q-edited');
    mkdirSync(edited);
    for (const f of ['model.ir.json', 'weights.bin']) copyFileSync(join(q, f), join(edited, f));
    const ir = JSON.parse(readFileSync(join(edited, 'model.ir.json'), 'utf8'));
    ir.inputs[0].shape = [1, 1, 32, 32];
    writeFileSync(join(edited, 'model.ir.json'), JSON.stringify(ir));
    oneError(await runCliAsync(['run', edited, '--input', x20, '--output', join(dir, 'never.npy')]), 'E_IR_INVALID', "graph input 'input'", '1, 1, 32, 32');
    oneError(await runCliAsync(['emit', 'verilog', edited, '-o', join(dir, 'never')]), 'E_IR_INVALID', "graph input 'input'");
  }, 60_000);

  test('7.2 NaN inputs and labels outside the classes are refused', async () => {
    const nan = join(dir, 'nan.npy');
    const data = new Float32Array(20 * 784);
    data[900] = NaN;
    writeNpy(nan, makeTensor('float32', [20, 1, 28, 28], data));
    oneError(await runCliAsync(['run', LENET, '--input', nan, '--output', join(dir, 'never.npy')]), 'E_NPY', 'NaN');
    oneError(await runCliAsync(['eval', LENET, '--inputs', nan, '--labels', y20]), 'E_DATASET', 'NaN', 'sample 1');
    const bad = join(dir, 'labels-11.npy');
    writeNpy(bad, makeTensor('int64', [20], Float64Array.from({ length: 20 }, (_, i) => (i === 3 ? 11 : 1))));
    oneError(await runCliAsync(['eval', LENET, '--inputs', x20, '--labels', bad]), 'E_DATASET', 'label 11 of sample 3', '10 classes');
  }, 60_000);

  test('7.3 an opset newer than the importer knows imports with a warning', async () => {
    const model = join(dir, 'opset99.onnx');
    writeFileSync(model, buildModel({ inputs: [{ name: 'x', shape: [1, 4] }], outputs: ['y'], nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }], opset: 99 }));
    const r = await runCliAsync(['inspect', model]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/warning: .*opset 99, newer than the newest adequate knows \(22\)/);
  });
});
