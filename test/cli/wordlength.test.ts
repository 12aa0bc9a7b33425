import { describe, expect, test } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCliAsync } from '../helpers/cli.js';

const MLP = 'examples/mlp-mnist/model.onnx';

describe('adequate wordlength', () => {
  test('fixed point, budget search: the tuned IR meets --max-drop on held-out images, and eval reproduces its accuracy', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'wl-cli-')), 'mlp-fixed');
    const r = await runCliAsync(['wordlength', MLP, '-o', out, '--kind', 'fixed', '--max-drop', '0.5', '--eval', '300', '--holdout', '2000', '--calib', '200', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const rep = JSON.parse(r.stdout);
    expect(rep.kind).toBe('fixed');
    expect(rep.evaluations).toBeGreaterThan(3);
    expect(rep.drop_points).toBeLessThanOrEqual(0.5);
    // the property the search promises, on 2,000 images it never evaluated
    expect(rep.heldout.count).toBe(2000);
    expect(rep.heldout.drop_points).toBeLessThanOrEqual(0.5);
    expect(rep.avg_bits_per_weight).toBeLessThan(16);
    for (const l of rep.layers) expect(l.weight).toMatch(/^u?fixed<\d+,-?\d+>$/);
    for (const f of ['model.ir.json', 'weights.bin', 'wordlength.json', 'wordlength.svg', 'dataset.json']) expect(existsSync(join(out, f)), f).toBe(true);
    expect(readFileSync(join(out, 'wordlength.svg'), 'utf8')).toContain('<svg');
    const ev = await runCliAsync(['eval', out, '--offset', '300', '--limit', '2000', '--json']);
    expect(ev.code, ev.stderr).toBe(0);
    const e = JSON.parse(ev.stdout);
    expect(e.arithmetic).toBe('fixed-point');
    expect(e.top1).toBe(rep.heldout.tuned_top1);
    // A hand-edited IR with a format whose integer bits exceed its width is a clear user error.
    const ir = JSON.parse(readFileSync(join(out, 'model.ir.json'), 'utf8'));
    const layer = ir.nodes.find((n: { op: string }) => n.op === 'Gemm');
    layer.attrs.formats.weight.intBits = layer.attrs.formats.weight.width + 2;
    writeFileSync(join(out, 'model.ir.json'), JSON.stringify(ir));
    const bad = await runCliAsync(['eval', out, '--limit', '10']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/E_CONFIG.*weight.*W >= I/);
  }, 600_000);

  test('custom float, greedy search on a few images: formats are float<E,M> and held-out stays within the bound', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'wl-cli-')), 'mlp-float');
    const r = await runCliAsync(['wordlength', MLP, '-o', out, '--kind', 'float', '--search', 'greedy', '--max-drop', '1', '--eval', '100', '--holdout', '1000', '--calib', '100', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const rep = JSON.parse(r.stdout);
    for (const l of rep.layers) expect(l.activation).toMatch(/^float<\d+,\d+> bias -?\d+$/);
    expect(rep.drop_points).toBeLessThanOrEqual(1);
    expect(rep.heldout.drop_points).toBeLessThanOrEqual(1);
  }, 900_000);

  test('bad usage: --max-drop below 0', async () => {
    const r = await runCliAsync(['wordlength', MLP, '-o', join(tmpdir(), 'never'), '--max-drop', '-1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/E_USAGE.*--max-drop/);
  });
});
