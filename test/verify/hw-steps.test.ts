/** The hardware steps beyond conv/pool/dense chains, each in a tiny quantized model that goes through `emit hls` +
 *  `verify --hls` and `emit verilog` + `verify` (Verilator) with 0 mismatches and 0 cycle mismatches, every layer
 *  compared: layout copies (channel shuffle, Split, Concat, Slice, channels-last Transpose), a broadcasting QSum, a
 *  Clip on codes, GlobalMaxPool. The references are the integer golden model (bit for bit) and the cycle model. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { loadIr } from '../../src/ir/serialize.js';
import { runCliAsync } from '../helpers/cli.js';
import { depthwiseOnnx, layoutOnnx, quantizedModel } from '../helpers/hw-models.js';
import { planAccelerator } from '../../src/hw/plan.js';
import { scheduleAccelerator } from '../../src/hw/schedule.js';
import { predictCycles } from '../../src/hw/cycles.js';
import { staticChecks } from '../helpers/hls-static.js';
import { tempDir } from '../helpers/tmp.js';
import { testWithTool } from '../helpers/tools.js';

const work = tempDir();

async function verilogPasses(ir: string, inputs: string, name: string, lanes: number, count: number): Promise<Record<string, unknown>> {
  const build = join(work, name);
  const emit = await runCliAsync(['emit', 'verilog', ir, '-o', build, '--lanes', String(lanes)]);
  expect(emit.code, emit.stderr).toBe(0);
  const rtl = readFileSync(join(build, 'verilator.f'), 'utf8').split('\n').filter((l) => l.startsWith('rtl/'));
  const lint = spawnSync('verilator', ['--lint-only', '-Wall', '--top-module', 'adequate_top', ...rtl], { cwd: build, encoding: 'utf8' });
  expect(lint.stderr, 'verilator --lint-only -Wall').toBe('');
  const r = await runCliAsync(['verify', build, '--inputs', inputs, '--count', String(count), '--layers', '--json']);
  expect(r.code, r.stdout + r.stderr).toBe(0);
  const j = JSON.parse(r.stdout) as Record<string, unknown>;
  expect([j.count, j.mismatches, j.cycle_mismatches, j.layer_mismatches]).toEqual([count, 0, 0, 0]);
  expect(j.cycles).toBe(j.predicted_cycles);
  return j;
}

async function hlsPasses(ir: string, inputs: string, name: string, lanes: number, count: number): Promise<string> {
  const build = join(work, name);
  const emit = await runCliAsync(['emit', 'hls', ir, '-o', build, '--lanes', String(lanes)]);
  expect(emit.code, emit.stderr).toBe(0);
  const r = await runCliAsync(['verify', build, '--hls', '--inputs', inputs, '--count', String(count), '--layers', '--json']);
  expect(r.code, r.stdout + r.stderr).toBe(0);
  expect(JSON.parse(r.stdout)).toMatchObject({ count, mismatches: 0, passed: true, first_mismatching_layer: null });
  staticChecks(build, ['requantize', 'round_shift', 's32_from_u32']);
  return readFileSync(join(build, 'adequate_top.cpp'), 'utf8');
}

describe('layout steps, broadcasting QSum, Clip on codes, GlobalMaxPool', () => {
  let model: { ir: string; inputs: string };
  beforeAll(async () => {
    model = await quantizedModel(join(work, 'layout'), layoutOnnx(), [1, 4, 6, 6], 40);
  }, 120_000);

  testWithTool('g++', 'the quantized model holds every step under test', () => {
    const ops = loadIr(model.ir).nodes.map((n) => n.op);
    for (const op of ['Transpose', 'Split', 'Concat', 'Slice', 'Clip', 'QSum', 'MaxPool', 'QAveragePool']) expect(ops).toContain(op);
  });

  testWithTool('g++', 'HLS C simulation: 20 inputs bit for bit in every layer', async () => {
    const top = await hlsPasses(model.ir, model.inputs, 'layout-hls', 3, 20);
    expect(top).toMatch(/copy_segment\(mem, LAYER\d+_SEGMENTS\[s\]\);/);
  }, 300_000);

  testWithTool('verilator', 'Verilator: 20 inputs bit for bit in every layer and cycle for cycle', async () => {
    const j = await verilogPasses(model.ir, model.inputs, 'layout-v', 3, 20);
    const layers = j.layers as { op: string; unit: string }[];
    expect(layers.filter((l) => l.unit === 'copy').map((l) => l.op)).toEqual(['Transpose', 'Split', 'Split', 'Concat', 'Broadcast', 'Slice', 'Transpose', 'Concat']);
  }, 400_000);
});

describe('grouped and depthwise convolutions', () => {
  let model: { ir: string; inputs: string };
  beforeAll(async () => {
    model = await quantizedModel(join(work, 'dw'), depthwiseOnnx(), [1, 3, 8, 8], 40);
  }, 120_000);

  testWithTool('g++', 'HLS C simulation: 20 inputs bit for bit in every layer', async () => {
    const top = await hlsPasses(model.ir, model.inputs, 'dw-hls', 3, 20);
    // The depthwise layer fed by the stem runs lanes over groups; so does the one fed by the grouped conv in C++.
    expect(top).toMatch(/if \(L\.over_groups\) \{\n    tile_0_depthwise\(mem, L\);/);
    expect((top.match(/, true, 0, 0, 0,$/gm) ?? []).length).toBe(2);
  }, 300_000);

  testWithTool('verilator', 'Verilator, 3 lanes: 20 inputs bit for bit in every layer and cycle for cycle', async () => {
    await verilogPasses(model.ir, model.inputs, 'dw-v3', 3, 20);
  }, 400_000);

  test('the schedule: lanes over groups for the depthwise layer fed by a group-1 conv (banked input), over the channels of a group otherwise', () => {
    const s = scheduleAccelerator(planAccelerator(loadIr(model.ir)), 4);
    const tiles = s.steps.filter((st) => st.unit === 'tile');
    expect(tiles.map((st) => st.items!.mode)).toEqual(['channels', 'groups', 'channels', 'channels', 'channels', 'channels']);
    expect(tiles.map((st) => st.items!.count)).toEqual([2, 2, 2, 3, 6, 1]);
    expect(s.memories.filter((m) => m.banks > 1).map((m) => [m.banks, m.size])).toEqual([[4, 2 * 64]]);
    // The depthwise layer on 4 lanes (8 channels, 9 taps, 64 positions): (2*64 - 1)*9 + 9 + 8 + 4 cycles, worked by hand.
    const dw = predictCycles(s).steps[1]!;
    expect(dw.cycles).toBe(127 * 9 + 21);
    expect(dw.utilization).toBeGreaterThan(0.85);
  });
});
