/** adequate share and share-explore end to end on the quantized LeNet-5, inspect's weight bits, and bad input. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { loadIr, IR_FILE, WEIGHTS_FILE } from '../../src/ir/serialize.js';
import { isShareable } from '../../src/ir/sharing.js';
import { runCliAsync, REPO } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir();
const q = join(dir, 'lenet-q');
const LENET = join(REPO, 'examples/lenet5-mnist/model.onnx');

beforeAll(async () => {
  const r = await runCliAsync(['quantize', LENET, '-o', q, '--calib', '100', '--eval-limit', '10']);
  if (r.code !== 0) throw new Error(r.stderr);
}, 120000);

async function expectUserError(args: string[], code: string, ...mentions: string[]) {
  const r = await runCliAsync(args);
  expect(r.code, r.stderr).toBe(2);
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toContain(`error[${code}]`);
  for (const m of mentions) expect(lines[0]).toContain(m);
}

describe('adequate share', () => {
  const out = join(dir, 's16');
  test('16 clusters per layer: 4-bit indices; inspect counts indices plus codebooks; eval reproduces the reported top-1', async () => {
    const r = await runCliAsync(['share', q, '-k', '16', '--granularity', 'layer', '-o', out, '--eval-limit', '250', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const rep = JSON.parse(r.stdout);
    expect(rep.layers).toHaveLength(5);
    expect(rep.layers.every((l: { index_bits: number }) => l.index_bits === 4)).toBe(true);
    const g = loadIr(out);
    const layers = g.nodes.filter(isShareable);
    const weights = layers.reduce((s, n) => s + g.constants.get(n.inputs[1]!)!.data.length, 0);
    const entries = layers.reduce((s, n) => s + n.attrs.sharing!.codebooks[0]!.length, 0);
    expect(weights).toBe(150 + 2400 + 48000 + 10080 + 840);
    expect(rep.weight_bits).toEqual({ before: 8 * weights, after: 4 * weights + 8 * entries, at_8_bits: 8 * weights });
    const inspect = await runCliAsync(['inspect', out, '--json']);
    expect(JSON.parse(inspect.stdout).totals.weight_bits).toBe(4 * weights + 8 * entries + 32 * (6 + 16 + 120 + 84 + 10));
    const table = await runCliAsync(['inspect', out]);
    expect(table.stdout).toContain('weight sharing: 5 layers (layer)');
    const e = await runCliAsync(['eval', out, '--limit', '250', '--json']);
    expect(JSON.parse(e.stdout).top1).toBe(rep.accuracy.after_top1);
  }, 120000);

  test('bad cluster counts and granularities: one line, exit 2, no output folder', async () => {
    await expectUserError(['share', q, '-k', '0', '-o', join(dir, 'bad1')], 'E_USAGE', "--clusters '0' is not valid: give an integer >= 1");
    await expectUserError(['share', q, '-k', '26', '--granularity', 'kernel', '-o', join(dir, 'bad2')], 'E_USAGE', 'more than the 25 weights');
    await expectUserError(['share', q, '-k', '4', '--prune', '1.5', '--granularity', 'channel', '-o', join(dir, 'bad3')], 'E_USAGE', "--prune '1.5' is not valid: give a number >= 0 and < 1");
    for (const d of ['bad1', 'bad2', 'bad3']) expect(existsSync(join(dir, d))).toBe(false);
  }, 60000);

  test('an IR whose weights were edited after sharing is rejected', async () => {
    const edited = join(dir, 'edited');
    const r = await runCliAsync(['share', q, '-k', '4', '--granularity', 'layer', '-o', edited, '--eval-limit', '0']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(readFileSync(join(edited, IR_FILE), 'utf8'));
    const conv = doc.nodes.find((n: { op: string }) => n.op === 'QConv');
    const w = doc.constants.find((c: { name: string }) => c.name === conv.inputs[1]);
    const bytes = readFileSync(join(edited, WEIGHTS_FILE));
    const used = new Set(conv.attrs.sharing.codebooks[0]);
    bytes[w.offset] = [...Array(256).keys()].find((v) => !used.has(v))!;
    writeFileSync(join(edited, WEIGHTS_FILE), bytes);
    await expectUserError(['inspect', edited], 'E_IR_INVALID', conv.name, 'weight 0', 're-run adequate share');
  }, 60000);
});

describe('adequate share-explore', () => {
  const out = join(dir, 'explore');
  test('a short search writes the chosen design, pareto.json and pareto.svg; the saved IR reproduces its accuracy', async () => {
    const r = await runCliAsync(['share-explore', q, '-o', out, '--pop', '6', '--gen', '2', '--max-bits', '4', '--granularities', 'layer,channel', '--eval', '250', '--holdout', '250', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const rep = JSON.parse(readFileSync(join(out, 'pareto.json'), 'utf8'));
    expect(JSON.parse(r.stdout).chosen.weight_bits).toBe(rep.chosen.weight_bits);
    // The search used the first 125 images, the choice the other 125 (docs/selection.md).
    expect([rep.selection.search_images, rep.selection.selection_images, rep.evaluation_images]).toEqual([125, 125, 125]);
    if (rep.chosen.bound !== undefined) expect(rep.chosen.bound).toBeLessThanOrEqual(0.5 + 1e-9);
    else expect(rep.chosen.relative_memory).toBe(1); // no shared design passed: the unshared one
    expect(rep.accuracy_evaluations + rep.proxy_only).toBe(rep.evaluations + 1);
    expect(rep.chosen.heldout.count).toBe(250);
    expect(readFileSync(join(out, 'pareto.svg'), 'utf8')).toContain('<svg');
    // The saved IR holds the chosen design: its weight bits and its top-1 on the same 125 search images.
    const inspect = JSON.parse((await runCliAsync(['inspect', out, '--json'])).stdout);
    const biases = 32 * (6 + 16 + 120 + 84 + 10);
    expect(inspect.totals.weight_bits).toBe(rep.chosen.weight_bits + biases);
    const e = await runCliAsync(['eval', out, '--limit', '125', '--json']);
    expect(JSON.parse(e.stdout).top1).toBe(rep.chosen.top1);
  }, 300000);

  test('bad flags', async () => {
    await expectUserError(['share-explore', q, '-o', join(dir, 'x1'), '--granularities', 'network'], 'E_USAGE', "'network' is not one of");
    await expectUserError(['share-explore', q, '-o', join(dir, 'x2'), '--max-bits', '0'], 'E_USAGE', "--max-bits '0'");
  }, 60000);
});
