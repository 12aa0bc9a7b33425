import { join } from 'node:path';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { beforeAll, describe, expect, test } from 'vitest';
import { predictCycles, stepCycles } from '../../src/hw/cycles.js';
import { planAccelerator, type AcceleratorPlan } from '../../src/hw/plan.js';
import { quantizeSample, referenceBuffers } from '../../src/hw/reference.js';
import { scheduleAccelerator, type Schedule } from '../../src/hw/schedule.js';
import { uniformFolding } from '../../src/hw/fold.js';
import { loadIr } from '../../src/ir/serialize.js';
import { readNpy } from '../../src/io/npy.js';
import { emitVerilog } from '../../src/emit/verilog/index.js';
import { buildModel, runModel } from '../../src/verify/verilator.js';
import { readMemoryDump } from '../../src/verify/rtl.js';
import { sizeOf } from '../../src/ir/types.js';
import { runCli, REPO } from '../helpers/cli.js';
import { depthwiseOnnx, quantizedModel, quantizedZoo, squeezeExciteOnnx } from '../helpers/hw-models.js';
import { tempDir } from '../helpers/tmp.js';
import { testWithTool } from '../helpers/tools.js';

describe('cycle model, worked by hand on LeNet-5', () => {
  let schedule4: Schedule, schedule8: Schedule;
  beforeAll(() => {
    const q = join(tempDir(), 'q');
    runCli(['quantize', join(REPO, 'examples/lenet5-mnist/model.onnx'), '-o', q, '--calib', '64', '--eval-limit', '10']);
    const plan = planAccelerator(loadIr(q));
    schedule4 = scheduleAccelerator(plan, 4);
    schedule8 = scheduleAccelerator(plan, 8);
  }, 120_000);

  test('every step of the 4-lane accelerator', () => {
    const byName = predictCycles(schedule4).steps.map((s) => [s.op, s.cycles]);
    // conv1: 6 channels = 2 groups of 4 lanes, 28*28 positions, K = 25: (2*784 - 1)*25 + 25, then 8 drain cycles and
    //        the 2 channels of the last group; pool1: 6*14*14 outputs of 4 taps + 5; conv2: 4 groups, 100 positions,
    //        K = 150; fc1: 30 groups of K = 400; fc2: 21 groups of K = 120; fc3: 3 groups (2 lanes in the last), K = 84.
    expect(byName).toEqual([
      ['QConv', 1567 * 25 + 25 + 8 + 2],
      ['MaxPool', 1176 * 4 + 5],
      ['QConv', 399 * 150 + 150 + 8 + 4],
      ['MaxPool', 400 * 4 + 5],
      ['QGemm', 29 * 400 + 400 + 8 + 4],
      ['QGemm', 20 * 120 + 120 + 8 + 4],
      ['QGemm', 2 * 84 + 84 + 8 + 2],
    ]);
    const p = predictCycles(schedule4);
    // 784 input beats, the steps, 10 output beats and the first output read.
    expect(p.total).toBe(784 + 39210 + 4709 + 60012 + 1605 + 12012 + 2532 + 262 + 11);
    expect(p.total).toBe(121137);
  });

  test('utilization: lanes idle only where channels do not fill the last group', () => {
    const steps = predictCycles(schedule8).steps.filter((s) => s.utilization !== undefined);
    // conv1 has 6 channels on 8 lanes: at most 6/8; conv2 16 channels fill 2 groups; fc3 10 channels on 2 groups of 8.
    expect(steps.map((s) => s.groupingBound)).toEqual([6 / 8, 1, 1, 84 / 88, 10 / 16]);
    for (const s of steps) {
      expect(s.utilization!).toBeLessThanOrEqual(s.groupingBound!);
      if (s.macs > 10_000) expect(s.utilization!).toBeGreaterThan(s.groupingBound! * 0.99);
    }
  });

  test('P x S folding, worked by hand: LeNet-5 at P=6, S=5, W=2; P=4, S=1 is the 4-lane schedule', () => {
    const plan = schedule4.plan;
    expect(predictCycles(scheduleAccelerator(plan, uniformFolding(plan, 4))).total).toBe(121137);
    const p = predictCycles(scheduleAccelerator(plan, uniformFolding(plan, 6, 5, 2)));
    // conv1: 6 channels = 1 item of 6 lanes, 784 positions, K = 25 in 5 chunks of Kc = 5, period max(5, 6) = 6:
    //        (784 - 1)*6 + 5 + 8 + 6; pool1: 1,176 outputs of 4 taps, 2 per cycle: 1176*2 + 5;
    // conv2: 16 channels = 3 items (4 lanes in the last), 100 positions, K = 150, Kc = 30: (300 - 1)*30 + 30 + 8 + 4;
    // pool2: 400*2 + 5; fc1: 20 items (120 = 20*6: the last item is full), K = 400, Kc = 80: 19*80 + 80 + 8 + 6;
    // fc2: 14 items (84 = 14*6), K = 120, Kc = 24: 13*24 + 24 + 8 + 6; fc3: 2 items (4 lanes in the last), K = 84,
    // Kc = 17 (the fifth chunk has 16 taps): 1*17 + 17 + 8 + 4.
    expect(p.steps.map((s) => s.cycles)).toEqual([783 * 6 + 5 + 8 + 6, 1176 * 2 + 5, 299 * 30 + 30 + 8 + 4, 400 * 2 + 5, 19 * 80 + 80 + 8 + 6, 13 * 24 + 24 + 8 + 6, 17 + 17 + 8 + 4]);
    expect(p.multipliers).toBe(30);
    // utilization = MACs / (cycles * P * S): conv1 117,600 MACs in 4,717 cycles on 30 multipliers.
    expect(p.steps[0]!.utilization).toBeCloseTo(117600 / (4717 * 30), 12);
    expect(p.steps[0]).toMatchObject({ pe: 6, simd: 5 });
  });

  test('window lanes, worked by hand: LeNet-5 pools at V = 4, W = 2 (G = ceil(C/V) planes per pipeline)', () => {
    const plan = schedule4.plan;
    const s = scheduleAccelerator(plan, uniformFolding(plan, 4, 1, 2, false, 1, 4));
    const pools = s.steps.filter((st) => st.unit === 'window');
    // pool1: 6 planes of 14x14, K = 4 taps, 2 per cycle: G = ceil(6/4) = 2 planes, so 3 pipelines busy:
    //        2*196*2 + 5 = 789 (1176*2 + 5 = 2,357 at one plane per cycle); pool2: 16 planes of 5x5: G = 4, 4 pipelines:
    //        4*25*2 + 5 = 205 (805).
    expect(pools.map((st) => [st.windowLanes, stepCycles(st)])).toEqual([[{ lanes: 3, planes: 2 }, 789], [{ lanes: 4, planes: 4 }, 205]]);
    // Their outputs split by plane region (3 banks of 2*196 words, 4 of 4*25); their inputs read through V*W ports.
    expect(pools.map((st) => [s.memories[st.output]!.regions, s.memories[st.output]!.regionChannels, s.memories[st.output]!.size, s.memories[st.inputs[0]!]!.ports])).toEqual([[3, 2, 392, 6], [4, 4, 100, 8]]);
    // Nothing else changes: the totals differ by the window cycles saved.
    expect(predictCycles(scheduleAccelerator(plan, uniformFolding(plan, 4, 1, 2))).total - predictCycles(s).total).toBe(2357 - 789 + 805 - 205);
    // More lanes than planes: pool1 takes 6 pipelines of one plane (196*2 + 5), pool2 16 (25*2 + 5).
    const wide = scheduleAccelerator(plan, uniformFolding(plan, 4, 1, 2, false, 1, 16)).steps.filter((st) => st.unit === 'window');
    expect(wide.map((st) => [st.windowLanes!.lanes, stepCycles(st)])).toEqual([[6, 397], [16, 55]]);
  });

  test('a reduction shorter than the lanes waits for the serializer: period max(K, L)', () => {
    const dense = schedule8.steps.at(-1)!;
    const short = { ...dense, k: 5, channels: 10 };
    // 2 groups of 8 lanes, one position: first item 8 cycles (5 taps + 3 idle), then 5 taps, drain 8, 2 lanes.
    expect(stepCycles(short, 8)).toBe(1 * 8 + 5 + 8 + 2);
  });
});

