import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { emitVerilog, verilogDesign, type VerilogOptions } from '../../src/emit/verilog/index.js';
import { channelRom, weightRom } from '../../src/emit/verilog/memories.js';
import { predictCycles } from '../../src/hw/cycles.js';
import { planAccelerator, type AcceleratorPlan } from '../../src/hw/plan.js';
import { quantizeSample, referenceBuffers } from '../../src/hw/reference.js';
import { scheduleAccelerator, type Step } from '../../src/hw/schedule.js';
import { libraryContext } from '../../src/golden/parallel.js';
import { loadIr } from '../../src/ir/serialize.js';
import { makeTensor, sizeOf, type Graph, type QConvNode } from '../../src/ir/types.js';
import { readNpy } from '../../src/io/npy.js';
import { bindThreeTiles, quantizedZoo, TABLE_ONLY } from '../helpers/hw-models.js';
import { tempDir } from '../helpers/tmp.js';
import { testWithTool } from '../helpers/tools.js';
import { expectUserError } from '../helpers/user-error.js';

const OPTIONS: VerilogOptions = { lanes: 8, part: 'xc7z020clg400-1', clockNs: 10, multiplierImpl: 'auto' };

function fakeStep(weights: number[][], dtype: 'uint8' | 'int8', attrs: Partial<QConvNode['attrs']>, bias: number[], lanes = 2): Step {
  const M = weights.length, K = weights[0]!.length, count = Math.ceil(M / lanes);
  const items = { mode: 'channels', count, blocks: count, perGroup: M, lastLanes: M - (count - 1) * lanes, planeStep: 0 };
  const w = makeTensor(dtype, [M, K], weights.flat());
  const b = makeTensor('int32', [M], bias);
  const node = { op: 'QGemm', name: 'fc', inputs: [], outputs: [], attrs: { aZeroPoint: 0, wZeroPoint: [0], mantissa: Array(M).fill(1 << 30), shift: Array(M).fill(0), ...attrs } };
  return { index: 0, layer: { index: 0, name: 'fc', node, inputs: [], output: 'y', tile: 0, weights: w, bias: b, macs: M * K }, unit: 'tile', tile: 0, slot: 0, inputs: [0], output: 1, items, channels: M, k: K, positions: 1 } as unknown as Step;
}

describe('ROM contents', () => {
  test('weights are lane-packed: word g*K + k holds channel g*L + j at tap k in lane j', () => {
    const step = fakeStep([[1, 2], [3, 4], [5, 6]], 'uint8', {}, [0, 0, 0]);
    expect(weightRom(step, 2, 8)).toBe('0301\n0402\n0005\n0006\n');
    const signed = fakeStep([[-1, 2], [3, -128]], 'int8', {}, [0, 0]);
    expect(weightRom(signed, 2, 8)).toBe('03ff\n8002\n');
  });

  test('channel words carry bias - za*sum w + K*za*zw, zw, the mantissa and t = 31 + shift (at most 64)', () => {
    const step = fakeStep([[10, 20, 30], [250, 0, 1]], 'uint8', { aZeroPoint: 3, wZeroPoint: [2, 200], mantissa: [1234567890, 1 << 30], shift: [5, 40] }, [100, -7]);
    const words = channelRom(step, 9).trim().split('\n').map((h) => BigInt('0x' + h));
    const field = (w: bigint, lo: number, bits: number) => (w >> BigInt(lo)) & ((1n << BigInt(bits)) - 1n);
    // channel 0: 100 - 3*60 + 3*3*2 = -62; channel 1: -7 - 3*251 + 3*3*200 = 1040.
    expect(field(words[0]!, 0, 32)).toBe(BigInt.asUintN(32, -62n));
    expect(field(words[1]!, 0, 32)).toBe(1040n);
    expect([field(words[0]!, 32, 9), field(words[1]!, 32, 9)]).toEqual([2n, 200n]);
    expect([field(words[0]!, 41, 31), field(words[1]!, 41, 31)]).toEqual([1234567890n, 1n << 30n]);
    expect([field(words[0]!, 72, 7), field(words[1]!, 72, 7)]).toEqual([36n, 64n]);
  });
});

