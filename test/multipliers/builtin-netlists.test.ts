/** The built-in EvoApprox gate netlists (multipliers/evoapprox/netlists.json) and the built-ins' Yosys figures
 *  (multipliers/synth.json), both precomputed by scripts/evoapprox-netlists.mjs so that loading the library never runs
 *  Yosys: current against the shipped Verilog, equal bit for bit to tf-approximate's independent tables, the signed
 *  ones against the library's published error figures and a * b, and (with Yosys) equal to a fresh reading. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { libraryCandidates } from '../../src/dse/approx/setup.js';
import { builtinDataDir, builtinEvoApproxBytes, builtinEvoApproxTableIds, builtinNetlists, builtinPublished, builtinSynthCache, sha256 } from '../../src/multipliers/evoapprox.js';
import { builtinLibrary, getMultiplier } from '../../src/multipliers/library.js';
import { computeMetrics } from '../../src/multipliers/metrics.js';
import { decodeTable } from '../../src/multipliers/table-file.js';
import { readVerilogNetlist, synthCost } from '../../src/multipliers/yosys.js';
import { testWithTool } from '../helpers/tools.js';

const verilogDir = join(builtinDataDir(), 'verilog');
const REGENERATE = 'stale: run npm run build && node scripts/evoapprox-netlists.mjs';

describe('precomputed netlists are current', () => {
  test('every shipped Verilog file has its netlist, read from exactly that text', () => {
    const files = readdirSync(verilogDir).filter((f) => f.endsWith('.v')).sort();
    expect(files).toHaveLength(49);
    const shipped = builtinNetlists();
    expect([...shipped.values()].map((n) => n.file).sort()).toEqual(files);
    for (const [id, n] of shipped) {
      expect(n.file, id).toBe(`${id}.v`);
      expect(n.sha256, `${id}: ${REGENERATE}`).toBe(sha256(readFileSync(join(verilogDir, n.file), 'utf8')));
    }
  });
  test('the licence ships beside the Verilog files, and each file keeps its header', () => {
    expect(readFileSync(join(verilogDir, 'LICENSE.md'), 'utf8')).toMatch(/^Copyright 2018 EHW@FIT[^]*Permission is hereby granted/);
    for (const n of builtinNetlists().values()) expect(readFileSync(join(verilogDir, n.file), 'utf8'), n.file).toMatch(/^\/\*\*\*\n\* This code is a part of EvoApproxLib library .* The MIT License\./);
  });
  test('every built-in with a netlist has cached Yosys figures measured on its Verilog text', () => {
    const cache = builtinSynthCache();
    for (const m of builtinLibrary().filter((x) => x.verilog !== undefined)) {
      expect(cache.get(m.id)?.verilogSha256, `${m.id}: ${REGENERATE}`).toBe(sha256(m.verilog!));
      expect(m.synth, m.id).toEqual({ cells: cache.get(m.id)!.cells, transistors: cache.get(m.id)!.transistors, luts: cache.get(m.id)!.luts });
    }
  });
});

describe('netlists against independent references', () => {
  test('the 32 unsigned netlists with a tf-approximate table equal it bit for bit', () => {
    const both = builtinEvoApproxTableIds().filter((id) => builtinNetlists().has(id));
    expect(both).toHaveLength(32);
    for (const id of both) {
      const want = decodeTable(builtinEvoApproxBytes(id), false, 'ba', id);
      const got = getMultiplier(id).table;
      let bad = 0;
      for (let p = 0; p < 65536; p++) if (got[p] !== want[p]) bad++;
      expect(bad, `${id}: products differing from tf-approximate's table`).toBe(0);
    }
  });
  test('mul8s_1KV8 is the exact signed multiplier on two\'s-complement codes', () => {
    const t = getMultiplier('mul8s_1KV8').table;
    for (let p = 0; p < 65536; p++) expect(t[p]).toBe((((p >> 8) << 24) >> 24) * (((p & 255) << 24) >> 24) + 0);
  });
  test('signed netlists: exhaustive MAE, WCE and EP agree with the published figures to their last digit', () => {
    const pub = builtinPublished();
    // Within one unit of the last published digit or 6 %: the signed rows are truncated, and some from a truncated
    // absolute figure (mul8s_1KVA: MAE 1.25 products, published as 1.2, hence 0.0018 % where 1.25 gives 0.0019 %).
    const close = (ours: number, published: number): boolean =>
      published === 0 ? ours === 0 : Math.abs(ours - published) <= Math.max(10 ** (Math.floor(Math.log10(published)) - 1), 0.06 * published) + 1e-9;
    const signed = [...builtinNetlists().entries()].filter(([, n]) => n.signed);
    expect(signed).toHaveLength(13);
    for (const [id] of signed) {
      const fig = pub.rows.get(id)!, m = computeMetrics(getMultiplier(id).table, true);
      expect(close(m.maePct, fig.maePct), `${id} MAE% ${m.maePct} vs ${fig.maePct}`).toBe(true);
      expect(close(m.wcePct, fig.wcePct), `${id} WCE% ${m.wcePct} vs ${fig.wcePct}`).toBe(true);
      expect(close(m.epPct, fig.epPct), `${id} EP% ${m.epPct} vs ${fig.epPct}`).toBe(true);
    }
  });
});

describe('default candidates', () => {
  test('only multipliers with a netlist and a known power: the four table-only ones are left out', async () => {
    const unsigned = (await libraryCandidates('builtin', false)).map((c) => c.id);
    for (const id of ['mul8u_199Z', 'mul8u_96D', 'mul8u_EXZ', 'mul8u_PKY']) expect(unsigned).not.toContain(id);
    for (const id of unsigned) expect(getMultiplier(id).netlist, id).toBeDefined();
    expect(unsigned.filter((id) => id.startsWith('mul8u_'))).toHaveLength(36);
  });
  test('--scheme signed has an approximate EvoApprox library with published power', async () => {
    const signed = await libraryCandidates('evoapprox', true);
    expect(signed[0]!.id).toBe('exact-s8');
    expect(signed.filter((c) => c.id.startsWith('mul8s_'))).toHaveLength(13);
    expect(signed.find((c) => c.id === 'mul8s_1KR3')!.relativePower).toBeCloseTo(0.052 / 0.425, 12);
  });
  test('--cost luts and cells: each multiplier\'s cached Yosys figures over the exact multiplier\'s', async () => {
    const [luts, cells] = [await libraryCandidates('builtin', false, 'luts'), await libraryCandidates('builtin', false, 'cells')];
    const exact = getMultiplier('exact-u8').synth!, m = getMultiplier('mul8u_1AGV').synth!;
    expect(luts[0]!.relativePower).toBe(1);
    expect(luts.find((c) => c.id === 'mul8u_1AGV')!.relativePower).toBeCloseTo(m.luts / exact.luts, 12);
    expect(cells.find((c) => c.id === 'mul8u_1AGV')!.relativePower).toBeCloseTo(m.transistors / exact.transistors, 12);
  });
});

describe('with Yosys', () => {
  testWithTool('yosys', 'a fresh Yosys reading of sample files equals the shipped netlists, and a fresh synthesis the cached figures', () => {
    for (const id of ['mul8u_17C8', 'mul8u_1CMB', 'mul8s_1L2D']) {
      const fresh = readVerilogNetlist(join(verilogDir, `${id}.v`));
      expect(fresh.moduleName).toBe(id);
      expect(fresh.netlist).toEqual(builtinNetlists().get(id)!.netlist);
    }
    const m = getMultiplier('mul8u_1CMB');
    expect(synthCost(m.verilog!, m.moduleName!)).toEqual(m.synth);
  }, 120_000);
});
