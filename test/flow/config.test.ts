import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { applyOverrides, readConfig } from '../../src/flow/config.js';
import { exactTwinSource, sectionFlags, stageCommands, STAGES, withoutQueueFlags } from '../../src/flow/stages.js';
import { bindThreeTiles, quantizedZoo } from '../helpers/hw-models.js';
import { tempDir } from '../helpers/tmp.js';
import { expectUserError } from '../helpers/user-error.js';

function write(name: string, text: string): string {
  const f = join(tempDir(), name);
  writeFileSync(f, text);
  return f;
}

describe('compile config files', () => {
  test('a valid YAML config reads as the values it says', () => {
    const f = write('a.yaml', 'seed: 3\napprox:\n  tiles: 2\n  max-drop: 0.25\nhls:\n  enabled: false\n');
    expect(readConfig(f)).toEqual({ seed: 3, approx: { tiles: 2, 'max-drop': 0.25 }, hls: { enabled: false } });
  });

  test('JSON configs are read too', () => {
    const f = write('a.json', '{"quantize": {"bits": 6, "method": "mse"}}');
    expect(readConfig(f)).toEqual({ quantize: { bits: 6, method: 'mse' } });
  });

  test('an unknown key names the key, the file and its line, and lists the known keys', () => {
    const f = write('typo.yaml', 'seed: 1\n\napprox:\n  tiles: 2\n  popsize: 8\n');
    expectUserError(() => readConfig(f), 'E_CONFIG', `${f}:5:`, "unknown key 'approx.popsize'", /takes enabled, tiles, .*pop/);
  });

  test('a wrong type or value names the key and its line', () => {
    const f = write('type.yaml', 'quantize:\n  bits: eight\n');
    expectUserError(() => readConfig(f), 'E_CONFIG', `${f}:2:`, "'quantize.bits'", /integer/);
    const g = write('enum.yaml', 'quantize:\n  bits: 8\n  method: average\n');
    expectUserError(() => readConfig(g), 'E_CONFIG', `${g}:3:`, "'quantize.method' must be one of minmax, percentile, mse, kl");
    const h = write('range.yaml', 'quantize:\n  bits: 1\n');
    expectUserError(() => readConfig(h), 'E_CONFIG', `${h}:2:`, "'quantize.bits'");
  });

  test('broken YAML and JSON syntax are one line with the line number', () => {
    const f = write('bad.yaml', 'approx:\n  tiles: [1, 2\nhls: {}\n');
    expectUserError(() => readConfig(f), 'E_CONFIG', new RegExp(`${f}:\\d+: `), /syntax/);
    const g = write('bad.json', '{"approx": {"tiles": 2,}}');
    expectUserError(() => readConfig(g), 'E_CONFIG', `${g}:1:`);
    expectUserError(() => readConfig(join(tempDir(), 'missing.yaml')), 'E_CONFIG', /cannot read config/);
  });

  test('--set overrides values, parsed as YAML scalars, and is validated', () => {
    const c = applyOverrides({ approx: { tiles: 3, pop: 16 } }, ['approx.gen=4', 'approx.tiles=2', 'seed=9', 'hls.enabled=false']);
    expect(c).toEqual({ approx: { tiles: 2, pop: 16, gen: 4 }, seed: 9, hls: { enabled: false } });
    expectUserError(() => applyOverrides({}, ['approx.gen']), 'E_USAGE', /section.key=value/);
    expectUserError(() => applyOverrides({}, ['approx.generations=3']), 'E_USAGE', /unknown key 'approx.generations'/);
  });
});

