/** The hardware steps beyond conv/pool/dense chains, each in a tiny quantized model that goes through `emit hls` +
 *  `verify --hls` and `emit verilog` + `verify` (Verilator) with 0 mismatches and 0 cycle mismatches, every layer
 *  compared: layout copies (channel shuffle, Split, Concat, Slice, channels-last Transpose), a broadcasting QSum, a
 *  Clip on codes, GlobalMaxPool. The references are the integer golden model (bit for bit) and the cycle model. */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { loadIr, saveIr } from '../../src/ir/serialize.js';
import type { Node } from '../../src/ir/types.js';
import { runCliAsync } from '../helpers/cli.js';
import { depthwiseOnnx, fireOnnx, kerasPadOnnx, layoutOnnx, quantizedModel, quantizedZoo, squeezeExciteOnnx } from '../helpers/hw-models.js';
import { planAccelerator } from '../../src/hw/plan.js';
import { scheduleAccelerator } from '../../src/hw/schedule.js';
import { predictCycles } from '../../src/hw/cycles.js';
import { quantizeSample, referenceBuffers } from '../../src/hw/reference.js';
import { readNpy, writeNpy } from '../../src/io/npy.js';
import { staticChecks } from '../helpers/hls-static.js';
import { tempDir } from '../helpers/tmp.js';
import { testWithTool } from '../helpers/tools.js';
import { runFramingBench } from '../helpers/framing-bench.js';
import { gridInputs, thresholdCnn } from '../qonnx/models.js';
import { verilogPasses as verilogRoundTrip } from '../helpers/verilog-passes.js';

const work = tempDir();

