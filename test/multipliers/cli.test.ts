/** `adequate mult ...` as a user runs it (built CLI): list, show with heat map, import (file, folder, published
 *  metrics), import-table and export round trip, generate, characterize, and bad input (exit 2, one line, nothing
 *  added to the library). Run `npx tsc -p tsconfig.json` first. */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { getMultiplier } from '../../src/multipliers/library.js';
import { execFile } from 'node:child_process';
import { runCli, REPO, type CliResult } from '../helpers/cli.js';
import { testWithTool } from '../helpers/tools.js';

const FIX = new URL('./fixtures/', import.meta.url).pathname;
const tmp = (): string => mkdtempSync(join(tmpdir(), 'adequate-mult-cli-'));

/** runCli without blocking the test worker: the Yosys-backed commands take seconds each under load. */
function cli(args: readonly string[]): Promise<CliResult> {
  return new Promise((done) => {
    execFile(process.execPath, [join(REPO, 'bin', 'adequate.js'), ...args], { cwd: REPO, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      done({ code, stdout, stderr });
    });
  });
}

async function expectUserError(args: string[], re: RegExp, lib?: string): Promise<void> {
  const r = await cli(args);
  expect(r.code, r.stderr).toBe(2);
  expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
  expect(r.stderr).toMatch(re);
  if (lib !== undefined) expect(existsSync(lib) ? readdirSync(lib).filter((f) => !f.startsWith('.')) : []).toEqual([]);
}

