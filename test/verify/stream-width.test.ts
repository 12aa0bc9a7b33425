/** Wider stream beats (`--stream-width 8|32|64`, src/hw/stream.ts): an input beat carries width/8 codes in
 *  little-endian 8-bit lanes, an output beat one 8-bit code (8), one code in 32 bits (32) or two (64). References:
 *  the integer golden model (bit for bit), the cycle model (load = ceil(N/B_in) beats, stream = ceil(N/B_out) + 1,
 *  worked by hand for LeNet-5), Verilator (the generated harness), Icarus (the generated testbench and an outsider's
 *  framing testbench) and the HLS C simulation. The odd model has 25 input codes and 5 output codes, so the last
 *  beat is partial both ways at 32 and 64 bits. */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { applyOverrides } from '../../src/flow/config.js';
import { stageCommands, STAGES } from '../../src/flow/stages.js';
import { libraryContext } from '../../src/golden/parallel.js';
import { predictCycles } from '../../src/hw/cycles.js';
import { planAccelerator } from '../../src/hw/plan.js';
import { quantizeSample, referenceBuffers } from '../../src/hw/reference.js';
import { scheduleAccelerator } from '../../src/hw/schedule.js';
import { streamFormat, type StreamWidth } from '../../src/hw/stream.js';
import { readNpy } from '../../src/io/npy.js';
import { loadIr } from '../../src/ir/serialize.js';
import { sizeOf } from '../../src/ir/types.js';
import { REPO, runCliAsync } from '../helpers/cli.js';
import { depthwiseOnnx, quantizedModel } from '../helpers/hw-models.js';
import { buildModel as onnxModel } from '../helpers/onnx-builder.js';
import { buildModel, runModel } from '../../src/verify/verilator.js';
import { QUICK_BUILD_CYCLES } from '../../src/verify/rtl.js';
import { staticChecks } from '../helpers/hls-static.js';
import { tempDir } from '../helpers/tmp.js';
import { testWithTool } from '../helpers/tools.js';
import { expectUserError } from '../helpers/user-error.js';
import { runFramingBench } from '../helpers/framing-bench.js';

const work = tempDir();

/** Input [1, 1, 5, 5] (25 codes), a 3x3 conv to 3 channels with ReLU, a dense layer to 5 outputs. */
function oddOnnx(): Uint8Array {
  let s = 5;
  const r = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
  const w = (n: number, scale = 0.5) => Array.from({ length: n }, () => r() * scale);
  return onnxModel({
    inputs: [{ name: 'x', shape: [1, 1, 5, 5] }],
    outputs: ['y'],
    initializers: [
      { name: 'w1', shape: [3, 1, 3, 3], data: w(27) }, { name: 'b1', shape: [3], data: w(3, 0.1) },
      { name: 'w2', shape: [5, 27], data: w(135) }, { name: 'b2', shape: [5], data: w(5, 0.1) },
      { name: 'flat', shape: [2], data: [1, 27], elemType: 7 },
    ],
    nodes: [
      { op: 'Conv', inputs: ['x', 'w1', 'b1'], outputs: ['c1'], attrs: { kernel_shape: [3, 3] } },
      { op: 'Relu', inputs: ['c1'], outputs: ['r1'] },
      { op: 'Reshape', inputs: ['r1', 'flat'], outputs: ['f'] },
      { op: 'Gemm', inputs: ['f', 'w2', 'b2'], outputs: ['y'], attrs: { transB: 1 } },
    ],
  });
}

const rtlFiles = (build: string) => readFileSync(join(build, 'verilator.f'), 'utf8').split('\n').filter((l) => l.startsWith('rtl/'));

async function emit(kind: 'verilog' | 'hls', ir: string, build: string, width: StreamWidth, lanes = 3): Promise<void> {
  const r = await runCliAsync(['emit', kind, ir, '-o', build, '--lanes', String(lanes), '--stream-width', String(width), '--force']);
  expect(r.code, r.stderr).toBe(0);
}

