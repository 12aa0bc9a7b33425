/** The report's hardware sections from stage records shaped as `adequate synth --json` and `verify --json` print them
 *  (the compile test in compile.test.ts runs the software stages only, to stay fast). */
import { describe, expect, test } from 'vitest';
import type { StageRecord } from '../../src/flow/run.js';
import { exactTwinRows, exactTwinSkipped, renderReport } from '../../src/report/html.js';

const record = (stage: string, folder: string, result: unknown): StageRecord =>
  ({ stage, title: stage, key: '0', folder, input: '', commands: [[stage, '--json']], results: [result], exitCode: 0 }) as unknown as StageRecord;

describe('report.html hardware sections', () => {
  const synth = {
    part: 'xc7z020clg400-1', lanes: 4, latches: 0,
    units: [
      { module: 'adq_tile_0', resources: { luts: 3408, ffs: 1301, dsps: 7, brams: 68.5, lutrams: 0 } },
      { module: 'adq_window', resources: { luts: 754, ffs: 369, dsps: 0, brams: 0, lutrams: 0 } },
    ],
    total: { luts: 4162, ffs: 1670, dsps: 7, brams: 68.5, lutrams: 0 },
  };
  const rtl = { count: 50, mismatches: 1, cycle_mismatches: 0, cycles: 1200, predicted_cycles: 1200, top1: 0.98 };
  const html = renderReport('/nonexistent-out', 'model.onnx', undefined, [record('synth', '10-synth', synth), record('rtl', '9-rtl', rtl)]);
  const section = (id: string) => html.slice(html.indexOf(`<section id="${id}">`), html.indexOf('</section>', html.indexOf(`<section id="${id}">`)));

  test('resources: one row per unit with LUT, FF, DSP, BRAM and LUTRAM counts, the total, the part and the latch check', () => {
    const s = section('energy');
    expect(s).toMatch(/<td>adq_tile_0<\/td><td>3,408<\/td><td>1,301<\/td><td>7<\/td><td>68.5<\/td><td>0<\/td>/);
    expect(s).toMatch(/<td>total<\/td><td>4,162<\/td><td>1,670<\/td>/);
    expect(s).toContain('xc7z020clg400-1');
    expect(s).toContain('latches inferred: 0');
  });

  test('a mismatch anywhere is not reported as verified', () => {
    expect(html).not.toContain('every compared output matched');
    expect(section('verification')).toMatch(/RTL \(Verilator\)<\/td><td class="num">50<\/td><td class="num">1<\/td>/);
  });

  test('the chosen design next to its exact twin, with and without DSPs, with the model\'s relative energy', () => {
    const tot = (luts: number, dsps: number, brams: number) => ({ total: { luts, ffs: 1000, dsps, brams, lutrams: 0 } });
    const stage = { ...record('synth', '10-synth', undefined), results: [
      { ...tot(5000, 0, 10), dsp: true }, { ...tot(5100, 0, 10), dsp: false }, { kind: 'verilog' },
      { ...tot(3000, 14, 10), dsp: true }, { ...tot(9000, 0, 10), dsp: false },
    ] } as StageRecord;
    const approx = record('approx', '5-approx', { chosen: { relative_energy: 0.2952 } });
    expect(exactTwinRows([approx, stage])).toEqual([
      { build: 'chosen design', energy: '0.295', dsp: 'yes', luts: '5,000', ffs: '1,000', dsps: '0', brams: '10' },
      { build: 'exact twin', energy: '1.000', dsp: 'yes', luts: '3,000', ffs: '1,000', dsps: '14', brams: '10' },
      { build: 'chosen design', energy: '0.295', dsp: 'no', luts: '5,100', ffs: '1,000', dsps: '0', brams: '10' },
      { build: 'exact twin', energy: '1.000', dsp: 'no', luts: '9,000', ffs: '1,000', dsps: '0', brams: '10' },
    ]);
    expect(exactTwinRows([stage].map((r) => ({ ...r, results: r.results.slice(0, 2) })))).toEqual([]); // no twin built
    // Skipped (the approx stage chose the exact design) only when an approx stage ran and the synth stage built no twin.
    const chosenOnly = { ...stage, results: stage.results.slice(0, 2) };
    expect(exactTwinSkipped([approx, chosenOnly])).toBe(true);
    expect(exactTwinSkipped([approx, stage])).toBe(false);
    expect(exactTwinSkipped([chosenOnly])).toBe(false);
    expect(exactTwinSkipped([approx])).toBe(false);
  });
});
