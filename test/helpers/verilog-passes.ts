/** The Verilog round trip most hardware tests make: emit a build, lint it with Verilator -Wall, run `adequate verify
 *  --layers` and expect 0 output, 0 cycle and 0 layer mismatches with the measured cycles equal to the cycle model. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { runCliAsync } from './cli.js';

export async function verilogPasses(ir: string, inputs: string | undefined, build: string, flags: readonly string[], count: number): Promise<Record<string, unknown>> {
  const emit = await runCliAsync(['emit', 'verilog', ir, '-o', build, ...flags]);
  expect(emit.code, emit.stderr).toBe(0);
  const rtl = readFileSync(join(build, 'verilator.f'), 'utf8').split('\n').filter((l) => l.startsWith('rtl/'));
  const lint = spawnSync('verilator', ['--lint-only', '-Wall', '--top-module', 'adequate_top', ...rtl], { cwd: build, encoding: 'utf8' });
  expect(lint.stderr, 'verilator --lint-only -Wall').toBe('');
  const r = await runCliAsync(['verify', build, ...(inputs ? ['--inputs', inputs] : []), '--count', String(count), '--layers', '--json']);
  expect(r.code, r.stdout + r.stderr).toBe(0);
  const j = JSON.parse(r.stdout) as Record<string, unknown>;
  expect([j.count, j.mismatches, j.cycle_mismatches, j.layer_mismatches]).toEqual([count, 0, 0, 0]);
  expect(j.cycles).toBe(j.predicted_cycles);
  return j;
}