async function verilogPasses(ir: string, inputs: string, name: string, lanes: number, count: number): Promise<Record<string, unknown>> {
  return verilogRoundTrip(ir, inputs, join(work, name), ['--lanes', String(lanes)], count);
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

/** The IR with a Clip on codes (bounds inside the code range, so it bites) after its QSum: the quantizer folds a
 *  ReLU into its producer, but a QDQ model or a hand-made IR can hold a standalone clamp. */
function withClip(ir: string, out: string): string {
  const g = loadIr(ir);
  const sum = g.nodes.find((n) => n.op === 'QSum')!;
  const y = sum.outputs[0]!, raw = `${y}.unclipped`, info = g.values.get(y)!;
  const clip = { name: `${sum.name}.clip`, op: 'Clip', attrs: { min: 40, max: 200 }, inputs: [raw], outputs: [y] } as unknown as Node;
  const nodes = g.nodes.flatMap((n) => (n === sum ? [{ ...n, outputs: [raw] } as Node, clip] : [n]));
  const values = new Map(g.values);
  values.set(raw, { ...info, name: raw });
  mkdirSync(out, { recursive: true });
  saveIr(out, { ...g, nodes, values });
  return out;
}

describe('Keras-style explicit Pad before a strided Conv and a counting AveragePool (merged into their pads)', () => {
  testWithTool(['g++', 'verilator'], 'no Pad is left; C simulation and Verilator bit for bit, cycle for cycle', async () => {
    const model = await quantizedModel(join(work, 'keraspad'), kerasPadOnnx(), [1, 3, 9, 9], 20);
    expect(loadIr(model.ir).nodes.map((n) => n.op)).toEqual(['QuantizeLinear', 'QConv', 'QAveragePool', 'DequantizeLinear']);
    await hlsPasses(model.ir, model.inputs, 'keraspad-hls', 3, 10);
    await verilogPasses(model.ir, model.inputs, 'keraspad-v', 3, 10);
  }, 300_000);
});

describe('layout steps, broadcasting QSum, Clip on codes, GlobalMaxPool', () => {
  let model: { ir: string; inputs: string };
  beforeAll(async () => {
    const q = await quantizedModel(join(work, 'layout'), layoutOnnx(), [1, 4, 6, 6], 40);
    model = { ir: withClip(q.ir, join(work, 'layout', 'q-clip')), inputs: q.inputs };
  }, 120_000);

  testWithTool('g++', 'the quantized model holds every step under test', () => {
    const ops = loadIr(model.ir).nodes.map((n) => n.op);
    for (const op of ['Transpose', 'Split', 'Concat', 'Slice', 'Clip', 'QSum', 'MaxPool', 'QAveragePool']) expect(ops).toContain(op);
  });

  testWithTool('g++', 'HLS C simulation: 20 inputs bit for bit in every layer', async () => {
    const top = await hlsPasses(model.ir, model.inputs, 'layout-hls', 3, 20);
    expect(top).toMatch(/copy_segment\(mem, LAYER\d+_SEGMENTS\[s\]\);/);
    // The channel Concat's inputs are placed inside its output; the Concat of two reshaped (aliased) tensors copies.
    expect(top).toMatch(/\/\/ Concat_\d+: Concat, every input was written in place inside its output: no data moves/);
    expect(top).toMatch(/segments_\d+: for .*\/\/ Concat_\d+/);
  }, 300_000);

  testWithTool('verilator', 'Verilator: 20 inputs bit for bit in every layer and cycle for cycle', async () => {
    const j = await verilogPasses(model.ir, model.inputs, 'layout-v', 3, 20);
    const layers = j.layers as { op: string; unit: string }[];
    // The channel Concat's inputs (a Split output and a conv output) are placed in its memory: no step; the Concat of
    // two reshaped (aliased) tensors copies.
    expect(layers.filter((l) => l.unit === 'copy').map((l) => l.op)).toEqual(['Transpose', 'Split', 'Split', 'Broadcast', 'Slice', 'Transpose', 'Concat']);
  }, 400_000);
});

describe('grouped and depthwise convolutions', () => {
  let model: { ir: string; inputs: string };
  beforeAll(async () => {
    model = await quantizedModel(join(work, 'dw'), depthwiseOnnx(), [1, 3, 8, 8], 40);
  }, 120_000);

  testWithTool('g++', 'HLS C simulation: 20 inputs bit for bit in every layer', async () => {
    const top = await hlsPasses(model.ir, model.inputs, 'dw-hls', 3, 20);
    // Every depthwise layer runs lanes over groups in C++.
    expect(top).toMatch(/if \(L\.over_groups\) \{\n    tile_0_depthwise\(mem, L\);/);
    expect((top.match(/, true, 0, 0, 0,$/gm) ?? []).length).toBe(3);
  }, 300_000);

  testWithTool('verilator', 'Verilator, 3 lanes: 20 inputs bit for bit in every layer and cycle for cycle', async () => {
    await verilogPasses(model.ir, model.inputs, 'dw-v3', 3, 20);
  }, 400_000);

  test('the schedule: lanes over groups for the depthwise layers fed by a group-1 conv or the elementwise unit (banked input), over the channels of a group otherwise', () => {
    const s = scheduleAccelerator(planAccelerator(loadIr(model.ir)), 4);
    const tiles = s.steps.filter((st) => st.unit === 'tile');
    expect(tiles.map((st) => st.items!.mode)).toEqual(['channels', 'groups', 'channels', 'channels', 'groups', 'channels', 'channels']);
    expect(tiles.map((st) => st.items!.count)).toEqual([2, 2, 2, 3, 2, 6, 1]);
    expect(s.memories.filter((m) => m.banks > 1).map((m) => [m.banks, m.size])).toEqual([[4, 2 * 64], [4, 2 * 16]]);
    // The depthwise layer on 4 lanes (8 channels, 9 taps, 64 positions): (2*64 - 1)*9 + 9 + 8 + 4 cycles, worked by hand.
    const dw = predictCycles(s).steps[1]!;
    expect(dw.cycles).toBe(127 * 9 + 21);
    expect(dw.utilization).toBeGreaterThan(0.85);
  });
});

describe('squeeze-excitation (QMul with a broadcast gate) and a residual add with its ReLU folded', () => {
  let model: { ir: string; inputs: string };
  beforeAll(async () => {
    model = await quantizedModel(join(work, 'se'), squeezeExciteOnnx(), [1, 3, 6, 6], 40);
  }, 120_000);

  test('the quantized model holds a QMul, a QTable and a QSum whose lo folds the ReLU, and no Clip', () => {
    const nodes = loadIr(model.ir).nodes;
    const ops = nodes.map((n) => n.op);
    for (const op of ['QMul', 'QTable', 'QSum']) expect(ops).toContain(op);
    expect(ops).not.toContain('Clip');
  });

  testWithTool('g++', 'HLS C simulation: 20 inputs bit for bit in every layer', async () => {
    const top = await hlsPasses(model.ir, model.inputs, 'se-hls', 4, 20);
    expect(top).toMatch(/QMul, out = clamp/);
  }, 300_000);

  testWithTool('verilator', 'Verilator, 4 lanes: 20 inputs bit for bit in every layer and cycle for cycle', async () => {
    const j = await verilogPasses(model.ir, model.inputs, 'se-v4', 4, 20);
    const layers = j.layers as { op: string; unit: string }[];
    expect(layers.filter((l) => l.unit === 'eltwise' || l.unit === 'copy').map((l) => l.op)).toEqual(['QTable', 'Broadcast', 'QMul', 'QSum']);
  }, 400_000);
});

describe('elementwise lanes (--eltwise-lanes E): E elements per cycle', () => {
  // Squeeze-excitation on 5 channels of 5x5 (125 codes: a multiple of neither 2 nor 3) with a Clip after the
  // residual QSum: QTable (5 codes), QMul (broadcast gate), QSum, Clip on the elementwise unit; a QONNX CNN with two
  // per-channel QThresholds, the second writing the streamed output.
  let se: { ir: string; inputs: string };
  const cnn = join(work, 'eltwise-cnn');
  beforeAll(async () => {
    const q = await quantizedModel(join(work, 'eltwise-se'), squeezeExciteOnnx(5, 5), [1, 3, 5, 5], 20);
    se = { ir: withClip(q.ir, join(work, 'eltwise-se', 'q-clip')), inputs: q.inputs };
    mkdirSync(cnn, { recursive: true });
    writeFileSync(join(cnn, 'cnn.onnx'), thresholdCnn('HALF_UP'));
    writeNpy(join(cnn, 'x.npy'), gridInputs(20, [2, 5, 5], 2));
    const r = await runCliAsync(['quantize', join(cnn, 'cnn.onnx'), '-o', join(cnn, 'q'), '--inputs', join(cnn, 'x.npy'), '--calib', '20']);
    if (r.code !== 0) throw new Error(r.stderr);
  }, 120_000);

  /** The elementwise steps' measured cycles, which verify has compared with the cycle model: ceil(N / E) + 4. */
  const eltwiseCycles = (j: Record<string, unknown>) => (j.layers as { op: string; unit: string; cycles: number }[]).filter((l) => l.unit === 'eltwise').map((l) => [l.op, l.cycles]);

  testWithTool('verilator', 'Verilator, E = 3 and E = 2: every layer bit for bit, the cycles ceil(N / E) + 4', async () => {
    const j3 = await verilogRoundTrip(se.ir, se.inputs, join(work, 'eltwise-se3'), ['--lanes', '3', '--eltwise-lanes', '3'], 4);
    expect(eltwiseCycles(j3)).toEqual([['QTable', 2 + 4], ['QMul', 42 + 4], ['QSum', 42 + 4], ['Clip', 42 + 4]]);
    const manifest = JSON.parse(readFileSync(join(work, 'eltwise-se3', 'build.json'), 'utf8')) as { folding: { elementwise: number }; memories: { interleave: number; words: number }[] };
    expect(manifest.folding.elementwise).toBe(3);
    // The QTable output (5 codes: 4 banks of 2 words), the QMul, QSum and Clip outputs (125 codes: 4 banks of 32
    // words), interleaved by address.
    expect(manifest.memories.filter((m) => m.interleave === 4).map((m) => m.words)).toEqual([2, 32, 32, 32]);
    const j2 = await verilogRoundTrip(se.ir, se.inputs, join(work, 'eltwise-se2'), ['--lanes', '3', '--eltwise-lanes', '2', '--simd', '2'], 4);
    expect(eltwiseCycles(j2)).toEqual([['QTable', 3 + 4], ['QMul', 63 + 4], ['QSum', 63 + 4], ['Clip', 63 + 4]]);
  }, 400_000);

  testWithTool('verilator', 'Verilator, QThreshold at E = 3, the streamed output (64-bit beats of 2 codes) at E = 2', async () => {
    const j = await verilogRoundTrip(join(cnn, 'q'), join(cnn, 'x.npy'), join(work, 'eltwise-cnn3'), ['--eltwise-lanes', '3', '--stream-width', '64'], 4);
    const plan = planAccelerator(loadIr(join(cnn, 'q')));
    const sizes = plan.layers.filter((l) => ['QTable', 'QThreshold'].includes(l.node.op)).map((l) => plan.buffers.get(l.output)!.size);
    // The first two in 4 banks (E = 3), the last, streamed, in the output beat's 2 banks (E = 2).
    expect(eltwiseCycles(j)).toEqual([['QTable', Math.ceil(sizes[0]! / 3) + 4], ['QThreshold', Math.ceil(sizes[1]! / 3) + 4], ['QThreshold', Math.ceil(sizes[2]! / 2) + 4]]);
  }, 400_000);

  testWithTool('verilator', 'Verilator, into a lane-banked depthwise input at E = L = 4: channel-major lanes, every layer bit for bit', async () => {
    const model = await quantizedModel(join(work, 'eltwise-dw'), depthwiseOnnx(), [1, 3, 8, 8], 8);
    const j = await verilogRoundTrip(model.ir, model.inputs, join(work, 'eltwise-dw4'), ['--lanes', '4', '--eltwise-lanes', '4'], 4);
    // The sigmoid table: 6 channels of 4x4 in ceil(6 / 4) groups of 4 lanes, 16 positions each, + 4.
    expect(eltwiseCycles(j)).toEqual([['QTable', 2 * 16 + 4]]);
  }, 400_000);

  testWithTool('g++', 'HLS: UNROLL factor E on the elementwise loops; C simulation bit for bit in every layer', async () => {
    const build = join(work, 'eltwise-hls3');
    const emit = await runCliAsync(['emit', 'hls', se.ir, '-o', build, '--eltwise-lanes', '3']);
    expect(emit.code, emit.stderr).toBe(0);
    expect(readFileSync(join(build, 'adequate_top.cpp'), 'utf8').match(/ADQ_HLS\(UNROLL factor=3\)/g)).toHaveLength(4);
    const r = await runCliAsync(['verify', build, '--hls', '--inputs', se.inputs, '--count', '10', '--layers', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ count: 10, mismatches: 0, passed: true });
  }, 300_000);
});

describe('window lanes (--window-lanes V): V output planes per cycle', () => {
  let zoo: { ir: string; inputs: string };
  beforeAll(async () => {
    zoo = await quantizedZoo(join(work, 'window-lanes'), 4);
  }, 120_000);

  testWithTool('verilator', 'Verilator, V = 3 with W = 2 taps: a padded MaxPool on 5 planes and an AveragePool on 3, every layer bit for bit, the cycles G*P*ceil(K/W) + 5', async () => {
    const j = await verilogRoundTrip(zoo.ir, zoo.inputs, join(work, 'window-lanes3'), ['--window-lanes', '3', '--window-taps', '2'], 4);
    // MaxPool 3x3 (pads 1) on 5 planes of 5x5: G = ceil(5/3) = 2 planes per pipeline (the third pipeline has one),
    // 2*25*ceil(9/2) + 5 = 255 cycles (630 at one plane per cycle); AveragePool 2x2 on 3 planes of 3x3 (an odd
    // edge padded): G = 1, 1*9*ceil(4/2) + 5 = 23 (59).
    const windows = (j.layers as { op: string; unit: string; cycles: number }[]).filter((l) => l.unit === 'window').map((l) => [l.op, l.cycles]);
    expect(windows).toEqual([['MaxPool', 255], ['QAveragePool', 23]]);
    const manifest = JSON.parse(readFileSync(join(work, 'window-lanes3', 'build.json'), 'utf8')) as { folding: { windowLanes: number }; memories: { regions?: number; regionChannels?: number; words: number }[] };
    expect(manifest.folding.windowLanes).toBe(3);
    // The two pool outputs split by plane region: 3 banks of 2 planes (50 words), 3 banks of 1 plane (9 words).
    expect(manifest.memories.filter((m) => (m.regions ?? 1) > 1).map((m) => [m.regions, m.regionChannels, m.words])).toEqual([[3, 2, 50], [3, 1, 9]]);
  }, 300_000);

  testWithTool('g++', 'HLS: UNROLL factor V on the pooling planes loops; C simulation bit for bit in every layer', async () => {
    const build = join(work, 'window-lanes-hls3');
    const emit = await runCliAsync(['emit', 'hls', zoo.ir, '-o', build, '--window-lanes', '3']);
    expect(emit.code, emit.stderr).toBe(0);
    expect(readFileSync(join(build, 'adequate_top.cpp'), 'utf8').match(/ADQ_HLS\(UNROLL factor=3\)/g)).toHaveLength(2);
    const r = await runCliAsync(['verify', build, '--hls', '--inputs', zoo.inputs, '--count', '4', '--layers', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ count: 4, mismatches: 0, passed: true });
  }, 300_000);
});

describe('a fire module: Concat of two convs', () => {
  testWithTool(['g++', 'verilator'], 'HLS and Verilog place both inputs (no copy step at all): 10 inputs bit for bit, cycle for cycle', async () => {
    const model = await quantizedModel(join(work, 'fire'), fireOnnx(), [1, 3, 6, 6], 20);
    const top = await hlsPasses(model.ir, model.inputs, 'fire-hls', 4, 10);
    expect(top).not.toMatch(/copy_segment/);
    expect(top).toMatch(/Concat, every input was written in place inside its output/);
    const j = await verilogPasses(model.ir, model.inputs, 'fire-v', 4, 10);
    expect((j.layers as { op: string; unit: string }[]).filter((l) => l.unit === 'copy').map((l) => l.op)).toEqual([]);
  }, 400_000);
});

describe('s_axis_tlast framing', () => {
  testWithTool('iverilog', 'a short and a long frame set frame_error bits 0 and 1; the good frames around them come out right', async () => {
    const model = await quantizedModel(join(work, 'framing'), depthwiseOnnx(), [1, 3, 8, 8], 8);
    const build = join(work, 'framing-v');
    const emit = await runCliAsync(['emit', 'verilog', model.ir, '-o', build, '--lanes', '3']);
    expect(emit.code, emit.stderr).toBe(0);
    expect(readFileSync(join(build, 'rtl/adequate_top.v'), 'utf8')).toMatch(/\/\/   input: 192 codes \[1, 3, 8, 8\], uint8 0\.\.255, scale [0-9.e-]+, zero point \d+: code = clamp\(round_half_even\(x \/ scale\) \+ zero_point, code_min, code_max\)/);
    const manifest = JSON.parse(readFileSync(join(build, 'build.json'), 'utf8')) as { interface: { input: { codes: number; scale: number[] }; output: { codes: number } } };
    expect([manifest.interface.input.codes, manifest.interface.output.codes]).toEqual([192, 4]);
    const plan = planAccelerator(loadIr(model.ir));
    const x = readNpy(model.inputs);
    const frames = [0, 1, 2, 3].map((i) => quantizeSample(plan, x.data.subarray(i * 192, (i + 1) * 192) as Float32Array));
    const golden = (t: ReturnType<typeof quantizeSample>) => Array.from(referenceBuffers(plan, t).get(plan.output.name)!.data);
    // Frame 0 short (100 codes, tlast on the last); frame 1 good; frame 2 long (192 codes + 5, tlast on the last);
    // frame 3 good.
    const beats: [number, boolean][] = [
      ...Array.from(frames[0]!.data.slice(0, 100), (c, i): [number, boolean] => [c, i === 99]),
      ...Array.from(frames[1]!.data, (c, i): [number, boolean] => [c, i === 191]),
      ...Array.from(frames[2]!.data, (c): [number, boolean] => [c, false]), ...[1, 2, 3, 4, 5].map((c, i): [number, boolean] => [c, i === 4]),
      ...Array.from(frames[3]!.data, (c, i): [number, boolean] => [c, i === 191]),
    ];
    writeFileSync(join(build, 'frames.hex'), beats.map(([c, l]) => ((l ? 256 : 0) + c).toString(16)).join('\n') + '\n');
    const rtl = readFileSync(join(build, 'verilator.f'), 'utf8').split('\n').filter((l) => l.startsWith('rtl/'));
    const lines = runFramingBench(build, rtl, 8, 'frames.hex', beats.length, 12);
    const expected = [...golden(frames[1]!), 'E 1', ...golden(frames[2]!), 'E 3', ...golden(frames[3]!), 'E 3', `END 3 ${beats.length}`].map(String);
    expect(lines).toEqual(expected);
  }, 300_000);
});

/** An outsider's C++ driver of the HLS top: calls, each with its words (code, tlast); prints the status and outputs. */
const FRAMING_DRIVER = `#include "adequate.h"
#include <cstdio>
int main(int argc, char** argv) {
  if (argc < 2) return 2;
  FILE* f = std::fopen(argv[1], "r");
  static adq_in_stream in;
  static adq_out_stream out;
  int calls = 0;
  if (!f || std::fscanf(f, "%d", &calls) != 1) return 2;
  for (int c = 0; c < calls; c++) {
    int words = 0;
    if (std::fscanf(f, "%d", &words) != 1) return 2;
    for (int i = 0; i < words; i++) {
      long long code = 0;
      int last = 0;
      if (std::fscanf(f, "%lld %d", &code, &last) != 2) return 2;
      adq_in_word w;
      w.data = adq::code_to_word<ADQ_IN_BITS>(code);
      w.keep = -1;
      w.strb = -1;
      w.last = last != 0;
      in.write(w);
    }
    std::printf("S %d\\n", adequate_top(in, out));
    for (int i = 0; !out.empty(); i++) std::printf("%lld\\n", (long long)adq::word_to_code<ADQ_OUT_BITS, ADQ_OUT_SIGNED>(out.read().data));
  }
  return 0;
}
`;

describe('HLS frame status', () => {
  testWithTool('g++', 'adequate_top returns ADQ_FRAME_SHORT and ADQ_FRAME_LONG for frames with a wrong TLAST, and the good frames around them come out right', async () => {
    const model = await quantizedModel(join(work, 'framing-hls'), depthwiseOnnx(), [1, 3, 8, 8], 8);
    const build = join(work, 'framing-h');
    const emit = await runCliAsync(['emit', 'hls', model.ir, '-o', build, '--lanes', '3']);
    expect(emit.code, emit.stderr).toBe(0);
    expect(readFileSync(join(build, 'adequate.h'), 'utf8')).toMatch(/\/\/ output: 4 codes \[1, 4\], (u?int8) -?\d+\.\.\d+, scale [0-9.e-]+, zero point -?\d+: x = \(code - zero_point\) \* scale/);
    const plan = planAccelerator(loadIr(model.ir));
    const x = readNpy(model.inputs);
    const frames = [0, 1, 2, 3].map((i) => Array.from(quantizeSample(plan, x.data.subarray(i * 192, (i + 1) * 192) as Float32Array).data));
    const golden = (i: number) => Array.from(referenceBuffers(plan, quantizeSample(plan, x.data.subarray(i * 192, (i + 1) * 192) as Float32Array)).get(plan.output.name)!.data);
    const calls = [
      frames[0]!.slice(0, 100).map((c, i) => [c, i === 99 ? 1 : 0]),
      frames[1]!.map((c, i) => [c, i === 191 ? 1 : 0]),
      [...frames[2]!.map((c) => [c, 0]), ...[1, 2, 3, 4, 5].map((c, i) => [c, i === 4 ? 1 : 0])],
      frames[3]!.map((c, i) => [c, i === 191 ? 1 : 0]),
    ];
    writeFileSync(join(build, 'calls.txt'), [calls.length, ...calls.flatMap((w) => [w.length, ...w.map(([c, l]) => `${c} ${l}`)])].join('\n') + '\n');
    writeFileSync(join(build, 'driver.cpp'), FRAMING_DRIVER);
    const c = spawnSync('g++', ['-std=c++17', '-O1', '-Wall', '-Wextra', '-Werror', '-o', 'driver', 'driver.cpp', 'adequate_top.cpp'], { cwd: build, encoding: 'utf8' });
    expect(c.status, c.stderr).toBe(0);
    const r = spawnSync('./driver', ['calls.txt'], { cwd: build, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual(['S 1', 'S 0', ...golden(1).map(String), 'S 2', ...golden(2).map(String), 'S 0', ...golden(3).map(String)]);
  }, 300_000);
});