/** Emits, lints (with and without the debug block) and verifies in Verilator; returns verify's JSON. */
async function verilogPasses(ir: string, build: string, width: StreamWidth, count: number, extra: string[] = [], lanes = 3): Promise<{ cycles: number; predicted_cycles: number }> {
  await emit('verilog', ir, build, width, lanes);
  for (const debug of [[], ['+define+ADEQUATE_DEBUG']]) {
    const lint = spawnSync('verilator', ['--lint-only', '-Wall', ...debug, '--top-module', 'adequate_top', ...rtlFiles(build)], { cwd: build, encoding: 'utf8' });
    expect(lint.stderr, `verilator --lint-only -Wall ${debug.join(' ')}`).toBe('');
  }
  const r = await runCliAsync(['verify', build, '--count', String(count), '--json', ...extra]);
  expect(r.code, r.stdout + r.stderr).toBe(0);
  const j = JSON.parse(r.stdout) as { count: number; mismatches: number; cycle_mismatches: number; cycles: number; predicted_cycles: number };
  expect([j.count, j.mismatches, j.cycle_mismatches]).toEqual([count, 0, 0]);
  expect(j.cycles).toBe(j.predicted_cycles);
  return j;
}

describe('stream formats and the cycle model', () => {
  test('beats per frame, codes in the last beat, and the widths the codes do not fit (E_USAGE)', () => {
    const lenet = { size: 784, bits: 8 }, out = { size: 10, bits: 8 }, original = { input: 8, output: 32 };
    expect(streamFormat(undefined, lenet, out, original)).toMatchObject({ input: { bits: 8, codes: 1, beats: 784 }, output: { bits: 32, laneBits: 32, codes: 1, beats: 10 } });
    expect(streamFormat(8, lenet, out, original)).toMatchObject({ input: { bits: 8, codes: 1, beats: 784 }, output: { bits: 8, laneBits: 8, codes: 1, beats: 10 } });
    expect(streamFormat(32, lenet, out, original)).toMatchObject({ input: { bits: 32, laneBits: 8, codes: 4, beats: 196, lastCodes: 4 }, output: { bits: 32, codes: 1, beats: 10 } });
    expect(streamFormat(64, { size: 25, bits: 8 }, { size: 5, bits: 8 }, original)).toMatchObject({ input: { codes: 8, beats: 4, lastCodes: 1 }, output: { bits: 64, laneBits: 32, codes: 2, beats: 3, lastCodes: 1 } });
    expectUserError(() => streamFormat(8, lenet, { size: 10, bits: 17 }, original), 'E_USAGE', /--stream-width 8: the output codes are 17-bit/, /use --stream-width 32/);
    expectUserError(() => streamFormat(32, { size: 10, bits: 17 }, out, original), 'E_USAGE', /input codes are 17-bit/);
    expectUserError(() => streamFormat(16 as StreamWidth, lenet, out, original), 'E_USAGE', /must be 8, 32 or 64/);
  });

  test('the config keys verilog.stream-width and hls.stream-width take 8, 32 or 64 and become the emit flag in compile', () => {
    const config = applyOverrides({}, ['verilog.stream-width=32', 'hls.stream-width=64']);
    expect(config).toEqual({ verilog: { 'stream-width': 32 }, hls: { 'stream-width': 64 } });
    expectUserError(() => applyOverrides({}, ['verilog.stream-width=16']), 'E_USAGE', /stream-width/);
    const verilog = STAGES.find((st) => st.id === 'verilog')!;
    expect(stageCommands(verilog, { model: 'm.onnx', out: 'o', config, input: 'o/5-approx', folder: 'o/8-verilog' })).toEqual([['emit', 'verilog', 'o/5-approx', '-o', 'o/8-verilog', '--stream-width', '32', '--json']]);
  });

  test('emit rejects --stream-width 16 with exit code 2 and says which widths exist', async () => {
    const model = await quantizedModel(join(work, 'odd-cli'), oddOnnx(), [1, 1, 5, 5], 4);
    const r = await runCliAsync(['emit', 'verilog', model.ir, '-o', join(work, 'bad'), '--stream-width', '16']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/E_USAGE.*--stream-width 16 must be 8, 32 or 64/);
  }, 120_000);
});