describe('cycle model against Verilator, layer by layer', () => {
  let dir: string, ir: string, inputs: string;
  beforeAll(async () => {
    dir = tempDir();
    ({ ir, inputs } = await quantizedZoo(join(dir, 'zoo'), 8, ['--rounding', 'half-even']));
  }, 120_000);

  testWithTool('verilator', 'every step of the zoo model (8 lanes, K < L included) takes the predicted cycles and writes the golden buffer', async () => {
    const plan = planAccelerator(loadIr(ir));
    const build = join(dir, 'build');
    mkdirSync(build);
    await emitVerilog(plan, { lanes: 8, part: 'xc7z020clg400-1', clockNs: 10, multiplierImpl: 'auto' }, build);
    const model = await buildModel(build, 'debug');
    const x = readNpy(inputs);
    const per = sizeOf(plan.hostInput.shape);
    const codes = [0, 1, 2].map((i) => quantizeSample(plan, (x.data as Float32Array).subarray(i * per, (i + 1) * per)));
    const dumpDir = mkdtempSync(join(dir, 'dump-'));
    const run = await runModel(build, model, codes.map((c) => c.data), plan.output.size, dir, { dumpDir });
    const s = scheduleAccelerator(plan, 8);
    const predicted = predictCycles(s);
    const measured = run.stdout.split('\n').filter((l) => l.startsWith('ADQ_STEP 0 ')).map((l) => Number(l.split(' ')[3]));
    expect(measured).toEqual(predicted.steps.map((st) => st.cycles));
    expect(s.steps.map((st) => st.layer.node.op)).toEqual(['QConv', 'MaxPool', 'QConv', 'QTable', 'QConv', 'QSum', 'QAveragePool', 'QGemm']);
    expect(run.results.map((r) => r.cycles)).toEqual([predicted.total, predicted.total, predicted.total]);
    codes.forEach((c, i) => {
      const ref = referenceBuffers(plan, c);
      for (const st of s.steps) {
        const mem = s.memories[st.output]!;
        expect(Array.from(readMemoryDump(join(dumpDir, `i${i}_s${st.index}.hex`), mem.bits, mem.signed)), `${st.layer.name}, input ${i}`).toEqual(Array.from(ref.get(st.layer.output)!.data));
      }
    });
  }, 300_000);
});

