import { join } from 'node:path';
import { expect, test } from 'vitest';
import { layerStats, totalsOf } from '../../src/ir/stats.js';
import { runCliAsync, REPO } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { loadIr } from '../../src/ir/serialize.js';

test('weight bits follow the quantized format: 4-bit weights count 4 bits each, int32 biases 32', async () => {
  const out = join(tempDir(), 'q4');
  const r = await runCliAsync(['quantize', join(REPO, 'examples/lenet5-mnist/model.onnx'), '-o', out, '--weight-bits', '4', '--calib', '50', '--eval-limit', '10']);
  expect(r.code, r.stderr).toBe(0);
  const g = loadIr(out);
  const rows = layerStats(g).filter((l) => l.op === 'QConv' || l.op === 'QGemm');
  // LeNet-5: weights 150 + 2400 + 48000 + 10080 + 840, biases 6 + 16 + 120 + 84 + 10.
  expect(rows.reduce((s, l) => s + l.weightBits, 0)).toBe(4 * (150 + 2400 + 48000 + 10080 + 840) + 32 * (6 + 16 + 120 + 84 + 10));
  expect(totalsOf(layerStats(g)).params).toBe(61706);
});
