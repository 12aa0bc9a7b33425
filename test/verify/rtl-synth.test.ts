import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { parseSynthStat } from '../../src/verify/synth.js';
import { runCliAsync } from '../helpers/cli.js';
import { quantizedZoo } from '../helpers/hw-models.js';
import { tempDir } from '../helpers/tmp.js';
import { testWithTool } from '../helpers/tools.js';

/** A Yosys `stat` log as synth_xilinx prints it for a hierarchy: the top instantiates a tile twice and a RAM. */
const LOG = `
10.50. Printing statistics.
(an earlier stat that must be ignored)
=== adequate_top ===
   Number of cells:                  1
     LUT6                         9999

11. Printing statistics.

=== $paramod$abc\\adq_ram ===

   Number of wires:                  9
   Number of cells:                 3
     FDRE                            8
     RAMB18E1                        1
     RAM32M                          2

=== adq_tile_0 ===

   Number of cells:                 5
     DSP48E1                         4
     LUT3                           10
     FDRE                           20
     $paramod$abc\\adq_ram            1

=== adq_window ===

   Number of cells:                 2
     LUT6                            7
     LDCE                            1

=== adequate_top ===

   Number of wires:                 10
   Number of cells:                 4
     adq_tile_0                      2
     adq_window                      1
     $paramod$abc\\adq_ram            1
     LUT2                            5

=== design hierarchy ===

   adequate_top                      1
     adq_tile_0                      2
`;

describe('adequate synth', () => {
  test('resources per unit include their submodules; latches are found; only the last stat counts', () => {
    const r = parseSynthStat(LOG, 'adequate_top');
    expect(r.units.map((u) => u.module)).toEqual(['adq_tile_0', 'adq_window', 'adequate_top (memories, controller)']);
    // Two tiles of (4 DSP, 10 LUT, 20 FF + a RAM of 8 FF, half a RAMB36, 2 RAM32M).
    expect(r.units[0]!.resources).toEqual({ luts: 20, ffs: 56, dsps: 8, brams: 1, lutrams: 4 });
    expect(r.units[2]!.resources).toEqual({ luts: 5, ffs: 8, dsps: 0, brams: 0.5, lutrams: 2 });
    expect(r.total).toEqual({ luts: 32, ffs: 64, dsps: 8, brams: 1.5, lutrams: 6 });
    expect(r.latches).toEqual(['adq_window: LDCE']);
  });

  let build: string;
  beforeAll(async () => {
    const dir = tempDir();
    const zoo = await quantizedZoo(join(dir, 'zoo'), 4);
    build = join(dir, 'build');
    const e = await runCliAsync(['emit', 'verilog', zoo.ir, '-o', build, '--lanes', '2']);
    if (e.code !== 0) throw new Error(e.stderr);
  }, 120_000);

  testWithTool('yosys', 'synth_xilinx of the zoo model: LUT, FF and DSP per tile, window and elementwise unit; no latch', async () => {
    const r = await runCliAsync(['synth', build, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as { units: { module: string; resources: { luts: number; ffs: number; dsps: number } }[]; total: { luts: number; dsps: number }; latches: number };
    expect(j.units.map((u) => u.module)).toEqual(['adq_eltwise', 'adq_tile_0', 'adq_window', 'adequate_top (memories, controller)']);
    const tile = j.units[1]!.resources;
    expect(tile.dsps).toBeGreaterThanOrEqual(2); // two exact lanes, at least
    expect(tile.luts).toBeGreaterThan(100);
    expect(j.total.luts).toBe(j.units.reduce((a, u) => a + u.resources.luts, 0));
    expect(j.latches).toBe(0);
  }, 600_000);
});