describe('LeNet-5', () => {
  let ir = '';
  beforeAll(async () => {
    ir = join(work, 'lenet-q');
    const r = await runCliAsync(['quantize', join(REPO, 'examples/lenet5-mnist/model.onnx'), '-o', ir, '--calib', '64', '--eval-limit', '10']);
    if (r.code !== 0) throw new Error(r.stderr);
  }, 180_000);

  test('the cycle model, worked by hand: 784 input codes are 784, 196 or 98 beats; 10 output codes 10 or 5 beats, plus one', () => {
    const plan = planAccelerator(loadIr(ir));
    const at = (w?: StreamWidth) => predictCycles(scheduleAccelerator(plan, 4, w));
    const base = at();
    expect([base.load, base.stream]).toEqual([784, 11]);
    expect([at(8).load, at(8).stream, at(8).total]).toEqual([784, 11, base.total]);
    expect([at(32).load, at(32).stream, at(32).total]).toEqual([196, 11, base.total - 588]);
    expect([at(64).load, at(64).stream, at(64).total]).toEqual([98, 6, base.total - 686 - 5]);
    // The input memory: 4 and 8 banks of 196 and 98 words; the output memory at 64 bits: 2 banks of 5 words.
    const s64 = scheduleAccelerator(plan, 4, 64);
    expect([s64.memories[0]!.interleave, s64.memories[0]!.size, s64.memories[s64.output]!.interleave, s64.memories[s64.output]!.size]).toEqual([8, 98, 2, 5]);
  });

  for (const width of [8, 32, 64] as const) {
    testWithTool('verilator', `Verilator at ${width} bits: 20 inputs bit for bit and cycle for cycle`, async () => {
      const j = await verilogPasses(ir, join(work, `lenet-v${width}`), width, 20, [], 4);
      expect(j.cycles).toBe(predictCycles(scheduleAccelerator(planAccelerator(loadIr(ir)), 4, width)).total);
    }, 400_000);
  }

  testWithTool('g++', 'HLS C simulation at 64 bits: 10 inputs bit for bit in every layer', async () => {
    const build = join(work, 'lenet-h64');
    await emit('hls', ir, build, 64);
    expect(readFileSync(join(build, 'adequate.h'), 'utf8')).toMatch(/#define ADQ_IN_BITS 64\n#define ADQ_IN_LANES 8\n#define ADQ_IN_LANE_BITS 8\n#define ADQ_IN_BEATS 98\n/);
    const r = await runCliAsync(['verify', build, '--hls', '--count', '10', '--layers', '--json']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ count: 10, mismatches: 0, passed: true });
  }, 300_000);
});

