#!/usr/bin/env node
// Operator cost table of word-length tuning (data/operator-area.json): Yosys synthesis of a signed
// a x b multiplier for every pair of widths 1 <= a <= b <= 24 and of a signed w-bit adder (w = 1..48), each
// `synth -flatten; abc -g <simple gates>; stat -tech cmos` (estimated CMOS transistors: the same gate set and metric
// as the multiplier library, src/multipliers/yosys.ts). Run: node scripts/wordlength-area.mjs (about 10 minutes).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const GATES = 'AND,NAND,OR,NOR,XOR,XNOR,ANDNOT,ORNOT,MUX';
const OUT = new URL('../data/operator-area.json', import.meta.url);
const MAX_MUL = 24, MAX_ADD = 48;
const dir = mkdtempSync(join(tmpdir(), 'adequate-wl-area-'));

function transistors(verilog) {
  const src = join(dir, 'op.v'), stat = join(dir, 'stat.json');
  writeFileSync(src, verilog);
  const r = spawnSync('yosys', ['-q', '-p', `read_verilog ${src}; synth -flatten -top op; abc -g ${GATES}; opt_clean; tee -q -o ${stat} stat -json -tech cmos`], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`yosys failed: ${r.stderr}`);
  return Number(JSON.parse(readFileSync(stat, 'utf8')).design.estimated_num_transistors);
}

try {
  const multiplier = {};
  for (let a = 1; a <= MAX_MUL; a++)
    for (let b = a; b <= MAX_MUL; b++) {
      multiplier[`${a}x${b}`] = transistors(`module op(input signed [${a - 1}:0] a, input signed [${b - 1}:0] b, output signed [${a + b - 1}:0] p); assign p = a * b; endmodule\n`);
      process.stderr.write(`multiplier ${a}x${b}: ${multiplier[`${a}x${b}`]}\n`);
    }
  const adder = {};
  for (let w = 1; w <= MAX_ADD; w++) adder[w] = transistors(`module op(input signed [${w - 1}:0] a, input signed [${w - 1}:0] b, output signed [${w - 1}:0] s); assign s = a + b; endmodule\n`);
  const table = {
    source: 'scripts/wordlength-area.mjs: yosys synth -flatten; abc -g ' + GATES + '; stat -tech cmos',
    unit: 'estimated CMOS transistors',
    yosys: spawnSync('yosys', ['-V'], { encoding: 'utf8' }).stdout.trim(),
    multiplier,
    adder,
  };
  writeFileSync(OUT, JSON.stringify(table, null, 1) + '\n');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