describe('elementwise lanes (Folding.elementwise), worked by hand', () => {
  let se: AcceleratorPlan, dw: AcceleratorPlan;
  beforeAll(async () => {
    const dir = tempDir();
    se = planAccelerator(loadIr((await quantizedModel(join(dir, 'se'), squeezeExciteOnnx(5, 5), [1, 3, 5, 5], 8)).ir));
    dw = planAccelerator(loadIr((await quantizedModel(join(dir, 'dw'), depthwiseOnnx(), [1, 3, 8, 8], 8)).ir));
  }, 120_000);

  test('E elements per cycle: ceil(N / E) + 4 cycles per step; E replicas of the inputs, the output interleaved by the power of two >= E', () => {
    const eltwise = (e: number) => predictCycles(scheduleAccelerator(se, uniformFolding(se, 3, 1, 1, false, e))).steps.filter((s) => s.unit === 'eltwise').map((s) => [s.op, s.cycles]);
    // The squeeze-excitation model on 5 channels of 5x5: the gate's QTable over 5 codes, the QMul and the residual
    // QSum over 125 codes. One per cycle: 5 + 4 and 125 + 4; two: 3 + 4 and 63 + 4 (the last cycle one lane);
    // three: 2 + 4 and 42 + 4 (125 = 41*3 + 2: the last cycle two lanes).
    expect(eltwise(1)).toEqual([['QTable', 9], ['QMul', 129], ['QSum', 129]]);
    expect(eltwise(2)).toEqual([['QTable', 7], ['QMul', 67], ['QSum', 67]]);
    expect(eltwise(3)).toEqual([['QTable', 6], ['QMul', 46], ['QSum', 46]]);
    const s = scheduleAccelerator(se, uniformFolding(se, 3, 1, 1, false, 3));
    const mul = s.steps.find((st) => st.unit === 'eltwise' && st.layer.node.op === 'QMul')!;
    expect(mul.elements).toBe(3);
    // 125 codes in 4 banks of 32 words; the QSum reads it (and the conv output) through 3 ports.
    expect(s.memories[mul.output]).toMatchObject({ interleave: 4, size: 32, ports: 3 });
    // Everything else is unchanged: the totals differ by the elementwise cycles saved, 3 + 83 + 83.
    expect(predictCycles(scheduleAccelerator(se, uniformFolding(se, 3))).total - predictCycles(s).total).toBe(3 + 83 + 83);
  });

  test('into a lane-banked depthwise input: one element per cycle for E < L, L lanes channel-major for E >= L', () => {
    // The MobileNet-style model's sigmoid table writes the banked input of a depthwise layer: 6 channels of 4x4.
    const s3 = scheduleAccelerator(dw, uniformFolding(dw, 4, 1, 1, false, 3));
    const t3 = s3.steps.find((st) => st.unit === 'eltwise')!;
    expect(s3.memories[t3.output]!.banks).toBe(4);
    expect([t3.elements, t3.eltBanks, stepCycles(t3)]).toEqual([1, undefined, 96 + 4]);
    // E = 4 = L: lane e takes channel 4g + e, all 4 banks written per cycle: ceil(6 / 4) groups x 16 positions + 4.
    const s4 = scheduleAccelerator(dw, uniformFolding(dw, 4, 1, 1, false, 4));
    const t4 = s4.steps.find((st) => st.unit === 'eltwise')!;
    expect([t4.elements, t4.eltBanks, stepCycles(t4)]).toEqual([4, { channels: 6, positions: 16 }, 2 * 16 + 4]);
    // The layout is unchanged (4 banks of 2 x 16 words), the input read through 4 ports.
    expect(s4.memories[t4.output]).toMatchObject({ banks: 4, size: 32, interleave: 1 });
    expect(s4.memories[t4.inputs[0]!]!.ports).toBe(4);
  });
});
