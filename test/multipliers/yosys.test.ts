/** The Yosys front end: hand-written EvoApprox-style fixtures in both styles, generated netlists written in both
 *  styles and read back, a per-pair simulation of Yosys' own JSON, the cost model, and rejected inputs. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import { exhaustiveTable } from '../../src/multipliers/evaluate.js';
import { generate, parseSpecId } from '../../src/multipliers/families.js';
import { importVerilogFile } from '../../src/multipliers/import.js';
import { getMultiplier } from '../../src/multipliers/library.js';
import { toVerilog } from '../../src/multipliers/verilog.js';
import { readVerilogNetlist, synthCost, synthCosts } from '../../src/multipliers/yosys.js';
import { testWithTool } from '../helpers/tools.js';
import { toCellStyle } from './cell-style.js';
import { simulateYosysPair, type YModule } from './reference.js';

const FIX = new URL('./fixtures/', import.meta.url).pathname;
const tmp = (): string => mkdtempSync(join(tmpdir(), 'adequate-mult-test-'));

function expectTable(t: Int32Array, f: (a: number, b: number) => number): void {
  let bad = 0;
  for (let p = 0; p < 65536; p++) if (t[p] !== f(p >> 8, p & 255)) bad++;
  expect(bad).toBe(0);
}

describe('hand-written EvoApprox-style fixtures', () => {
  testWithTool('yosys', 'cell style (bus N, PDKGEN cells incl. a full adder) imports to A[7:6]*B[7:6] << 12', () => {
    const { multiplier: m } = importVerilogFile(join(FIX, 'mul8u_HX1.v'), {});
    expect(m.id).toBe('mul8u_HX1');
    expectTable(m.table, (a, b) => ((a >> 6) * (b >> 6)) << 12);
  });
  testWithTool('yosys', 'assign style (scalar wires, one assign per gate) imports to A[7:4]*B[7:4] << 8', () => {
    const { multiplier: m } = importVerilogFile(join(FIX, 'mul8u_HX2.v'), {});
    expectTable(m.table, (a, b) => ((a >> 4) * (b >> 4)) << 8);
    expect(m.powerSource).toBe('switching');
  });
  testWithTool('yosys', 'per-pair simulation of the Yosys JSON agrees with the bit-parallel table', () => {
    const dir = tmp(), out = join(dir, 'g.json');
    const src = join(FIX, 'mul8u_HX2.v');
    const r = spawnSync('yosys', ['-q', '-p', `read_verilog ${src}; hierarchy -top mul8u_HX2; proc; flatten; techmap; opt; write_json ${out}`]);
    expect(r.status).toBe(0);
    const mod = (JSON.parse(readFileSync(out, 'utf8')) as { modules: Record<string, YModule> }).modules.mul8u_HX2!;
    const t = readVerilogNetlist(src).netlist;
    const table = exhaustiveTable(t, false);
    for (let p = 0; p < 65536; p += 97) expect(table[p]).toBe(simulateYosysPair(mod, p >> 8, p & 255));
  });
});

describe('generated netlists read back through yosys', () => {
  const ids = ['exact-u8', 'exact-s8', 'trunc-s8-k6c', 'bam-u8-v6h2', 'optrunc-s8-a2b3', 'drum-u8-k4'];
  // One test per id: each is a few synchronous Yosys runs, short enough to keep the test worker responsive.
  for (const id of ids)
    testWithTool('yosys', `${id}: assign style and cell style give the generator's exact table`, () => {
      const dir = tmp();
      const spec = parseSpecId(id)!;
      const n = generate(spec);
      const want = exhaustiveTable(n, spec.signed);
      const name = (spec.signed ? 'mul8s_' : 'mul8u_') + id.replace(/-/g, '_');
      for (const [style, text] of [['assign', toVerilog(n, name, id)], ['cell', toCellStyle(n, name)]] as const) {
        const file = join(dir, `${name}_${style}.v`);
        writeFileSync(file, text);
        const { multiplier: m } = importVerilogFile(file, {});
        expect(m.signed, `${id} ${style}`).toBe(spec.signed);
        expect(Array.from(m.table), `${id} ${style}`).toEqual(Array.from(want));
      }
    }, 120_000);
});

describe('cost model', () => {
  testWithTool('yosys', 'synthesis cost falls with truncation; exact is the largest', () => {
    const cost = (id: string) => { const m = getMultiplier(id); return synthCost(m.verilog!, m.moduleName!); };
    const exact = cost('exact-u8'), k8 = cost('trunc-u8-k8');
    expect(exact.cells).toBeGreaterThan(100);
    expect(k8.transistors).toBeLessThan(exact.transistors);
    expect(k8.luts).toBeLessThan(exact.luts);
    expect(k8.luts).toBeGreaterThan(0);
  }, 120_000);

  // The LUT figure comes from the LUT-mapping steps of synth_xilinx run without its cell libraries (src/multipliers/
  // yosys.ts); a full synth_xilinx run is the reference. drum-u8-k4 is the netlist on which a shorter script (no
  // `opt -full; techmap`) gave different ABC results.
  for (const id of ['drum-u8-k4', 'mitchell-s8-w7'])
    testWithTool('yosys', `${id}: LUT count equals a full synth_xilinx -flatten -noiopad run`, () => {
      const m = getMultiplier(id), dir = tmp(), src = join(dir, 'm.v'), out = join(dir, 'stat.json');
      writeFileSync(src, m.verilog!);
      const r = spawnSync('yosys', ['-q', '-p', `read_verilog ${src}; synth_xilinx -flatten -noiopad -top ${m.moduleName}; tee -q -o ${out} stat -json`]);
      expect(r.status).toBe(0);
      const byType = (JSON.parse(readFileSync(out, 'utf8')) as { design: { num_cells_by_type: Record<string, number> } }).design.num_cells_by_type;
      const luts = Object.entries(byType).filter(([t]) => /^LUT\d$/.test(t)).reduce((s, [, n]) => s + n, 0);
      expect(synthCost(m.verilog!, m.moduleName!).luts).toBe(luts);
    }, 120_000);

  testWithTool('yosys', 'parallel synthesis gives each module its own figures, in input order', async () => {
    const ms = ['trunc-u8-k10', 'exact-u8', 'optrunc-s8-a4b4'].map((id) => getMultiplier(id));
    const done: number[] = [];
    const many = await synthCosts(ms.map((m) => ({ verilog: m.verilog!, moduleName: m.moduleName! })), { jobs: 2, onDone: (i) => done.push(i) });
    expect(many).toEqual(ms.map((m) => synthCost(m.verilog!, m.moduleName!)));
    expect(done.sort()).toEqual([0, 1, 2]);
  }, 120_000);
});

describe('rejected Verilog', () => {
  const reject = (file: string, re: RegExp, top?: string): void => {
    expect(() => readVerilogNetlist(join(FIX, file), top)).toThrow(re);
  };
  testWithTool('yosys', 'wrong port widths', () => reject('bad_ports.v', /ports must be input \[7:0\] A, input \[7:0\] B, output \[15:0\] O, found input A\[8\], input B\[7\]/));
  testWithTool('yosys', 'combinational loop', () => reject('loop.v', /combinational loop through the logic at loop\.v:\d+/));
  testWithTool('yosys', 'several top modules without --top, and with it', () => {
    reject('two_tops.v', /several top modules \(mul8u_ONE, mul8u_TWO\); choose one with --top/);
    expect(readVerilogNetlist(join(FIX, 'two_tops.v'), 'mul8u_TWO').moduleName).toBe('mul8u_TWO');
  });
  testWithTool('yosys', 'not Verilog', () => reject('not_verilog.v', /yosys cannot read it: .*syntax error/));
});
