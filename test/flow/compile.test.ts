/** The compile flow end to end on the MLP example (small settings): stage folders, skipping unchanged stages, rerunning
 *  what changed, byte-identical outputs for the same seed, a clean stop on Ctrl-C, and the report in a real browser. */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { chromium } from 'playwright-core';
import { REPO, runCliAsync } from '../helpers/cli.js';
import { testWithTool } from '../helpers/tools.js';
import { tempDir } from '../helpers/tmp.js';

const MODEL = 'examples/mlp-mnist/model.onnx';
const CONFIG = `# small settings so the test runs in about a minute
seed: 7
quantize:
  calib: 100
  eval-limit: 300
approx:
  tiles: 2
  pop: 4
  gen: 1
  eval: 200
  holdout: 200
hls:
  enabled: false
csim:
  enabled: false
verilog:
  enabled: false
rtl:
  enabled: false
synth:
  enabled: false
`;

interface CompileJson {
  out: string;
  report: string;
  exit_code: number;
  stages: { stage: string; folder: string; skipped: boolean }[];
}

function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => statSync(join(dir, f)).isFile()).sort();
}

describe('adequate compile', () => {
  const root = tempDir();
  const config = join(root, 'small.yaml');
  const out1 = join(root, 'one');
  let first: CompileJson;
  beforeAll(async () => {
    writeFileSync(config, CONFIG);
    const r = await runCliAsync(['compile', MODEL, '-o', out1, '--config', config, '--json']);
    expect(r.stderr).toContain('[1/3] 1-import');
    expect(r.code, r.stderr).toBe(0);
    first = JSON.parse(r.stdout) as CompileJson;
  }, 600_000);

  test('runs each enabled stage into its own folder and writes the report', () => {
    expect(first.stages.map((s) => [s.folder, s.skipped])).toEqual([['1-import', false], ['2-quantize', false], ['5-approx', false]]);
    for (const s of first.stages) expect(existsSync(join(out1, s.folder, 'stage.json'))).toBe(true);
    expect(existsSync(join(out1, '5-approx', 'model.ir.json'))).toBe(true);
    const html = readFileSync(join(out1, 'report.html'), 'utf8');
    expect(html).toContain(`adequate approx ${join(out1, '2-quantize')} -o ${join(out1, '5-approx')}`);
    expect(readdirSync(out1).filter((f) => f.startsWith('.'))).toEqual(['.adequate-output']); // the marker (docs/promises.md)
  });

  testWithTool('chromium', 'the report opens in a real browser with its main parts', async () => {
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      const requests: string[] = [];
      page.on('request', (r) => { if (!r.url().startsWith('file:')) requests.push(r.url()); });
      await page.goto(`file://${join(out1, 'report.html')}`);
      expect(await page.textContent('h1')).toContain('mlp-mnist');
      // One row per IR node of the final (approximate) IR, with MACs on the dense layers.
      const layerRows = await page.locator('#layers tbody tr').count();
      expect(layerRows).toBeGreaterThanOrEqual(5);
      expect(await page.locator('#layers tbody tr', { hasText: 'QGemm' }).count()).toBe(3);
      const ladder = await page.locator('#accuracy tbody tr').allTextContents();
      expect(ladder.map((r) => r.split(/\d/)[0]!.trim())).toEqual(['float (golden model)', 'quantized (integer golden model)', 'approximate multipliers']);
      expect(await page.locator('#fronts svg').count()).toBe(1);
      expect(await page.locator('#commands pre').count()).toBe(3);
      expect(requests).toEqual([]); // self-contained: nothing fetched from a network
      mkdirSync(join(REPO, 'test-artifacts'), { recursive: true });
      await page.screenshot({ path: join(REPO, 'test-artifacts', 'report.png'), fullPage: true });
    } finally {
      await browser.close();
    }
  }, 120_000);

  test('a rerun with nothing changed skips every stage; a changed option reruns only what depends on it', async () => {
    const again = await runCliAsync(['compile', MODEL, '-o', out1, '--config', config, '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect((JSON.parse(again.stdout) as CompileJson).stages.map((s) => s.skipped)).toEqual([true, true, true]);
    const changed = await runCliAsync(['compile', MODEL, '-o', out1, '--config', config, '--set', 'approx.pop=6', '--json']);
    expect(changed.code, changed.stderr).toBe(0);
    expect((JSON.parse(changed.stdout) as CompileJson).stages.map((s) => [s.stage, s.skipped])).toEqual([['import', true], ['quantize', true], ['approx', false]]);
    const stage = JSON.parse(readFileSync(join(out1, '5-approx', 'stage.json'), 'utf8')) as { commands: string[][] };
    expect(stage.commands[0]).toContain('--pop');
    expect(stage.commands[0]![stage.commands[0]!.indexOf('--pop') + 1]).toBe('6');
  }, 600_000);

  test('the same inputs and seed give byte-identical outputs', async () => {
    const out2 = join(root, 'two');
    const r = await runCliAsync(['compile', MODEL, '-o', out2, '--config', config, '--set', 'approx.pop=6', '--json']);
    expect(r.code, r.stderr).toBe(0);
    // timing.json holds this machine's measured speeds: the one file that may differ.
    const list = files(out1).filter((f) => !f.endsWith('timing.json'));
    expect(files(out2).filter((f) => !f.endsWith('timing.json'))).toEqual(list);
    for (const f of list) {
      const a = readFileSync(join(out1, f)), b = readFileSync(join(out2, f));
      // Text files name their own output folder; with that normalised, every byte must agree.
      const norm = (buf: Buffer, dir: string) => (f.endsWith('.bin') ? buf.toString('hex') : buf.toString('utf8').split(dir).join('OUT'));
      expect(norm(b, out2), f).toBe(norm(a, out1));
    }
  }, 600_000);

  testWithTool('g++', 'an enabled word-length stage also emits its tuned IR as HLS C++ and C-simulates it bit for bit', async () => {
    const wlConfig = join(root, 'wl.yaml');
    writeFileSync(wlConfig, `seed: 7
quantize: { calib: 100, eval-limit: 300 }
wordlength: { enabled: true, kind: fixed, eval: 300, holdout: 500, calib: 100, confidence: 1 }
approx: { enabled: false }
hls: { lanes: 2 }
csim: { count: 100 }
verilog: { enabled: false }
rtl: { enabled: false }
synth: { enabled: false }
`);
    const out4 = join(root, 'four');
    const r = await runCliAsync(['compile', MODEL, '-o', out4, '--config', wlConfig, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const stage = JSON.parse(readFileSync(join(out4, '4-wordlength', 'stage.json'), 'utf8')) as { commands: string[][]; results: { count?: number; mismatches?: number }[] };
    expect(stage.commands.map((c) => c.slice(0, 2))).toEqual([['wordlength', join(out4, '1-import')], ['emit', 'hls'], ['verify', join(out4, '4-wordlength', 'hls')]]);
    expect(stage.results[2]).toMatchObject({ count: 100, mismatches: 0 });
    const html = readFileSync(join(out4, 'report.html'), 'utf8');
    expect(html).toContain('word-length C simulation (g++)');
    expect(html).toMatch(/word-length \(fixed\)<\/td><td[^>]*>\d+\.\d\d %/);
  }, 600_000);

  testWithTool('yosys', 'an approx stage that chose the exact design gets no exact twin: the synth stage builds one accelerator', async () => {
    // --max-drop 0 with --confidence 10: an approximate design passes only if it gains about half of the 100
    // selection images over the exact one, so the exact design is chosen.
    const exactConfig = join(root, 'exact.yaml');
    writeFileSync(exactConfig, `seed: 7
quantize: { calib: 100, eval-limit: 300 }
approx: { tiles: 2, pop: 4, gen: 1, eval: 200, holdout: 0, max-drop: 0, confidence: 10 }
hls: { enabled: false }
csim: { enabled: false }
verilog: { lanes: 2 }
rtl: { enabled: false }
`);
    const out5 = join(root, 'five');
    const r = await runCliAsync(['compile', MODEL, '-o', out5, '--config', exactConfig]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('the exact design is chosen');
    const approx = JSON.parse(readFileSync(join(out5, '5-approx', 'stage.json'), 'utf8')) as { results: { chosen: { relative_energy: number } }[] };
    expect(approx.results[0]!.chosen.relative_energy).toBe(1);
    const synth = JSON.parse(readFileSync(join(out5, '10-synth', 'stage.json'), 'utf8')) as { commands: string[][]; results: { dsp: boolean }[] };
    expect(synth.commands).toEqual([['synth', join(out5, '8-verilog'), '--json'], ['synth', join(out5, '8-verilog'), '--no-dsp', '--json']]);
    expect(synth.results.map((x) => x.dsp)).toEqual([true, false]);
    expect(existsSync(join(out5, '8-verilog-exact'))).toBe(false);
    expect(r.stdout).toContain('no exact twin: the approx stage chose the exact design');
    expect(readFileSync(join(out5, 'report.html'), 'utf8')).toContain('No exact twin was built: the approximate stage chose the exact design');
  }, 1_800_000); // two Yosys runs of the MLP accelerator: 100 s idle, 15 min on the shared 2-core machine at load 17

  test('Ctrl-C stops cleanly: finished stages stay, no half-written folder, a rerun continues', async () => {
    const out3 = join(root, 'three');
    const child = spawn(process.execPath, [join(REPO, 'bin/adequate.js'), 'compile', MODEL, '-o', out3, '--config', config], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    const code = await new Promise<number | null>((resolve) => {
      child.stderr.setEncoding('utf8').on('data', (d: string) => {
        stderr += d;
        if (stderr.includes('[2/3] 2-quantize') && !child.killed) child.kill('SIGINT');
      });
      child.on('close', (c) => resolve(c));
    });
    expect(code, stderr).toBe(130);
    expect(stderr).toContain('interrupted');
    expect(readdirSync(out3).sort()).toEqual(['.adequate-output', '1-import']);
    const rerun = await runCliAsync(['compile', MODEL, '-o', out3, '--config', config, '--json']);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect((JSON.parse(rerun.stdout) as CompileJson).stages.map((s) => s.skipped)).toEqual([true, false, false]);
    void relative;
  }, 600_000);
});
