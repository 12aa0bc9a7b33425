import { beforeAll, describe, expect, test } from 'vitest';
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCliAsync } from '../helpers/cli.js';

const MLP = 'examples/mlp-mnist/model.onnx';
// --eval images: the search tunes on the first half, the choice uses the other half (docs/selection.md).
const TUNING = 1000, HELD_OUT = 1000;

describe('adequate wordlength', () => {
  // One fixed-point budget search shared by the tests below (a search is the slow part).
  const out = join(mkdtempSync(join(tmpdir(), 'wl-cli-')), 'mlp-fixed');
  let rep: {
    kind: string; evaluations: number; drop_points: number; max_drop: number; avg_bits_per_weight: number;
    heldout: { count: number; drop_points: number; tuned_top1: number }; layers: { weight: string }[];
    selection: { selection_images: number }; bound: number;
  };
  beforeAll(async () => {
    const r = await runCliAsync(['wordlength', MLP, '-o', out, '--kind', 'fixed', '--max-drop', '1', '--confidence', '1', '--eval', String(TUNING), '--holdout', String(HELD_OUT), '--calib', '100', '--json']);
    expect(r.code, r.stderr).toBe(0);
    rep = JSON.parse(r.stdout);
  }, 600_000);

  test('fixed point, budget search: the tuned IR meets --max-drop on held-out images it never saw', () => {
    expect(rep.kind).toBe('fixed');
    expect(rep.evaluations).toBeGreaterThan(3);
    expect(rep.drop_points).toBeLessThanOrEqual(1);
    // the choice's paired bound on the selection images, and the property it promises on images nothing used
    expect(rep.selection.selection_images).toBe(TUNING / 2);
    expect(rep.bound).toBeLessThanOrEqual(1);
    expect(rep.heldout.count).toBe(HELD_OUT);
    expect(rep.heldout.drop_points).toBeLessThanOrEqual(1);
    expect(rep.avg_bits_per_weight).toBeLessThan(16);
    for (const l of rep.layers) expect(l.weight).toMatch(/^u?fixed<\d+,-?\d+>$/);
    for (const f of ['model.ir.json', 'weights.bin', 'wordlength.json', 'wordlength.svg', 'dataset.json']) expect(existsSync(join(out, f)), f).toBe(true);
    expect(readFileSync(join(out, 'wordlength.svg'), 'utf8')).toContain('<svg');
  });

  test('eval of the tuned IR reproduces the held-out accuracy the search reported', async () => {
    const ev = await runCliAsync(['eval', out, '--offset', String(TUNING), '--limit', String(HELD_OUT), '--json']);
    expect(ev.code, ev.stderr).toBe(0);
    const e = JSON.parse(ev.stdout);
    expect(e.arithmetic).toBe('fixed-point');
    expect(e.top1).toBe(rep.heldout.tuned_top1);
  }, 120_000);

  test('a hand-edited IR with a format whose integer bits exceed its width is a clear user error', async () => {
    const bad = join(mkdtempSync(join(tmpdir(), 'wl-cli-')), 'bad');
    cpSync(out, bad, { recursive: true });
    const ir = JSON.parse(readFileSync(join(bad, 'model.ir.json'), 'utf8'));
    const layer = ir.nodes.find((n: { op: string }) => n.op === 'Gemm');
    layer.attrs.formats.weight.intBits = layer.attrs.formats.weight.width + 2;
    writeFileSync(join(bad, 'model.ir.json'), JSON.stringify(ir));
    const r = await runCliAsync(['eval', bad, '--limit', '10']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/E_CONFIG.*weight.*W >= I/);
  }, 120_000);

  test('custom float, greedy search: formats are float<E,M> and held-out stays within the bound', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'wl-cli-')), 'mlp-float');
    const r = await runCliAsync(['wordlength', MLP, '-o', dir, '--kind', 'float', '--search', 'greedy', '--max-drop', '1', '--confidence', '1', '--eval', String(TUNING), '--holdout', String(HELD_OUT), '--calib', '100', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const f = JSON.parse(r.stdout);
    expect(f.search).toBe('greedy');
    for (const l of f.layers) expect(l.activation).toMatch(/^float<\d+,\d+> bias -?\d+$/);
    expect(f.drop_points).toBeLessThanOrEqual(1);
    expect(f.heldout.drop_points).toBeLessThanOrEqual(1);
    // open-ended progress: a count and a rate, never "n/0" or a negative ETA
    expect(r.stderr).toMatch(/greedy search done in .* \(\d+ evaluations\)/);
    expect(r.stderr).not.toMatch(/\/0 |ETA -/);
  }, 600_000);

  test.each([
    [['--max-drop', '-1'], /E_USAGE.*--max-drop/],
    [['--confidence', '-1'], /E_USAGE.*--confidence/],
  ])('bad usage: %s', async (flags, message) => {
    const r = await runCliAsync(['wordlength', MLP, '-o', join(tmpdir(), 'never'), ...flags]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});

describe('adequate wordlength --simd: the reduction lanes S of the HLS tiles', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wl-simd-'));
  const out = join(dir, 'mlp-s3');
  beforeAll(async () => {
    const r = await runCliAsync(['wordlength', MLP, '-o', out, '--simd', '3', '--acc-overflow', 'saturate', '--eval', '100', '--holdout', '0', '--calib', '32', '--confidence', '0', '--max-drop', '1', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).simd).toBe(3);
  }, 120_000);

  test('records S on every Conv/Gemm; emit hls without --simd builds S = 3; --simd 2 is one E_USAGE line', async () => {
    const ir = JSON.parse(readFileSync(join(out, 'model.ir.json'), 'utf8'));
    const layers = ir.nodes.filter((n: { op: string }) => n.op === 'Gemm' || n.op === 'Conv');
    expect(layers.length).toBeGreaterThan(1);
    for (const n of layers) expect(n.attrs.reductionLanes).toBe(3);
    const build = join(dir, 'hls');
    const e = await runCliAsync(['emit', 'hls', out, '-o', build, '--pe', '2', '--json']);
    expect(e.code, e.stderr).toBe(0);
    expect(JSON.parse(e.stdout)).toMatchObject({ lanes: 2, simd: 3 });
    expect(readFileSync(join(build, 'adequate_top.cpp'), 'utf8')).toMatch(/^#define TILE0_SIMD 3$/m);
    const bad = await runCliAsync(['emit', 'hls', out, '-o', join(dir, 'never'), '--simd', '2']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^adequate: error\[E_USAGE\]: '.+' is word-length tuned for S = 3 \(.*\), not --simd 2; emit it with --simd 3 or without --simd, or re-run adequate wordlength --simd 2$/)]);
    expect(existsSync(join(dir, 'never'))).toBe(false);
  }, 120_000);

  test('--simd on a quantized IR is unchanged: the build folds at S and needs no tuned order', async () => {
    const q = join(dir, 'q');
    const r = await runCliAsync(['quantize', MLP, '-o', q, '--calib', '32', '--eval-limit', '50', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const e = await runCliAsync(['emit', 'hls', q, '-o', join(dir, 'q-hls'), '--pe', '2', '--simd', '2', '--json']);
    expect(e.code, e.stderr).toBe(0);
    expect(JSON.parse(e.stdout).folding.tiles[0]).toMatchObject({ pe: 2, simd: 2 });
    expect(readFileSync(join(dir, 'q-hls', 'adequate_top.cpp'), 'utf8')).toMatch(/^#define TILE0_SIMD 2$/m);
  }, 120_000);

  test('bad --simd: 0 is one E_USAGE line', async () => {
    const r = await runCliAsync(['wordlength', MLP, '-o', join(dir, 'never-0'), '--simd', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/E_USAGE.*--simd/);
  });
});