describe('mult list / show / export', () => {
  test('list --json holds the built-ins sorted by power', () => {
    const r = runCli(['mult', 'list', '--json', '--library', tmp()]);
    expect(r.code, r.stderr).toBe(0);
    const rows = JSON.parse(r.stdout) as { id: string; relativePower: number | null }[];
    const ids = rows.map((x) => x.id);
    for (const id of ['exact-u8', 'exact-s8', 'mul8u_185Q', 'trunc-u8-k6c', 'drum-u8-k4', 'bam-s8-v8h3']) expect(ids).toContain(id);
    const powers = rows.map((x) => x.relativePower).filter((p): p is number => p !== null);
    expect(powers).toEqual([...powers].sort((a, b) => a - b));
  });
  test('list prints a table; show prints the metrics and writes an SVG heat map', () => {
    expect(runCli(['mult', 'list', '--library', tmp()]).stdout).toMatch(/^id\s+sign\s+power/);
    const svg = join(tmp(), 'heat.svg');
    const r = runCli(['mult', 'show', 'mul8u_185Q', '--svg', svg]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/MAE % of range\s+0\.1811/);
    expect(readFileSync(svg, 'utf8')).toMatch(/^<svg [^>]*>[\s\S]*<rect [\s\S]*<\/svg>\n$/);
  });
  test('export writes the A*256+B table; import-table --order ab reads it back', () => {
    const dir = tmp(), lib = join(dir, 'lib'), file = join(dir, 'x.bin');
    expect(runCli(['mult', 'export', 'trunc-s8-k6c', '-o', file]).code).toBe(0);
    const bytes = readFileSync(file);
    expect(bytes.length).toBe(131072);
    expect(bytes.readInt16LE(2 * (0x80 * 256 + 0x7f))).toBe(getMultiplier('trunc-s8-k6c').table[0x80 * 256 + 0x7f]);
    const r = runCli(['mult', 'import-table', file, '--signed', '--id', 'copy', '--library', lib, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { id: string }).id).toBe('copy');
    const back = join(dir, 'back.bin');
    expect(runCli(['mult', 'export', 'copy', '--library', lib, '-o', back]).code).toBe(0);
    expect(readFileSync(back).equals(bytes)).toBe(true);
  });
  test('import-table --order ba of a shipped EvoApprox file equals the built-in', () => {
    const lib = join(tmp(), 'lib');
    const src = new URL('../../multipliers/evoapprox/mul8u_L40.bin', import.meta.url).pathname;
    const r = runCli(['mult', 'import-table', src, '--unsigned', '--order', 'ba', '--id', 'l40', '--power', '0.5', '--library', lib, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const a = JSON.parse(runCli(['mult', 'show', 'l40', '--library', lib, '--json']).stdout) as { metrics: unknown; relativePower: number };
    const b = JSON.parse(runCli(['mult', 'show', 'mul8u_L40', '--json']).stdout) as { metrics: unknown };
    expect(a.metrics).toEqual(b.metrics);
    expect(a.relativePower).toBe(0.5);
  });
});

describe('mult import / generate / characterize', async () => {
  testWithTool('yosys', 'import a folder with published metrics: ids printed, power from the CSV', async () => {
    const dir = tmp(), src = join(dir, 'evo'), lib = join(dir, 'lib');
    mkdirSync(src);
    for (const f of ['mul8u_HX1.v', 'mul8u_HX2.v']) copyFileSync(join(FIX, f), join(src, f));
    const csv = join(dir, 'm.csv');
    writeFileSync(csv, 'name,area,delay,ep%,mae%,mre%,pwr,wce%,wcre%\nmul8u_EXACT,700,1.4,0.00,0.00,0.00,0.400,0.00,0.00\nmul8u_HX2,100,0.5,99,2.8,25,0.100,11,100\n');
    const r = await cli(['mult', 'import', src, '-o', lib, '--metrics', csv]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual(['mul8u_HX1', 'mul8u_HX2']);
    const hx2 = JSON.parse((await cli(['mult', 'show', 'mul8u_HX2', '--library', lib, '--json'])).stdout) as { relativePower: number; powerSource: string };
    expect(hx2).toMatchObject({ relativePower: 0.25, powerSource: 'published' });
    expect(readFileSync(join(lib, 'mul8u_HX1', 'netlist.v'), 'utf8')).toMatch(/module mul8u_HX1\(A, B, O\);/);
    await expectUserError(['mult', 'import', join(src, 'mul8u_HX1.v'), '--library', lib], /already in .*--replace/);
    const j = await cli(['mult', 'import', join(src, 'mul8u_HX1.v'), '--library', lib, '--replace', '--json']);
    expect((JSON.parse(j.stdout) as { id: string }).id).toBe('mul8u_HX1');
  });
  testWithTool('yosys', 'generate adds netlists; characterize reports synthesis and weighted metrics', async () => {
    const dir = tmp(), lib = join(dir, 'lib');
    expect((await cli(['mult', 'generate', 'trunc-u8-k7c', 'drum-u8-k5', '--library', lib])).stdout.trim()).toBe('trunc-u8-k7c\ndrum-u8-k5');
    const hist = join(dir, 'h.json');
    const a = Array.from({ length: 256 }, (_, i) => (i < 64 ? 1 : 0));
    writeFileSync(hist, JSON.stringify({ a, b: a }));
    // Two multipliers: their Yosys runs go in parallel; results come back in the order asked.
    const r = await cli(['mult', 'characterize', 'trunc-u8-k7c', 'mitchell-u8-w3', '--library', lib, '--hist', hist, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const [c, d] = JSON.parse(r.stdout) as { id: string; synth: { cells: number; transistors: number; luts: number }; weightedMetrics: { mae: number }; metrics: { mae: number } }[];
    expect([c!.id, d!.id]).toEqual(['trunc-u8-k7c', 'mitchell-u8-w3']);
    expect(c!.synth.cells).toBeGreaterThan(0);
    expect(d!.synth.cells).toBeGreaterThan(c!.synth.cells);
    expect(c!.weightedMetrics.mae).not.toBe(c!.metrics.mae);
    const shown = JSON.parse((await cli(['mult', 'show', 'trunc-u8-k7c', '--library', lib, '--json'])).stdout) as { synth: unknown };
    expect(shown.synth).toEqual(c!.synth);
  }, 120_000);
});

describe('bad input: exit 2, one line, nothing added', async () => {
  testWithTool('yosys', 'Verilog that does not fit', async () => {
    const lib = join(tmp(), 'lib');
    await expectUserError(['mult', 'import', join(FIX, 'bad_ports.v'), '--library', lib], /E_MULT.*ports must be input \[7:0\] A/, lib);
    await expectUserError(['mult', 'import', join(FIX, 'loop.v'), '--library', lib], /combinational loop/, lib);
    await expectUserError(['mult', 'import', join(FIX, 'two_tops.v'), '--library', lib], /several top modules.*--top/, lib);
    await expectUserError(['mult', 'import', join(FIX, 'not_verilog.v'), '--library', lib], /yosys cannot read it/, lib);
    await expectUserError(['mult', 'import', FIX, '--library', lib], /ports must be|combinational loop|several top|cannot read/, lib);
  });
  test('tables, ids and options that do not fit', async () => {
    const dir = tmp(), lib = join(dir, 'lib'), short = join(dir, 'short.bin');
    writeFileSync(short, new Uint8Array(1000));
    await expectUserError(['mult', 'import-table', short, '--unsigned', '--library', lib], /131072 bytes.*1000/, lib);
    await expectUserError(['mult', 'import-table', short, '--library', lib], /exactly one of --signed and --unsigned/, lib);
    await expectUserError(['mult', 'show', 'mul8u_NOPE'], /no multiplier "mul8u_NOPE"/);
    await expectUserError(['mult', 'generate', 'trunc-u8-k99', '--library', lib], /not a generated multiplier id/, lib);
  });
});
