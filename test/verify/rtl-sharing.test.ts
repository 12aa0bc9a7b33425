import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect } from 'vitest';
import { runCliAsync } from '../helpers/cli.js';
import { quantizedZoo } from '../helpers/hw-models.js';
import { tempDir } from '../helpers/tmp.js';
import { testWithTool } from '../helpers/tools.js';

describe('shared weights in the Verilog tiles: index ROMs and per-lane codebooks', () => {
  const dir = tempDir();
  let zoo: { ir: string; inputs: string };
  beforeAll(async () => {
    zoo = await quantizedZoo(join(dir, 'zoo'), 8);
  }, 120_000);

  // channel: one codebook per output channel (lane tables indexed by channel group); kernel: one per (output, input)
  // channel pair of a convolution (rows = group x input channel), per output row of the dense layer.
  for (const [granularity, k, indexHexDigits] of [['channel', 4, 2], ['kernel', 1, 1]] as const) {
    testWithTool('verilator', `${granularity} granularity, ${k} entries: bit for bit and cycle for cycle, with ${k === 1 ? 1 : Math.log2(k)}-bit indices in the weight ROM`, async () => {
      const shared = join(dir, `shared-${granularity}`), build = join(dir, `build-${granularity}`);
      const s = await runCliAsync(['share', zoo.ir, '-o', shared, '-k', String(k), '--granularity', granularity, '--inputs', zoo.inputs, '--eval-limit', '0']);
      expect(s.code, s.stderr).toBe(0);
      const e = await runCliAsync(['emit', 'verilog', shared, '-o', build, '--lanes', '4']);
      expect(e.code, e.stderr).toBe(0);
      // Four lanes of indices per word, instead of four 8-bit codes.
      expect(readFileSync(join(build, 'rtl/mem/w_s0.hex'), 'utf8').split('\n')[0]!.length).toBe(indexHexDigits);
      expect(readFileSync(join(build, 'rtl/adq_tile_0.v'), 'utf8')).toMatch(/cb_0_3 \[0:/);
      const r = await runCliAsync(['verify', build, '--inputs', zoo.inputs, '--count', '8', '--json']);
      expect(r.code, r.stderr).toBe(0);
      const j = JSON.parse(r.stdout) as { mismatches: number; cycle_mismatches: number; cycles: number; predicted_cycles: number };
      expect([j.mismatches, j.cycle_mismatches, j.cycles]).toEqual([0, 0, j.predicted_cycles]);
    }, 300_000);
  }
});