describe('emitted Verilog', () => {
  let dir: string, zoo: Graph, zooAx: Graph, x: Float32Array;
  beforeAll(async () => {
    dir = tempDir();
    const q = await quantizedZoo(join(dir, 'zoo'), 4);
    zoo = loadIr(q.ir);
    bindThreeTiles(q.ir, join(dir, 'zoo-ax'));
    zooAx = loadIr(join(dir, 'zoo-ax'));
    x = readNpy(q.inputs).data as Float32Array;
  }, 120_000);

  const emitTo = async (name: string, graph: Graph, options: VerilogOptions): Promise<string> => {
    const out = join(dir, name);
    mkdirSync(out);
    await emitVerilog(planAccelerator(graph), options, out);
    return out;
  };

  test('a build folder: design, ROM files, harnesses, verilator.f, Makefile, FuseSoC core and synth.ys name the same sources', () => {
    const { files } = verilogDesign(planAccelerator(zooAx), OPTIONS);
    const rtl = [...files.keys()].filter((f) => f.endsWith('.v') && f.startsWith('rtl/'));
    expect(rtl).toEqual(expect.arrayContaining(['rtl/adequate_top.v', 'rtl/adq_tile_0.v', 'rtl/adq_tile_1.v', 'rtl/adq_tile_2.v', 'rtl/adq_mul_t0.v', 'rtl/adq_window.v', 'rtl/adq_eltwise.v']));
    expect(files.has('rtl/adq_mul_t1.v')).toBe(false); // the table-only multiplier becomes a product table ROM
    expect(files.get('rtl/mem/mul_t1.hex')!.split('\n').length).toBe(65537);
    for (const f of ['verilator.f', 'Makefile', 'synth.ys', 'adequate.core']) for (const r of rtl) expect(files.get(f), `${f} names ${r}`).toContain(r);
    expect(files.get('adequate.core')).toMatch(/^CAPI=2:/);
    const core = parseYaml(files.get('adequate.core')!) as { filesets: { rtl: { files: (string | Record<string, unknown>)[] } }; targets: Record<string, { toplevel: string }> };
    const coreFiles = core.filesets.rtl.files.map((f) => (typeof f === 'string' ? f : Object.keys(f)[0]!));
    expect(coreFiles).toEqual(expect.arrayContaining([...rtl, ...[...files.keys()].filter((f) => f.startsWith('rtl/mem/'))]));
    expect(Object.keys(core.targets)).toEqual(['default', 'sim', 'synth']);
    // Deterministic: the same plan gives the same bytes.
    const again = verilogDesign(planAccelerator(zooAx), OPTIONS).files;
    for (const [k, v] of files) expect(again.get(k)).toBe(v);
  });

  for (const [name, which, lanes] of [['zoo', 'exact', 8], ['zoo-ax', 'netlist, table and exact tiles', 3]] as const) {
    testWithTool('verilator', `verilator --lint-only -Wall is clean on the ${which} design (${lanes} lanes), also with the debug dumps`, async () => {
      const out = await emitTo(`lint-${name}`, name === 'zoo' ? zoo : zooAx, { ...OPTIONS, lanes });
      const rtl = readFileSync(join(out, 'verilator.f'), 'utf8').split('\n').filter((l) => l.startsWith('rtl/'));
      for (const extra of [[], ['+define+ADEQUATE_DEBUG']]) {
        const r = spawnSync('verilator', ['--lint-only', '-Wall', '--top-module', 'adequate_top', ...extra, ...rtl], { cwd: out, encoding: 'utf8' });
        expect(r.stderr, `lint ${extra.join(' ')}`).toBe('');
        expect(r.status).toBe(0);
      }
    }, 120_000);
  }

  testWithTool(['iverilog', 'vvp'], 'Icarus Verilog (-g2005) runs the signed-code zoo bit for bit and cycle for cycle, with and without back-pressure', async () => {
    const q = await quantizedZoo(join(dir, 'zoo-signed'), 4, ['--scheme', 'signed']);
    const plan: AcceleratorPlan = planAccelerator(loadIr(q.ir));
    expect(plan.input.dtype).toBe('int8');
    const out = await emitTo('icarus', loadIr(q.ir), { ...OPTIONS, lanes: 3 });
    const rtl = readFileSync(join(out, 'verilator.f'), 'utf8').split('\n').filter((l) => l.startsWith('rtl/'));
    const per = sizeOf(plan.hostInput.shape);
    const inputs = [0, 1, 2].map((i) => quantizeSample(plan, x.subarray(i * per, (i + 1) * per)));
    writeFileSync(join(out, 'inputs.hex'), inputs.flatMap((t) => Array.from(t.data, (v) => (v & 255).toString(16).padStart(2, '0'))).join('\n') + '\n');
    const c = spawnSync('iverilog', ['-g2005', '-o', 'icarus.vvp', 'tb/tb_top.v', ...rtl], { cwd: out, encoding: 'utf8' });
    expect(c.stderr).toBe('');
    const predicted = predictCycles(scheduleAccelerator(plan, 3)).total;
    for (const backpressure of [0, 60]) {
      const r = spawnSync('vvp', ['-n', 'icarus.vvp', '+inputs=inputs.hex', `+outputs=out${backpressure}.txt`, '+count=3', `+backpressure=${backpressure}`], { cwd: out, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      const lines = readFileSync(join(out, `out${backpressure}.txt`), 'utf8').trim().split('\n').map((l) => l.split(' ').map(Number));
      expect(lines.length).toBe(3);
      lines.forEach((l, i) => {
        const want = Array.from(referenceBuffers(plan, inputs[i]!, libraryContext(undefined)).get(plan.output.name)!.data);
        expect(l.slice(1), `inference ${i}`).toEqual(want);
        if (backpressure === 0) expect(l[0]).toBe(predicted);
        else expect(l[0]).toBeGreaterThanOrEqual(predicted);
      });
      // Stalls on the output only add cycles (60% of the cycles with m_axis_tready low).
      if (backpressure > 0) expect(lines.reduce((a, l) => a + l[0]!, 0)).toBeGreaterThan(3 * predicted);
    }
  }, 300_000);

  test('layers and options the units do not implement are E_HW naming the layer', () => {
    const weightOf = zoo.nodes.find((n) => n.op === 'QConv')!.inputs[1]!;
    const constantSum = { ...zoo, nodes: zoo.nodes.map((n) => (n.op === 'QSum' ? { ...n, inputs: [n.inputs[0]!, weightOf] } : n)) } as Graph;
    expectUserError(() => verilogDesign(planAccelerator(constantSum), OPTIONS), 'E_HW', /QSum\) adds the constant/);
    expectUserError(() => verilogDesign(planAccelerator(zooAx), { ...OPTIONS, multiplierImpl: 'netlist' }), 'E_HW', new RegExp(`${TABLE_ONLY}.*no gate-level netlist`));
    expectUserError(() => scheduleAccelerator(planAccelerator(zoo), 0), 'E_HW', /lanes 0/);
  });
});
