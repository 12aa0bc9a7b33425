/** Every netlist of the library (the generated built-ins, imported EvoApprox-style fixtures and real EvoApprox netlists) simulated
 *  exhaustively in Verilator through one generated C++ harness and compared with the TypeScript tables bit for bit;
 *  every generated Verilog file linted with `verilator --lint-only -Wall`; a sample simulated in Icarus Verilog. */
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import { importVerilogFile } from '../../src/multipliers/import.js';
import { builtinLibrary } from '../../src/multipliers/library.js';
import type { Multiplier } from '../../src/multipliers/types.js';
import { testWithTool } from '../helpers/tools.js';

const FIX = new URL('./fixtures/', import.meta.url).pathname;
// The Verilator build takes about a minute: run it asynchronously so that the test worker stays responsive.
const run = promisify(execFile);
const tmp = (): string => mkdtempSync(join(tmpdir(), 'adequate-mult-vl-'));

/** Every built-in with a netlist (generated, and the 49 EvoApprox netlists) and the hand-written fixtures. */
function netlists(): Multiplier[] {
  const imported = ['mul8u_HX1.v', 'mul8u_HX2.v'].map((f) => importVerilogFile(join(FIX, f), {}).multiplier);
  return [...builtinLibrary().filter((m) => m.verilog !== undefined), ...imported];
}

function writeModules(dir: string, ms: readonly Multiplier[]): string[] {
  return ms.map((m) => {
    const file = join(dir, `${m.moduleName}.v`);
    writeFileSync(file, m.verilog!);
    return file;
  });
}

describe('Verilator', () => {
  testWithTool('verilator', 'every generated netlist passes verilator --lint-only -Wall', async () => {
    const dir = tmp();
    const ms = netlists();
    const files = writeModules(dir, ms);
    for (const [i, file] of files.entries()) {
      // execFile rejects on a nonzero exit; any warning text fails the test too.
      const { stdout, stderr } = await run('verilator', ['--lint-only', '-Wall', file, '--top-module', ms[i]!.moduleName!]);
      expect(stdout + stderr, ms[i]!.id).toBe('');
    }
  }, 300_000);

  testWithTool('verilator', 'exhaustive Verilator simulation equals every table bit for bit', async () => {
    const dir = tmp();
    const ms = netlists();
    const files = writeModules(dir, ms);
    const ports = ms.map((_, i) => `output [15:0] O${i}`).join(', ');
    const insts = ms.map((m, i) => `  ${m.moduleName} u${i}(.A(A), .B(B), .O(O${i}));`).join('\n');
    writeFileSync(join(dir, 'all_mults.v'), `module all_mults(input [7:0] A, input [7:0] B, ${ports});\n${insts}\nendmodule\n`);
    const writes = ms.map((_, i) => `      o[${i}] = t->O${i};`).join('\n');
    writeFileSync(join(dir, 'harness.cpp'), [
      '#include "Vall_mults.h"', '#include "verilated.h"', '#include <cstdio>', '#include <cstdint>',
      'int main(int argc, char** argv) {', '  Verilated::commandArgs(argc, argv);', '  Vall_mults* t = new Vall_mults;',
      `  uint16_t o[${ms.length}];`, '  FILE* f = fopen(argv[1], "wb");',
      '  for (int a = 0; a < 256; a++) for (int b = 0; b < 256; b++) {', '      t->A = a; t->B = b; t->eval();', writes,
      `      fwrite(o, 2, ${ms.length}, f);`, '  }', '  fclose(f); delete t; return 0;', '}', ''].join('\n'));
    await run('verilator', ['--cc', '--exe', '--build', '-j', '2', '-O1', '-Wno-fatal', '--top-module', 'all_mults', '-Mdir', join(dir, 'obj'),
      join(dir, 'all_mults.v'), ...files, join(dir, 'harness.cpp')], { cwd: dir, maxBuffer: 64 << 20 });
    const out = join(dir, 'products.bin');
    await run(join(dir, 'obj', 'Vall_mults'), [out]);
    const raw = readFileSync(out);
    const u16 = new Uint16Array(raw.buffer, raw.byteOffset, raw.length / 2);
    ms.forEach((m, i) => {
      let bad = 0;
      for (let p = 0; p < 65536; p++) {
        const o = u16[p * ms.length + i]!;
        if ((m.signed ? (o << 16) >> 16 : o) !== m.table[p]) bad++;
      }
      expect(bad, `${m.id}: products differing from Verilator`).toBe(0);
    });
  }, 600_000);
});

describe('Icarus Verilog', () => {
  testWithTool('iverilog', 'a sample of operand pairs simulated in iverilog equals the tables', () => {
    const dir = tmp();
    const ms = netlists().filter((m) => /^(exact|trunc-s8-k6c|drum-|mitchell-s8-w7|bam-s8|mul8u_HX|mul8u_FTA)/.test(m.id));
    const files = writeModules(dir, ms);
    const pairs = Array.from({ length: 200 }, (_, k) => [(k * 37 + 11) & 255, (k * 101 + 7) & 255] as const);
    const tb = [
      'module tb;', '  reg [7:0] A, B;', ...ms.map((m, i) => `  wire [15:0] O${i};\n  ${m.moduleName} u${i}(.A(A), .B(B), .O(O${i}));`),
      '  initial begin',
      ...pairs.map(([a, b]) => `    A = 8'd${a}; B = 8'd${b}; #1 $display("${ms.map((_, i) => `%0d`).join(' ')}", ${ms.map((_, i) => `O${i}`).join(', ')});`),
      '    $finish;', '  end', 'endmodule', ''].join('\n');
    writeFileSync(join(dir, 'tb.v'), tb);
    execFileSync('iverilog', ['-g2005', '-o', join(dir, 'sim'), join(dir, 'tb.v'), ...files]);
    const lines = execFileSync('vvp', ['-n', join(dir, 'sim')], { encoding: 'utf8' }).trim().split('\n').filter((l) => /^\d/.test(l));
    expect(lines).toHaveLength(pairs.length);
    lines.forEach((line, k) => {
      const [a, b] = pairs[k]!;
      line.split(' ').map(Number).forEach((o, i) => {
        const m = ms[i]!;
        expect(m.signed ? (o << 16) >> 16 : o, `${m.id} at ${a},${b}`).toBe(m.table[a * 256 + b]);
      });
    });
  }, 120_000);
});