describe('stage command lines', () => {
  test('a section becomes the command\'s own flags', () => {
    expect(sectionFlags({ enabled: true, tiles: 2, 'bias-correction': true, 'per-tensor': false, 'input-shape': ['x=1x3'] })).toEqual(['--tiles', '2', '--bias-correction', '--no-per-tensor', '--input-shape', 'x=1x3']);
  });

  test('each stage reads its input folder and writes its own', () => {
    const def = (id: string) => STAGES.find((s) => s.id === id)!;
    const ctx = { model: 'm.onnx', out: 'o', config: { seed: 2, dataset: { inputs: 'x.npy', labels: 'y.npy' }, approx: { tiles: 2 } }, input: 'o/2-quantize', folder: 'o/5-approx' };
    expect(stageCommands(def('approx'), ctx)).toEqual([['approx', 'o/2-quantize', '-o', 'o/5-approx', '--inputs', 'x.npy', '--labels', 'y.npy', '--seed', '2', '--tiles', '2', '--json']]);
    expect(stageCommands(def('rtl'), { ...ctx, config: { rtl: { count: 50 } }, input: 'o/8-verilog', folder: 'o/9-rtl' })).toEqual([['verify', 'o/8-verilog', '--count', '50', '--json']]);
    // queue: adds --queue (and --shared-dir) to the stages that can use workers, and to no content key.
    const queued = { ...ctx, config: { ...ctx.config, queue: { url: 'redis://h:6379', 'shared-dir': '/s' } } };
    expect(stageCommands(def('approx'), queued)).toEqual([['approx', 'o/2-quantize', '-o', 'o/5-approx', '--inputs', 'x.npy', '--labels', 'y.npy', '--seed', '2', '--tiles', '2', '--queue', 'redis://h:6379', '--shared-dir', '/s', '--json']]);
    expect(stageCommands(def('rtl'), { ...queued, input: 'o/8-verilog', folder: 'o/9-rtl' })[0]).toContain('--queue');
    expect(withoutQueueFlags(stageCommands(def('approx'), queued)[0]!)).toEqual(stageCommands(def('approx'), ctx)[0]);
  });

  test('hardware: folds both emitters (their own section\'s keys win) and is validated', () => {
    const def = (id: string) => STAGES.find((s) => s.id === id)!;
    const config = { hardware: { pe: 6, simd: 5, 'window-taps': 2 }, verilog: { simd: 3, 'mult-impl': 'netlist' } };
    const ctx = { model: 'm.onnx', out: 'o', config, input: 'o/2-quantize', folder: 'o/8-verilog' };
    expect(stageCommands(def('verilog'), ctx)).toEqual([['emit', 'verilog', 'o/2-quantize', '-o', 'o/8-verilog', '--pe', '6', '--simd', '3', '--window-taps', '2', '--mult-impl', 'netlist', '--json']]);
    expect(stageCommands(def('hls'), { ...ctx, folder: 'o/6-hls' })).toEqual([['emit', 'hls', 'o/2-quantize', '-o', 'o/6-hls', '--pe', '6', '--simd', '5', '--window-taps', '2', '--json']]);
    expect(applyOverrides({}, ['hardware.pe=16'])).toEqual({ hardware: { pe: 16 } });
    expectUserError(() => applyOverrides({}, ['hardware.lanes=3']), 'E_USAGE', /unknown key 'hardware.lanes'/);
  });

  test('the folding solver\'s keys and the stream width pass to the emitters, and are validated', () => {
    const def = (id: string) => STAGES.find((s) => s.id === id)!;
    const config = applyOverrides({}, ['verilog.target-cycles=10000', 'verilog.max-dsps=200', 'verilog.stream-width=64', 'hls.target-latency-us=100', 'hls.min-utilization=0.5']);
    const ctx = { model: 'm.onnx', out: 'o', config, input: 'o/2-quantize', folder: 'o/8-verilog' };
    expect(stageCommands(def('verilog'), ctx)).toEqual([['emit', 'verilog', 'o/2-quantize', '-o', 'o/8-verilog', '--target-cycles', '10000', '--max-dsps', '200', '--stream-width', '64', '--json']]);
    expect(stageCommands(def('hls'), { ...ctx, folder: 'o/6-hls' })).toEqual([['emit', 'hls', 'o/2-quantize', '-o', 'o/6-hls', '--target-latency-us', '100', '--min-utilization', '0.5', '--json']]);
    expectUserError(() => applyOverrides({}, ['verilog.min-utilization=1.5']), 'E_USAGE', /min-utilization/);
    expectUserError(() => applyOverrides({}, ['verilog.stream-width=16']), 'E_USAGE', /stream-width/);
  });

  test('word-length tuning also emits and C-simulates its HLS build when the HLS stages are on', () => {
    const def = STAGES.find((s) => s.id === 'wordlength')!;
    const ctx = { model: 'm.onnx', out: 'o', input: 'o/1-import', folder: 'o/4-wordlength' };
    const config = { wordlength: { enabled: true, kind: 'float' }, hls: { lanes: 2 }, csim: { count: 100 } };
    expect(stageCommands(def, { ...ctx, config })).toEqual([
      ['wordlength', 'o/1-import', '-o', 'o/4-wordlength', '--kind', 'float', '--json'],
      ['emit', 'hls', 'o/4-wordlength', '-o', 'o/4-wordlength/hls', '--lanes', '2', '--json'],
      ['verify', 'o/4-wordlength/hls', '--hls', '--count', '100', '--json'],
    ]);
    expect(stageCommands(def, { ...ctx, config: { ...config, csim: { enabled: false } } })).toEqual([['wordlength', 'o/1-import', '-o', 'o/4-wordlength', '--kind', 'float', '--json']]);
  });

  test('wordlength.simd (or the hardware section\'s S) tunes for S; the tuned build takes the recorded S, no --simd', () => {
    const def = STAGES.find((s) => s.id === 'wordlength')!;
    const ctx = { model: 'm.onnx', out: 'o', input: 'o/1-import', folder: 'o/4-wordlength' };
    const config = applyOverrides({}, ['wordlength.simd=3', 'hls.pe=2', 'hls.simd=4', 'csim.count=10']);
    expect(stageCommands(def, { ...ctx, config })).toEqual([
      ['wordlength', 'o/1-import', '-o', 'o/4-wordlength', '--simd', '3', '--json'],
      ['emit', 'hls', 'o/4-wordlength', '-o', 'o/4-wordlength/hls', '--pe', '2', '--json'],
      ['verify', 'o/4-wordlength/hls', '--hls', '--count', '10', '--json'],
    ]);
    const hardware = { hardware: { pe: 2, simd: 5 }, wordlength: { kind: 'float' } };
    expect(stageCommands(def, { ...ctx, config: hardware })[0]).toEqual(['wordlength', 'o/1-import', '-o', 'o/4-wordlength', '--simd', '5', '--kind', 'float', '--json']);
    expectUserError(() => applyOverrides({}, ['wordlength.simd=0']), 'E_USAGE', /simd/);
  });

  test('synthesis: the chosen design with and without DSPs, then its exact twin built from the approx stage\'s IR', () => {
    const def = STAGES.find((s) => s.id === 'synth')!;
    const ctx = { model: 'm.onnx', out: 'o', config: { verilog: { lanes: 4 } }, input: 'o/8-verilog', folder: 'o/10-synth' };
    const chosen = [['synth', 'o/8-verilog', '--json'], ['synth', 'o/8-verilog', '--no-dsp', '--json']];
    expect(stageCommands(def, ctx)).toEqual(chosen);
    expect(stageCommands(def, { ...ctx, exactTwinIr: 'o/5-approx' })).toEqual([
      ...chosen,
      ['emit', 'verilog', 'o/5-approx', '-o', 'o/8-verilog-exact', '--exact-multipliers', '--lanes', '4', '--json'],
      ['synth', 'o/8-verilog-exact', '--json'],
      ['synth', 'o/8-verilog-exact', '--no-dsp', '--json'],
    ]);
  });

  test('the exact twin is built from an approx IR that binds an approximate multiplier, not from one that chose exact', async () => {
    const dir = tempDir();
    const { ir } = await quantizedZoo(dir, 16); // every layer exact: what approx writes when it chooses the exact design
    const bound = join(dir, 'bound');
    bindThreeTiles(ir, bound); // a netlist, a table-only multiplier and exact, on three tiles
    expect(exactTwinSource(ir)).toBeUndefined();
    expect(exactTwinSource(bound)).toBe(bound);
  }, 120_000);
});

describe('adequate init', () => {
  test('writes a starter config that the schema accepts, with every stage section and the searches\' safety margins', async () => {
    const { runCliAsync } = await import('../helpers/cli.js');
    const file = join(tempDir(), 'starter.yaml');
    const r = await runCliAsync(['init', 'examples/lenet5-mnist/model.onnx', '-o', file]);
    expect(r.code, r.stderr).toBe(0);
    const config = readConfig(file);
    for (const s of STAGES.filter((d) => d.id !== 'import')) expect(Object.keys(config), s.id).toContain(s.id);
    expect(config.approx).toMatchObject({ tiles: expect.any(Number), 'max-drop': 0.5, confidence: 1 });
    expect(config.wordlength).toMatchObject({ enabled: false, 'max-drop': 0.5, confidence: 1 });
  }, 60_000);
});
