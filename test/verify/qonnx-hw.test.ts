/** QONNX models through the hardware flow: quantize keeping their codes, emit HLS C++ and Verilog, and verify both
 *  bit for bit against the integer golden model (and the cycle model), for TFC_2W2A (2-bit weights and
 *  activations), a binarized MLP (bipolar weights and activations) and a convolutional model with MultiThreshold;
 *  narrow weights are stored at their own width in the weight ROMs of both (bipolar ones in one bit). A model without
 *  8-bit layers passes through approx unchanged. */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { writeNpy } from '../../src/io/npy.js';
import { REPO, runCliAsync } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { testWithTool } from '../helpers/tools.js';
import { binarizedMlp, gridInputs, thresholdCnn } from '../qonnx/models.js';

const TFC = join(REPO, 'test/models/qonnx');
const dir = tempDir();

interface Model {
  readonly name: string;
  readonly onnx: string;
  readonly inputs: string;
  readonly wb: number;
  readonly ops: readonly string[];
}

const MODELS: Model[] = [
  { name: 'bnn', onnx: join(dir, 'bnn.onnx'), inputs: join(dir, 'bnn_x.npy'), wb: 1, ops: ['QTable', 'QGemm', 'QThreshold', 'QGemm'] },
  { name: 'cnn', onnx: join(dir, 'cnn.onnx'), inputs: join(dir, 'cnn_x.npy'), wb: 4, ops: ['QTable', 'QConv', 'QThreshold', 'QConv', 'QThreshold'] },
  { name: 'tfc', onnx: join(TFC, 'TFC_2W2A.onnx'), inputs: join(TFC, 'tfc_x20.npy'), wb: 2, ops: ['QTable', 'QGemm', 'QThreshold'] },
];

describe('QONNX models in HLS C++ and Verilog', () => {
  beforeAll(async () => {
    writeFileSync(join(dir, 'bnn.onnx'), binarizedMlp());
    writeNpy(join(dir, 'bnn_x.npy'), gridInputs(40, [16], 1));
    writeFileSync(join(dir, 'cnn.onnx'), thresholdCnn('HALF_UP'));
    writeNpy(join(dir, 'cnn_x.npy'), gridInputs(40, [2, 5, 5], 2));
    await Promise.all(MODELS.map(async (m) => {
      const r = await runCliAsync(['quantize', m.onnx, '-o', join(dir, `${m.name}-q`), '--inputs', m.inputs, '--calib', '20', '--json']);
      if (r.code !== 0) throw new Error(r.stderr);
    }));
  }, 120_000);

  test('approx passes a model without 8-bit layers through: exit 0, one line saying why, the IR unchanged', async () => {
    const out = join(dir, 'bnn-approx');
    const r = await runCliAsync(['approx', join(dir, 'bnn-q'), '-o', out, '--inputs', MODELS[0]!.inputs]);
    expect(r.code, r.stderr).toBe(0);
    const why = "no conv/dense layer has 8-bit weights and 8-bit activations ('MatMul_2' 1-bit weights, 2-bit activations; 'MatMul_6' 1-bit weights, 2-bit activations); the library's multipliers are 8x8";
    expect(r.stdout).toBe(`approx: no layer is eligible, every layer stays exact: ${why}\n`);
    for (const f of ['model.ir.json', 'weights.bin']) expect(readFileSync(join(out, f)).equals(readFileSync(join(dir, 'bnn-q', f))), f).toBe(true);
    expect(JSON.parse(readFileSync(join(out, 'pareto.json'), 'utf8'))).toMatchObject({ approximated: false, eligible_layers: 0, reason: why, layers: [{ layer: 'MatMul_2', multiplier: 'exact' }, { layer: 'MatMul_6', multiplier: 'exact' }] });
  });

  for (const m of MODELS) {
    testWithTool('g++', `${m.name}: HLS C simulation equals the integer golden model on 20 inputs, every layer`, async () => {
      const ir = JSON.parse(readFileSync(join(dir, `${m.name}-q`, 'model.ir.json'), 'utf8')) as { nodes: { op: string }[] };
      for (const op of m.ops) expect(ir.nodes.map((n) => n.op)).toContain(op);
      const build = join(dir, `${m.name}-hls`);
      const emit = await runCliAsync(['emit', 'hls', join(dir, `${m.name}-q`), '-o', build]);
      expect(emit.code, emit.stderr).toBe(0);
      // Weights at their own width in the lane ROMs; bipolar ones in one bit (1 = -1), as in the Verilog.
      const types = readFileSync(join(build, 'adequate_multipliers.h'), 'utf8');
      expect(types).toContain(m.wb === 1 ? 'typedef adq::uint_t<1>::type tile0_wrom_t;' : `typedef adq::int_t<${m.wb}>::type tile0_w_t;`);
      expect(readFileSync(join(build, 'adequate_weights.h'), 'utf8')).toMatch(/static const tile0_wrom_t TILE0_W\[\d+\]\[1\]/);
      const r = await runCliAsync(['verify', build, '--hls', '--inputs', m.inputs, '--count', '20', '--layers', '--json']);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ count: 20, mismatches: 0 });
    }, 120_000);

    testWithTool('verilator', `${m.name}: Verilog lints, stores ${m.wb}-bit weights, and matches bit for bit and cycle for cycle on 20 inputs`, async () => {
      const build = join(dir, `${m.name}-rtl`);
      const emit = await runCliAsync(['emit', 'verilog', join(dir, `${m.name}-q`), '-o', build]);
      expect(emit.code, emit.stderr).toBe(0);
      expect(readFileSync(join(build, 'rtl/adq_tile_0.v'), 'utf8')).toContain(`localparam WB = ${m.wb};`);
      const rtl = readFileSync(join(build, 'verilator.f'), 'utf8').split('\n').filter((l) => l.startsWith('rtl/'));
      const lint = spawnSync('verilator', ['--lint-only', '-Wall', '--top-module', 'adequate_top', ...rtl], { cwd: build, encoding: 'utf8' });
      expect(lint.status, lint.stderr).toBe(0);
      const r = await runCliAsync(['verify', build, '--inputs', m.inputs, '--count', '20', '--json']);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ count: 20, mismatches: 0, cycle_mismatches: 0 });
    }, 240_000);
  }
});
