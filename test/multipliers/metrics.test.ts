/** Metrics and the shipped EvoApprox tables: our exhaustive figures against the library's published ones, operand
 *  weighting, and the raw table format (B-major tf-approximate files versus the project's A-major layout). */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { builtinDataDir, builtinEvoApproxIds, builtinPublished } from '../../src/multipliers/evoapprox.js';
import { builtinLibrary, getMultiplier } from '../../src/multipliers/library.js';
import { computeMetrics, exactProduct } from '../../src/multipliers/metrics.js';
import { decodeTable, encodeTable } from '../../src/multipliers/table-file.js';

/** Published figures are rounded to at least 2 significant digits: ours must round to them. */
const close = (ours: number, published: number): boolean =>
  published === 0 ? ours === 0 : Math.abs(ours - published) <= 0.5 * 10 ** (Math.floor(Math.log10(published)) - 1) + 1e-9;

describe('EvoApprox built-in tables', () => {
  test('49 gate netlists (36 unsigned, 13 signed) and 4 table-only multipliers are built in, the 49 with published power', () => {
    expect(builtinEvoApproxIds()).toHaveLength(53);
    const evo = builtinLibrary().filter((m) => m.source.kind === 'evoapprox');
    expect(evo).toHaveLength(53);
    expect(evo.filter((m) => m.powerSource === 'published' && m.netlist)).toHaveLength(49);
    expect(evo.filter((m) => m.signed)).toHaveLength(13);
    expect(evo.filter((m) => !m.netlist).map((m) => [m.id, m.relativePower])).toEqual([['mul8u_199Z', null], ['mul8u_96D', null], ['mul8u_EXZ', null], ['mul8u_PKY', null]]);
    expect(getMultiplier('mul8s_1KV8').relativePower).toBe(1);
    expect(getMultiplier('mul8s_1L2D').relativePower).toBeCloseTo(0.2 / 0.425, 12);
    expect(getMultiplier('mul8u_1JFF').relativePower).toBe(1);
    expect(getMultiplier('mul8u_185Q').relativePower).toBeCloseTo(0.206 / 0.391, 12);
  });
  test('mul8u_1JFF is the exact multiplier, in our layout', () => {
    const t = getMultiplier('mul8u_1JFF').table;
    for (let p = 0; p < 65536; p++) expect(t[p]).toBe((p >> 8) * (p & 255));
  });
  test('exhaustive MAE, WCE, EP, MRE and WCRE match the published figures of every unsigned multiplier with a CSV row', () => {
    const pub = builtinPublished();
    let compared = 0;
    for (const id of builtinEvoApproxIds().filter((i) => i.startsWith('mul8u'))) {
      const fig = pub.rows.get(id);
      if (!fig) continue;
      const m = computeMetrics(getMultiplier(id).table, false);
      expect(close(m.maePct, fig.maePct), `${id} MAE% ${m.maePct} vs ${fig.maePct}`).toBe(true);
      expect(close(m.wcePct, fig.wcePct), `${id} WCE% ${m.wcePct} vs ${fig.wcePct}`).toBe(true);
      expect(close(m.epPct, fig.epPct), `${id} EP% ${m.epPct} vs ${fig.epPct}`).toBe(true);
      expect(close(m.mrePct, fig.mrePct), `${id} MRE% ${m.mrePct} vs ${fig.mrePct}`).toBe(true);
      expect(close(m.wcrePct, fig.wcrePct), `${id} WCRE% ${m.wcrePct} vs ${fig.wcrePct}`).toBe(true);
      compared++;
    }
    expect(compared).toBe(36);
  });
  test('mul8u_185Q: MAE 0.181 % and WCE 0.790 % of the output range (checked by hand in the notes)', () => {
    const m = getMultiplier('mul8u_185Q').metrics;
    expect(m.maePct).toBeCloseTo(0.1812, 4);
    expect(m.wcePct).toBeCloseTo(0.7904, 4);
  });
});

describe('weighted metrics', () => {
  test('a one-code histogram pair gives that pair\'s error', () => {
    const m = getMultiplier('trunc-u8-k6');
    const a = new Array<number>(256).fill(0), b = new Array<number>(256).fill(0);
    a[201] = 3;
    b[77] = 5;
    const w = computeMetrics(m.table, false, { a, b });
    const e = m.table[201 * 256 + 77]! - 201 * 77;
    expect(w.meanError).toBe(e);
    expect(w.mae).toBe(Math.abs(e));
    expect(w.wce).toBe(Math.abs(e));
    expect(w.errorVariance).toBe(0);
  });
  test('uniform histograms equal the unweighted metrics; signed codes index by byte', () => {
    const m = getMultiplier('optrunc-s8-a2b2');
    const u = new Array<number>(256).fill(2);
    expect(computeMetrics(m.table, true, { a: u, b: u }).mae).toBeCloseTo(m.metrics.mae, 9);
    const a = new Array<number>(256).fill(0), b = new Array<number>(256).fill(0);
    a[0xff] = 1; // -1
    b[0x81] = 1; // -127
    expect(computeMetrics(m.table, true, { a, b }).meanError).toBe(m.table[0xff * 256 + 0x81]! - exactProduct(0xff, 0x81, true));
  });
  test('bad histograms are user errors', () => {
    const t = getMultiplier('exact-u8').table;
    expect(() => computeMetrics(t, false, { a: [1, 2], b: new Array<number>(256).fill(1) })).toThrow(/2 bins; give 256/);
    expect(() => computeMetrics(t, false, { a: new Array<number>(256).fill(0), b: new Array<number>(256).fill(1) })).toThrow(/all zero/);
  });
});

describe('table files', () => {
  test('B-major tf-approximate file decodes to the A-major layout and re-encodes', () => {
    const bytes = readFileSync(`${builtinDataDir()}/mul8u_L40.bin`);
    const t = decodeTable(bytes, false, 'ba', 'mul8u_L40.bin');
    const u16 = new Uint16Array(bytes.buffer, bytes.byteOffset, 65536);
    for (const [a, b] of [[3, 250], [250, 3], [128, 77], [255, 255]] as const) expect(t[a * 256 + b]).toBe(u16[b * 256 + a]);
    const back = decodeTable(encodeTable(t, false), false, 'ab', 'x');
    expect(Array.from(back)).toEqual(Array.from(t));
  });
  test('signed tables are sign-extended 16-bit products', () => {
    const s = getMultiplier('exact-s8').table;
    expect(Array.from(decodeTable(encodeTable(s, true), true, 'ab', 'x'))).toEqual(Array.from(s));
    expect(s[0x80 * 256 + 0x80]).toBe(16384);
    expect(s[0x80 * 256 + 0x7f]).toBe(-16256);
  });
  test('a table of the wrong size is a user error', () => {
    expect(() => decodeTable(new Uint8Array(1000), false, 'ab', 'short.bin')).toThrow(/131072 bytes/);
  });
});