describe('partial last beats (25 input codes, 5 output codes), unsigned and signed codes', () => {
  const models = new Map<string, { ir: string; inputs: string }>();
  beforeAll(async () => {
    models.set('unsigned', await quantizedModel(join(work, 'odd-u'), oddOnnx(), [1, 1, 5, 5], 20));
    const u = models.get('unsigned')!, signed = join(work, 'odd-s');
    const q = await runCliAsync(['quantize', join(work, 'odd-u', 'model.onnx'), '-o', signed, '--inputs', u.inputs, '--calib', '20', '--scheme', 'signed']);
    if (q.code !== 0) throw new Error(q.stderr);
    models.set('signed', { ir: signed, inputs: u.inputs });
  }, 180_000);

  for (const scheme of ['unsigned', 'signed'] as const)
    for (const width of [8, 32, 64] as const) {
      testWithTool('verilator', `Verilator, ${scheme} codes, ${width} bits: 20 inputs bit for bit in every layer and cycle for cycle`, async () => {
        const m = models.get(scheme)!;
        const plan = planAccelerator(loadIr(m.ir));
        expect(plan.input.dtype).toBe(scheme === 'signed' ? 'int8' : 'uint8');
        const j = await verilogPasses(m.ir, join(work, `odd-${scheme}-v${width}`), width, 20, ['--inputs', m.inputs, '--layers']);
        const s = scheduleAccelerator(plan, 3, width);
        expect([s.stream.input.beats, s.stream.output.beats]).toEqual(width === 8 ? [25, 5] : width === 32 ? [7, 5] : [4, 3]);
        expect(j.cycles).toBe(predictCycles(s).total);
        if (width !== 64) return;
        // Output back-pressure with two codes per beat (m_axis_tready low half the time): the same codes, later.
        const build = join(work, `odd-${scheme}-v${width}`);
        const x = readNpy(m.inputs), per = sizeOf(plan.hostInput.shape);
        const inputs = [0, 1, 2, 3].map((i) => quantizeSample(plan, x.data.subarray(i * per, (i + 1) * per) as Float32Array));
        // The model verify --layers built: the debug one, quick for a short run (src/verify/rtl.ts).
        const model = await buildModel(build, 'debug', undefined, { quick: 20 * j.cycles <= QUICK_BUILD_CYCLES });
        expect(model.cached).toBe(true);
        const run = await runModel(build, model, inputs.map((t) => t.data), plan.output.size, tempDir(), { backpressure: 50, seed: 3 });
        run.results.forEach((r, i) => {
          expect(Array.from(r.outputs)).toEqual(Array.from(referenceBuffers(plan, inputs[i]!, libraryContext(undefined)).get(plan.output.name)!.data));
          expect(r.cycles).toBeGreaterThan(predictCycles(s).total);
        });
      }, 400_000);
    }

  for (const width of [32, 64] as const)
    testWithTool('g++', `HLS C simulation at ${width} bits, unsigned and signed codes: 20 inputs bit for bit in every layer`, async () => {
      for (const scheme of ['unsigned', 'signed'] as const) {
        const m = models.get(scheme)!, build = join(work, `odd-${scheme}-h${width}`);
        await emit('hls', m.ir, build, width);
        const r = await runCliAsync(['verify', build, '--hls', '--inputs', m.inputs, '--count', '20', '--layers', '--json']);
        expect(r.code, r.stdout + r.stderr).toBe(0);
        expect(JSON.parse(r.stdout)).toMatchObject({ count: 20, mismatches: 0, passed: true });
        // The build's own sample data (make csim) runs through the same packing.
        const make = spawnSync('make', ['csim'], { cwd: build, encoding: 'utf8' });
        expect(make.status, make.stdout + make.stderr).toBe(0);
        expect(make.stdout).toMatch(/PASS: 10 inferences match/);
        // The beat packing keeps the static rules (bounded loops, no allocation, no floating point).
        staticChecks(build, ['requantize', 'round_shift', 's32_from_u32']);
      }
    }, 300_000);

  testWithTool(['iverilog', 'vvp'], 'the generated Icarus testbench at 32 bits, signed codes: 3 inputs bit for bit, cycle for cycle, and under back-pressure', async () => {
    const m = models.get('signed')!, build = join(work, 'odd-icarus-32');
    await emit('verilog', m.ir, build, 32);
    const plan = planAccelerator(loadIr(m.ir));
    const x = readNpy(m.inputs), per = sizeOf(plan.hostInput.shape);
    const inputs = [0, 1, 2].map((i) => quantizeSample(plan, x.data.subarray(i * per, (i + 1) * per) as Float32Array));
    writeFileSync(join(build, 'inputs.hex'), inputs.flatMap((t) => Array.from(t.data, (v) => (v & 255).toString(16).padStart(2, '0'))).join('\n') + '\n');
    const c = spawnSync('iverilog', ['-g2005', '-o', 'icarus.vvp', 'tb/tb_top.v', ...rtlFiles(build)], { cwd: build, encoding: 'utf8' });
    expect(c.stderr).toBe('');
    const predicted = predictCycles(scheduleAccelerator(plan, 3, 32)).total;
    for (const backpressure of [0, 60]) {
      const r = spawnSync('vvp', ['-n', 'icarus.vvp', '+inputs=inputs.hex', `+outputs=out${backpressure}.txt`, '+count=3', `+backpressure=${backpressure}`], { cwd: build, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      const lines = readFileSync(join(build, `out${backpressure}.txt`), 'utf8').trim().split('\n').map((l) => l.split(' ').map(Number));
      expect(lines.length).toBe(3);
      lines.forEach((l, i) => {
        expect(l.slice(1), `inference ${i}`).toEqual(Array.from(referenceBuffers(plan, inputs[i]!, libraryContext(undefined)).get(plan.output.name)!.data));
        if (backpressure === 0) expect(l[0]).toBe(predicted);
        else expect(l[0]).toBeGreaterThan(predicted);
      });
    }
  }, 300_000);
});

/** Models whose input memory is read, and whose output memory written, by units other than a tile: input [1, 1, 5, 5]
 *  (25 codes), output 27 codes, so both interleaved memories end in a partial beat at 64 bits. */
function unitsOnnx(kind: 'window' | 'eltwise' | 'copy'): Uint8Array {
  let s = 17;
  const r = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
  const w = (n: number, scale = 0.5) => Array.from({ length: n }, () => r() * scale);
  const conv = (x: string, y: string, pad: number) => ({ op: 'Conv', inputs: [x, 'w1', 'b1'], outputs: [y], attrs: { kernel_shape: [3, 3], pads: [pad, pad, pad, pad] } });
  const nodes = {
    // Transpose reads the input (copy unit), the max pool writes the output (window unit).
    window: [{ op: 'Transpose', inputs: ['x'], outputs: ['t'], attrs: { perm: [0, 1, 3, 2] } }, conv('t', 'c', 1), { op: 'Relu', inputs: ['c'], outputs: ['r'] }, { op: 'MaxPool', inputs: ['r'], outputs: ['y'], attrs: { kernel_shape: [3, 3] } }],
    // The max pool reads the input (window unit), a sigmoid table writes the output (elementwise unit).
    eltwise: [{ op: 'MaxPool', inputs: ['x'], outputs: ['m'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] } }, conv('m', 'c', 0), { op: 'Sigmoid', inputs: ['c'], outputs: ['y'] }],
    // A sigmoid table reads the input (elementwise unit), a channels-last Transpose writes the output (copy unit).
    copy: [{ op: 'Sigmoid', inputs: ['x'], outputs: ['s'] }, conv('s', 'c', 0), { op: 'Relu', inputs: ['c'], outputs: ['r'] }, { op: 'Transpose', inputs: ['r'], outputs: ['y'], attrs: { perm: [0, 2, 3, 1] } }],
  }[kind];
  return onnxModel({
    inputs: [{ name: 'x', shape: [1, 1, 5, 5] }],
    outputs: ['y'],
    initializers: [{ name: 'w1', shape: [3, 1, 3, 3], data: w(27) }, { name: 'b1', shape: [3], data: w(3, 0.1) }],
    nodes,
  });
}

describe('other units on the interleaved memories at 64 bits', () => {
  for (const [kind, reader] of [['window', 'copy'], ['eltwise', 'window'], ['copy', 'eltwise']] as const)
    testWithTool('verilator', `the ${reader} unit reads the 8-bank input memory, the ${kind} unit writes the 2-bank output memory: 10 inputs bit for bit in every layer and cycle for cycle`, async () => {
      const m = await quantizedModel(join(work, `units-${kind}`), unitsOnnx(kind), [1, 1, 5, 5], 10);
      const s = scheduleAccelerator(planAccelerator(loadIr(m.ir)), 3, 64);
      expect([s.steps[0]!.unit, s.steps.at(-1)!.unit]).toEqual([reader, kind]);
      expect([s.memories[0]!.interleave, s.memories[s.output]!.interleave, s.stream.input.lastCodes, s.stream.output.lastCodes]).toEqual([8, 2, 1, 1]);
      await verilogPasses(m.ir, join(work, `units-${kind}-v64`), 64, 10, ['--inputs', m.inputs, '--layers']);
    }, 300_000);

  testWithTool('verilator', 'lane-banked depthwise inputs beside the interleaved stream memories (the MobileNet-style model): 10 inputs bit for bit in every layer and cycle for cycle', async () => {
    const m = await quantizedModel(join(work, 'dw'), depthwiseOnnx(), [1, 3, 8, 8], 10);
    const s = scheduleAccelerator(planAccelerator(loadIr(m.ir)), 3, 64);
    expect(s.memories.filter((mem) => mem.banks > 1).length).toBe(2);
    expect(s.memories.filter((mem) => mem.interleave > 1).map((mem) => [mem.index, mem.interleave])).toEqual([[0, 8], [s.output, 2]]);
    await verilogPasses(m.ir, join(work, 'dw-v64'), 64, 10, ['--inputs', m.inputs, '--layers']);
  }, 300_000);
});

describe('s_axis_tlast framing at 32-bit beats', () => {
  testWithTool('iverilog', 'a short and a long frame set frame_error bits 0 and 1; the good frames around them come out right', async () => {
    const model = await quantizedModel(join(work, 'framing'), depthwiseOnnx(), [1, 3, 8, 8], 8);
    const build = join(work, 'framing-v32');
    await emit('verilog', model.ir, build, 32);
    const top = readFileSync(join(build, 'rtl/adequate_top.v'), 'utf8');
    expect(top).toMatch(/4 codes of 8 bits per 32-bit beat \(little-endian lanes: code i of a beat in bits \[8i\+7:8i\]\),\n\/\/ 48 beats per frame/);
    expect(top).toMatch(/s_axis_tlast must be high on the 48th beat of a frame/);
    const manifest = JSON.parse(readFileSync(join(build, 'build.json'), 'utf8')) as { options: { streamWidth: number }; interface: { stream: unknown } };
    expect(manifest.options.streamWidth).toBe(32);
    expect(manifest.interface.stream).toEqual({
      width: 32,
      input: { beat_bits: 32, lane_bits: 8, codes_per_beat: 4, beats: 48, last_beat_codes: 4 },
      output: { beat_bits: 32, lane_bits: 32, codes_per_beat: 1, beats: 4, last_beat_codes: 1 },
    });
    const plan = planAccelerator(loadIr(model.ir));
    const x = readNpy(model.inputs);
    const frames = [0, 1, 2, 3].map((i) => Array.from(quantizeSample(plan, x.data.subarray(i * 192, (i + 1) * 192) as Float32Array).data));
    const golden = (i: number) => Array.from(referenceBuffers(plan, quantizeSample(plan, x.data.subarray(i * 192, (i + 1) * 192) as Float32Array)).get(plan.output.name)!.data);
    // 32-bit beats of 4 codes, code j in bits [8j+7:8j]; tlast marks the beat.
    const beatsOf = (codes: number[], lastAt: number): [number, boolean][] =>
      Array.from({ length: Math.ceil(codes.length / 4) }, (_, b) => [codes.slice(4 * b, 4 * b + 4).reduce((a, c, j) => a + (c & 255) * 2 ** (8 * j), 0), b === lastAt]);
    // Frame 0 short (25 beats, tlast on the last); frame 1 good (48 beats); frame 2 long (48 beats + 2, tlast on the
    // last); frame 3 good.
    const beats = [
      ...beatsOf(frames[0]!.slice(0, 100), 24),
      ...beatsOf(frames[1]!, 47),
      ...beatsOf([...frames[2]!, 1, 2, 3, 4, 5, 6, 7, 8], 49),
      ...beatsOf(frames[3]!, 47),
    ];
    expect(beats.length).toBe(25 + 48 + 50 + 48);
    writeFileSync(join(build, 'beats.hex'), beats.map(([d, l]) => ((l ? 2 ** 32 : 0) + d).toString(16)).join('\n') + '\n');
    const lines = runFramingBench(build, rtlFiles(build), 32, 'beats.hex', beats.length, 12);
    expect(lines).toEqual([...golden(1), 'E 1', ...golden(2), 'E 3', ...golden(3), 'E 3', `END 3 ${beats.length}`].map(String));
  }, 300_000);
});

/** An outsider's C++ driver of the HLS top at 32-bit beats: calls, each with its beats (4 codes, tlast); prints the
 *  status and the output codes. */
const FRAMING_DRIVER_32 = `#include "adequate.h"
#include <cstdio>
int main(int argc, char** argv) {
  if (argc < 2) return 2;
  FILE* f = std::fopen(argv[1], "r");
  static adq_in_stream in;
  static adq_out_stream out;
  int calls = 0;
  if (!f || std::fscanf(f, "%d", &calls) != 1) return 2;
  for (int c = 0; c < calls; c++) {
    int beats = 0;
    if (std::fscanf(f, "%d", &beats) != 1) return 2;
    for (int i = 0; i < beats; i++) {
      adq_in_word w;
      w.data = 0;
      for (int j = 0; j < 4; j++) {
        long long code = 0;
        if (std::fscanf(f, "%lld", &code) != 1) return 2;
        adq::set_lane<ADQ_IN_BITS, ADQ_IN_LANE_BITS>(w.data, j, adq::code_to_word<ADQ_IN_LANE_BITS>(code));
      }
      int last = 0;
      if (std::fscanf(f, "%d", &last) != 1) return 2;
      w.keep = -1;
      w.strb = -1;
      w.last = last != 0;
      in.write(w);
    }
    std::printf("S %d\\n", adequate_top(in, out));
    for (int i = 0; !out.empty(); i++) std::printf("%lld\\n", (long long)adq::word_to_code<ADQ_OUT_LANE_BITS, ADQ_OUT_SIGNED>(adq::lane<ADQ_OUT_BITS, ADQ_OUT_LANE_BITS>(out.read().data, 0)));
  }
  return 0;
}
`;

describe('HLS frame status at 32-bit beats', () => {
  testWithTool('g++', 'adequate_top returns ADQ_FRAME_SHORT and ADQ_FRAME_LONG for frames with a wrong TLAST, and the good frames around them come out right', async () => {
    const model = await quantizedModel(join(work, 'framing-hls'), depthwiseOnnx(), [1, 3, 8, 8], 8);
    const build = join(work, 'framing-h32');
    await emit('hls', model.ir, build, 32);
    expect(readFileSync(join(build, 'adequate.h'), 'utf8')).toMatch(/#define ADQ_IN_BEATS 48\n/);
    const plan = planAccelerator(loadIr(model.ir));
    const x = readNpy(model.inputs);
    const sample = (i: number) => quantizeSample(plan, x.data.subarray(i * 192, (i + 1) * 192) as Float32Array);
    const golden = (i: number) => Array.from(referenceBuffers(plan, sample(i)).get(plan.output.name)!.data);
    const beatsOf = (codes: number[], lastAt: number) => Array.from({ length: Math.ceil(codes.length / 4) }, (_, b) => `${codes.slice(4 * b, 4 * b + 4).join(' ')} ${b === lastAt ? 1 : 0}`);
    const frames = [0, 1, 2, 3].map((i) => Array.from(sample(i).data));
    // A short frame (25 beats), a good one, a long one (48 beats + 2, tlast on the last), a good one.
    const calls = [beatsOf(frames[0]!.slice(0, 100), 24), beatsOf(frames[1]!, 47), beatsOf([...frames[2]!, 1, 2, 3, 4, 5, 6, 7, 8], 49), beatsOf(frames[3]!, 47)];
    writeFileSync(join(build, 'calls.txt'), [calls.length, ...calls.flatMap((c) => [c.length, ...c])].join('\n') + '\n');
    writeFileSync(join(build, 'driver.cpp'), FRAMING_DRIVER_32);
    const c = spawnSync('g++', ['-std=c++17', '-O1', '-Wall', '-Wextra', '-Werror', '-o', 'driver', 'driver.cpp', 'adequate_top.cpp'], { cwd: build, encoding: 'utf8' });
    expect(c.status, c.stderr).toBe(0);
    const r = spawnSync('./driver', ['calls.txt'], { cwd: build, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual(['S 1', 'S 0', ...golden(1).map(String), 'S 2', ...golden(2).map(String), 'S 0', ...golden(3).map(String)]);
  }, 300_000);
});
