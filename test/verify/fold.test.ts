/** P x S tiles (chunked taps) and the window unit's parallel taps (src/hw/fold.ts) in Verilator: every build lints
 *  with -Wall and matches the integer golden model bit for bit in every layer and the cycle model cycle for cycle.
 *  Foldings are chosen so S does not divide K (and some SIMD lanes have no taps at all: K = 5 on S = 4), P does not
 *  divide M, and the window unit's last tap lane is masked. Models: the zoo (padded strided, 1x1, dilated
 *  convolutions, max and average pooling, a residual add, dense), the same bound to a netlist, a table and an exact
 *  multiplier on three tiles, kernel-shared weights, grouped and depthwise convolutions (banked depthwise inputs run
 *  one SIMD lane), TFC_2W2A (2-bit QONNX weights), a binarized MLP (1-bit bipolar weights), a different P x S per
 *  tile, HLS C simulation at P x S, and LeNet-5 at P=6,S=5 and P=16,S=10. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect } from 'vitest';
import { REPO, runCliAsync } from '../helpers/cli.js';
import { bindThreeTiles, depthwiseOnnx, quantizedModel, quantizedZoo } from '../helpers/hw-models.js';
import { tempDir } from '../helpers/tmp.js';
import { planAccelerator } from '../../src/hw/plan.js';
import { loadIr } from '../../src/ir/serialize.js';
import { verilogDesign } from '../../src/emit/verilog/index.js';
import { predictCycles } from '../../src/hw/cycles.js';
import { scheduleAccelerator } from '../../src/hw/schedule.js';
import { uniformFolding } from '../../src/hw/fold.js';
import { testWithTool } from '../helpers/tools.js';
import { staticChecks } from '../helpers/hls-static.js';
import { binarizedMlp, gridInputs } from '../qonnx/models.js';
import { writeNpy } from '../../src/io/npy.js';
import { verilogPasses as verilogRoundTrip } from '../helpers/verilog-passes.js';

const work = tempDir();

interface Verified { cycles: number; predicted_cycles: number; layers: { name: string; cycles: number; utilization?: number }[] }

async function foldedPasses(ir: string, inputs: string | undefined, name: string, flags: readonly string[], count: number): Promise<Verified> {
  return (await verilogRoundTrip(ir, inputs, join(work, name), flags, count)) as unknown as Verified;
}

describe('P x S tiles and W window taps, bit and cycle exact in Verilator', () => {
  let zoo: { ir: string; inputs: string };
  let dw: { ir: string; inputs: string };
  beforeAll(async () => {
    zoo = await quantizedZoo(join(work, 'zoo'), 8);
    dw = await quantizedModel(join(work, 'dw'), depthwiseOnnx(), [1, 3, 8, 8], 8);
  }, 180_000);

  for (const [pe, simd, window] of [[3, 4, 3], [2, 7, 2], [5, 2, 1]] as const) {
    testWithTool('verilator', `zoo at P=${pe}, S=${simd}, W=${window}`, async () => {
      const j = await foldedPasses(zoo.ir, zoo.inputs, `zoo-p${pe}s${simd}w${window}`, ['--pe', String(pe), '--simd', String(simd), '--window-taps', String(window)], 8);
      // Every MAC step is faster than the same tile without SIMD would be: Kc = ceil(K / S) taps per position.
      expect(j.layers.filter((l) => l.utilization !== undefined).length).toBe(4);
    }, 300_000);
  }

  // Wide input beats interleave the input memory; a SIMD first layer reads it through replicas of those banks.
  for (const [pe, simd, width] of [[3, 4, 32], [2, 3, 64]] as const) {
    testWithTool('verilator', `zoo at P=${pe}, S=${simd} with ${width}-bit stream beats (interleaved input memory, replicated)`, async () => {
      await foldedPasses(zoo.ir, zoo.inputs, `zoo-p${pe}s${simd}-stream${width}`, ['--pe', String(pe), '--simd', String(simd), '--stream-width', String(width)], 8);
      expect(readFileSync(join(work, `zoo-p${pe}s${simd}-stream${width}`, 'rtl/adequate_top.v'), 'utf8')).toMatch(/u_mem0_r1_b1 /);
    }, 300_000);
  }

  // Wide writes (--wide-write): the conv layers write their P lanes in one cycle into channel-region banks; the
  // output Gemm on the same tile still serializes. W = 2: the max pool reads the first conv's banks through replicas.
  for (const [pe, simd, window] of [[4, 2, 1], [3, 2, 2]] as const) {
    testWithTool('verilator', `zoo at P=${pe}, S=${simd}, W=${window} with wide writes`, async () => {
      const name = `zoo-wide-p${pe}s${simd}w${window}`;
      const j = await foldedPasses(zoo.ir, zoo.inputs, name, ['--pe', String(pe), '--simd', String(simd), '--window-taps', String(window), '--wide-write'], 8);
      const top = readFileSync(join(work, name, 'rtl/adequate_top.v'), 'utf8');
      expect(top.match(/banks by channel region/g)?.length).toBe(3);
      if (window > 1) expect(top).toMatch(/u_mem1_r1_b1 /);
      // Faster than the same folding writing one lane per cycle (the cycle model of the serial build).
      const plan = planAccelerator(loadIr(zoo.ir));
      expect(j.cycles).toBeLessThan(predictCycles(scheduleAccelerator(plan, uniformFolding(plan, pe, simd, window))).total);
    }, 300_000);
  }
  testWithTool('verilator', 'depthwise model at P=3, S=2 with wide writes: into channel regions and into lane-banked depthwise inputs', async () => {
    const plan = planAccelerator(loadIr(dw.ir));
    const kinds = scheduleAccelerator(plan, uniformFolding(plan, 3, 2, 1, true)).steps.map((st) => st.wide);
    expect(kinds).toContain('banks');
    expect(kinds).toContain('regions');
    await foldedPasses(dw.ir, dw.inputs, 'dw-wide-p3s2', ['--pe', '3', '--simd', '2', '--wide-write'], 6);
  }, 300_000);

  testWithTool('verilator', 'three tiles (netlist, product table, exact) at P=2, S=3: every multiplier of a tile is its multiplier', async () => {
    const bound = join(work, 'zoo-approx');
    bindThreeTiles(zoo.ir, bound);
    await foldedPasses(bound, zoo.inputs, 'zoo-approx-p2s3', ['--pe', '2', '--simd', '3', '--mult-impl', 'auto'], 8);
  }, 300_000);

  testWithTool('verilator', 'a P x S of its own per tile (netlist 2x3, table 3x1, exact 1x5) and W=2, emitted through the API', async () => {
    const bound = join(work, 'zoo-approx-hetero-ir');
    bindThreeTiles(zoo.ir, bound);
    const build = join(work, 'zoo-hetero');
    const emit = await runCliAsync(['emit', 'verilog', bound, '-o', build, '--lanes', '3']);
    expect(emit.code, emit.stderr).toBe(0);
    // The CLI folds every tile alike; the folding solver gives each tile its own: rewrite the design and build.json.
    const plan = planAccelerator(loadIr(join(build, 'ir')));
    const folding = { tiles: [{ pe: 2, simd: 3 }, { pe: 3, simd: 1 }, { pe: 1, simd: 5 }], window: 2 };
    const { files, streamed } = verilogDesign(plan, { lanes: 3, folding, part: 'xc7z020clg400-1', clockNs: 10, multiplierImpl: 'auto' });
    for (const [path, text] of files) writeFileSync(join(build, path), text);
    for (const [path, pieces] of streamed) writeFileSync(join(build, path), Buffer.concat([...pieces()]));
    const manifest = JSON.parse(readFileSync(join(build, 'build.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(build, 'build.json'), JSON.stringify({ ...manifest, folding }));
    const r = await runCliAsync(['verify', build, '--inputs', zoo.inputs, '--count', '8', '--layers', '--json']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as Record<string, unknown>;
    expect([j.mismatches, j.cycle_mismatches, j.layer_mismatches, j.cycles]).toEqual([0, 0, 0, j.predicted_cycles]);
    expect(j.multipliers).toBe(2 * 3 + 3 + 5);
  }, 400_000);

  // kernel: each SIMD lane decodes in the codebook row of its own input channel; channel: rows by channel group.
  for (const [granularity, k] of [['kernel', 1], ['channel', 4]] as const) {
    testWithTool('verilator', `${granularity}-shared weights (${k} entries) at P=3, S=2`, async () => {
      const shared = join(work, `zoo-shared-${granularity}`);
      const s = await runCliAsync(['share', zoo.ir, '-o', shared, '-k', String(k), '--granularity', granularity, '--inputs', zoo.inputs, '--eval-limit', '0']);
      expect(s.code, s.stderr).toBe(0);
      await foldedPasses(shared, zoo.inputs, `zoo-shared-${granularity}-p3s2`, ['--pe', '3', '--simd', '2'], 8);
    }, 300_000);
  }

  testWithTool('verilator', 'grouped and depthwise convolutions at P=3, S=2 (banked depthwise layers run one SIMD lane)', async () => {
    await foldedPasses(dw.ir, dw.inputs, 'dw-p3s2', ['--pe', '3', '--simd', '2', '--window-taps', '2'], 6);
  }, 300_000);

  testWithTool('verilator', 'TFC_2W2A (2-bit weights, thresholds) at P=4, S=3', async () => {
    const tfc = join(REPO, 'test/models/qonnx');
    const q = join(work, 'tfc-q');
    const r = await runCliAsync(['quantize', join(tfc, 'TFC_2W2A.onnx'), '-o', q, '--inputs', join(tfc, 'tfc_x20.npy'), '--calib', '20', '--json']);
    expect(r.code, r.stderr).toBe(0);
    await foldedPasses(q, join(tfc, 'tfc_x20.npy'), 'tfc-p4s3', ['--pe', '4', '--simd', '3'], 6);
  }, 300_000);

  testWithTool('verilator', 'TFC_2W2A at P=4, S=3 with wide writes: dense layers (one position) write 4 lanes at once', async () => {
    const tfc = join(REPO, 'test/models/qonnx');
    const q = join(work, 'tfc-wide-q');
    const r = await runCliAsync(['quantize', join(tfc, 'TFC_2W2A.onnx'), '-o', q, '--inputs', join(tfc, 'tfc_x20.npy'), '--calib', '20', '--json']);
    expect(r.code, r.stderr).toBe(0);
    await foldedPasses(q, join(tfc, 'tfc_x20.npy'), 'tfc-wide-p4s3', ['--pe', '4', '--simd', '3', '--wide-write'], 6);
    expect(readFileSync(join(work, 'tfc-wide-p4s3', 'rtl/adequate_top.v'), 'utf8')).toMatch(/banks by channel region/);
  }, 300_000);

  testWithTool('verilator', 'a binarized MLP (1-bit bipolar weights: negate or pass) at P=3, S=4', async () => {
    writeFileSync(join(work, 'bnn.onnx'), binarizedMlp());
    writeNpy(join(work, 'bnn_x.npy'), gridInputs(20, [16], 1));
    const q = join(work, 'bnn-q');
    const r = await runCliAsync(['quantize', join(work, 'bnn.onnx'), '-o', q, '--inputs', join(work, 'bnn_x.npy'), '--calib', '20', '--json']);
    expect(r.code, r.stderr).toBe(0);
    await foldedPasses(q, join(work, 'bnn_x.npy'), 'bnn-p3s4', ['--pe', '3', '--simd', '4'], 20);
    expect(readFileSync(join(work, 'bnn-p3s4', 'rtl/adq_tile_0.v'), 'utf8')).toContain('localparam WB = 1;');
  }, 300_000);

  // The HLS tiles follow S (reduce over chunks, an unrolled SIMD loop, taps past K skipped; per lane S weight ROMs
  // and S - 1 read replicas of the activations the tiles read): C simulation stays bit for bit with the golden model
  // in every layer, which it cannot if a replica missed a write or a ROM a tap.
  for (const [model, pe, simd] of [['zoo', 3, 4], ['zoo', 2, 7], ['dw', 3, 2], ['kernel-shared zoo', 2, 3]] as const) {
    testWithTool('g++', `HLS C simulation of ${model} at P=${pe}, S=${simd}: every layer bit for bit`, async () => {
      const m = model === 'dw' ? dw : zoo;
      let ir = m.ir;
      if (model === 'kernel-shared zoo') {
        ir = join(work, 'hls-zoo-shared-kernel');
        const s = await runCliAsync(['share', zoo.ir, '-o', ir, '-k', '1', '--granularity', 'kernel', '--inputs', zoo.inputs, '--eval-limit', '0']);
        expect(s.code, s.stderr).toBe(0);
      }
      const build = join(work, `hls-${model.replace(/ /g, '-')}-p${pe}s${simd}`);
      const emit = await runCliAsync(['emit', 'hls', ir, '-o', build, '--pe', String(pe), '--simd', String(simd)]);
      expect(emit.code, emit.stderr).toBe(0);
      const top = readFileSync(join(build, 'adequate_top.cpp'), 'utf8');
      expect(top).toContain(`#define TILE0_SIMD ${simd}`);
      expect(top).toContain(`#define TILE0_LANES ${pe}`);
      expect(top).toContain(`#define TILE0_REPLICAS ${simd - 1}`);
      expect(readFileSync(join(build, 'adequate_weights.h'), 'utf8')).toMatch(new RegExp(`TILE0_W\\[${pe}\\]\\[${simd}\\]\\[\\d+\\]`));
      const r = await runCliAsync(['verify', build, '--hls', '--inputs', m.inputs, '--count', '8', '--layers', '--json']);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ count: 8, mismatches: 0, passed: true, first_mismatching_layer: null });
      staticChecks(build, ['requantize', 'round_shift', 's32_from_u32']);
    }, 300_000);
  }

  for (const [pe, simd, window, total] of [[6, 5, 1, 22848], [16, 10, 4, 17016]] as const) {
    testWithTool('verilator', `LeNet-5 at P=${pe}, S=${simd}, W=${window}: ${total} cycles`, async () => {
      const q = join(work, `lenet-q-${pe}`);
      const r = await runCliAsync(['quantize', join(REPO, 'examples/lenet5-mnist/model.onnx'), '-o', q, '--calib', '64', '--eval-limit', '10']);
      expect(r.code, r.stderr).toBe(0);
      const j = await foldedPasses(q, undefined, `lenet-p${pe}s${simd}`, ['--pe', String(pe), '--simd', String(simd), '--window-taps', String(window)], 3);
      expect(j.cycles).toBe(total);
    }, 600_000);
  }
});
