import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { REPO, runCliAsync } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { testWithTool } from '../helpers/tools.js';

interface FoldJson { fold_plan: { cycles: number; multipliers: number; mac_utilization: number; tiles: { tile: number; pe: number; simd: number }[]; layers: { utilization: number }[] } }

/** Issue 19's LeNet-5 targets: the folding solver's plan for 10,000 cycles per inference (100 us at 100 MHz), checked
 *  in Verilator (bit for bit, cycle for cycle) and in the C simulation; 20,000 cycles takes fewer multipliers. */
describe('emit --target-cycles on LeNet-5 (the example, exact multipliers)', () => {
  const dir = tempDir();
  const ir = join(dir, 'q');
  beforeAll(async () => {
    const q = await runCliAsync(['quantize', join(REPO, 'examples/lenet5-mnist/model.onnx'), '-o', ir, '--calib', '50']);
    expect(q.code, q.stderr).toBe(0);
  }, 300_000);

  const emit = async (kind: string, target: number, out: string): Promise<FoldJson> => {
    const r = await runCliAsync(['emit', kind, ir, '-o', out, '--target-cycles', String(target), '--json']);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as FoldJson;
  };

  test('10,000 cycles at 70 % utilization or more; 20,000 with fewer multipliers; conflicting and unreachable requests exit 2', async () => {
    const fast = await emit('verilog', 10_000, join(dir, 'v10k'));
    expect(fast.fold_plan.cycles).toBeLessThanOrEqual(10_000);
    expect(fast.fold_plan.mac_utilization).toBeGreaterThanOrEqual(0.7);
    const slow = await emit('verilog', 20_000, join(dir, 'v20k'));
    expect(slow.fold_plan.cycles).toBeLessThanOrEqual(20_000);
    expect(slow.fold_plan.multipliers).toBeLessThan(fast.fold_plan.multipliers);
    const both = await runCliAsync(['emit', 'verilog', ir, '-o', join(dir, 'x'), '--target-cycles', '10000', '--pe', '4']);
    expect([both.code, both.stderr]).toEqual([2, expect.stringMatching(/error\[E_USAGE\]: a target .* drop --pe/)]);
    const tooFast = await runCliAsync(['emit', 'verilog', ir, '-o', join(dir, 'y'), '--target-cycles', '2000']);
    expect(tooFast.code).toBe(2);
    expect(tooFast.stderr.trim().split('\n')).toHaveLength(1);
    expect(tooFast.stderr).toMatch(/E_HW.*meets 2000 cycles.*fastest plan found takes/);
    const latency = await runCliAsync(['emit', 'verilog', ir, '-o', join(dir, 'z'), '--target-latency-us', '100', '--clock-ns', '10', '--json']);
    expect(latency.code, latency.stderr).toBe(0);
    expect((JSON.parse(latency.stdout) as FoldJson).fold_plan).toEqual(fast.fold_plan);
  }, 300_000);

  testWithTool('verilator', 'the 10,000-cycle plan in Verilator: bit for bit and cycle for cycle', async () => {
    const build = join(dir, 'v10k-verify');
    const plan = await emit('verilog', 10_000, build);
    const r = await runCliAsync(['verify', build, '--count', '3', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as { mismatches: number; cycle_mismatches: number; cycles: number; predicted_cycles: number };
    expect([j.mismatches, j.cycle_mismatches, j.cycles]).toEqual([0, 0, plan.fold_plan.cycles]);
  }, 600_000);

  testWithTool('g++', 'the 10,000-cycle plan as HLS C++ (each tile its own P x S): the C simulation is bit-exact', async () => {
    const build = join(dir, 'h10k');
    const plan = await emit('hls', 10_000, build);
    const top = readFileSync(join(build, 'adequate_top.cpp'), 'utf8');
    expect(new Set(plan.fold_plan.tiles.map((t) => t.pe)).size).toBeGreaterThan(1);
    for (const t of plan.fold_plan.tiles) expect(top).toContain(`#define TILE${t.tile}_LANES ${t.pe}\n#define TILE${t.tile}_SIMD ${t.simd}\n`);
    const r = await runCliAsync(['verify', build, '--hls', '--count', '10', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { mismatches: number }).mismatches).toBe(0);
  }, 300_000);
});

describe('--max-luts / --max-dsps: recorded by emit, checked by synth', () => {
  const dir = tempDir();
  testWithTool('yosys', 'a build over its LUT bound: synth prints the figures and exits 2 naming the bound', async () => {
    const { quantizedZoo } = await import('../helpers/hw-models.js');
    const zoo = await quantizedZoo(join(dir, 'zoo'), 2);
    const build = join(dir, 'b');
    const e = await runCliAsync(['emit', 'verilog', zoo.ir, '-o', build, '--lanes', '2', '--max-luts', '5', '--max-dsps', '1000']);
    expect(e.code, e.stderr).toBe(0);
    const r = await runCliAsync(['synth', build, '--json']);
    expect(r.code).toBe(2);
    const j = JSON.parse(r.stdout) as { total: { luts: number }; bounds: { max_luts: number; max_dsps: number; within: boolean } };
    expect(j.bounds).toEqual({ max_luts: 5, max_dsps: 1000, within: false });
    expect(r.stderr).toMatch(new RegExp(`E_HW.*synthesizes to ${j.total.luts.toLocaleString('en-US')} LUTs, over the --max-luts 5 given to adequate emit`));
  }, 600_000);
});

describe('the exact twin of a folded approximate design', () => {
  const dir = tempDir();
  test('--exact-multipliers with a target: the same tiles and P x S as the approximate build, every multiplier exact', async () => {
    const { bindThreeTiles, quantizedZoo } = await import('../helpers/hw-models.js');
    const { readFileSync } = await import('node:fs');
    const { loadIr } = await import('../../src/ir/serialize.js');
    const zoo = await quantizedZoo(join(dir, 'zoo'), 2);
    const bound = join(dir, 'bound');
    bindThreeTiles(zoo.ir, bound);
    const builds = [join(dir, 'approx'), join(dir, 'twin')];
    for (const [i, build] of builds.entries()) {
      const r = await runCliAsync(['emit', 'verilog', bound, '-o', build, '--target-cycles', '3000', '--min-utilization', '0', ...(i ? ['--exact-multipliers'] : []), '--json']);
      expect(r.code, r.stderr).toBe(0);
    }
    const [approx, twin] = builds.map((b) => JSON.parse(readFileSync(join(b, 'build.json'), 'utf8')) as { folding: unknown });
    expect(twin!.folding).toEqual(approx!.folding);
    const macs = (b: string) => loadIr(join(b, 'ir')).nodes.filter((n) => n.op === 'QConv' || n.op === 'QGemm') as { attrs: { tile?: number; multiplier?: string } }[];
    const [a, t] = builds.map(macs);
    expect(t!.map((n) => n.attrs.tile)).toEqual(a!.map((n) => n.attrs.tile));
    expect(a!.some((n) => n.attrs.multiplier !== undefined)).toBe(true);
    expect(t!.every((n) => n.attrs.multiplier === undefined)).toBe(true);
  }, 300_000);
});
