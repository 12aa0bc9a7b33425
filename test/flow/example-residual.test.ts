/** The residual / depthwise-separable Fashion-MNIST example (examples/resnet-dw-fashion) through the whole flow, with
 *  small search settings so that CI can afford it: quantize, approximate binding, HLS C++ with its C simulation and
 *  Verilog with its Verilator run must both match the integer golden model bit for bit, and Verilator must match the
 *  cycle model cycle for cycle (issue 14). Synthesis is left to the LeNet-5 tests. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { runCliAsync } from '../helpers/cli.js';
import { testWithTool } from '../helpers/tools.js';
import { tempDir } from '../helpers/tmp.js';

const MODEL = 'examples/resnet-dw-fashion/model.onnx';
const DATA = '/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz';
const CONFIG = `seed: 3
quantize:
  calib: 200
  eval-limit: 400
approx:
  tiles: 2
  pop: 4
  gen: 1
  eval: 200
  holdout: 200
  max-drop: 2
hls:
  lanes: 4
csim:
  count: 8
verilog:
  lanes: 4
rtl:
  count: 3
synth:
  enabled: false
`;

interface StageRecord {
  results: Record<string, unknown>[];
}

function stage(out: string, folder: string): Record<string, unknown> {
  const record = JSON.parse(readFileSync(join(out, folder, 'stage.json'), 'utf8')) as StageRecord;
  return record.results.at(-1)!;
}

testWithTool('verilator', 'the residual example compiles end to end with both verifications exact', async () => {
  expect(existsSync(DATA), `Fashion-MNIST is missing: apt-get install dataset-fashion-mnist (scripts/setup.sh does)`).toBe(true);
  const root = tempDir();
  const config = join(root, 'small.yaml');
  writeFileSync(config, CONFIG);
  const out = join(root, 'out');
  const r = await runCliAsync(['compile', MODEL, '-o', out, '--config', config]);
  expect(r.code, r.stderr).toBe(0);

  // The quantizer folds every activation (residual ReLU and ReLU6 included) and keeps accuracy.
  const quantize = stage(out, '2-quantize') as { accuracy: { drop_points: number; count: number } };
  expect(quantize.accuracy.count).toBe(400);
  expect(quantize.accuracy.drop_points).toBeLessThan(2);

  const csim = stage(out, '7-csim') as { count: number; mismatches: number };
  expect(csim.count).toBe(8);
  expect(csim.mismatches).toBe(0);
  const rtl = stage(out, '9-rtl') as { count: number; mismatches: number; cycle_mismatches: number; cycles: number; predicted_cycles: number; layers: { op: string }[] };
  expect(rtl.count).toBe(3);
  expect(rtl.mismatches).toBe(0);
  expect(rtl.cycle_mismatches).toBe(0);
  expect(rtl.cycles).toBe(rtl.predicted_cycles);
  // The hardware really runs the residual adds and the depthwise layers (no host fallback).
  const ops = rtl.layers.map((l) => l.op);
  expect(ops.filter((op) => op === 'QSum').length).toBeGreaterThanOrEqual(2);
  expect(ops.filter((op) => op === 'QConv').length).toBe(8);
}, 1_500_000);
