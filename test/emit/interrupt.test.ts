/** An interrupted `emit` (Ctrl-C while it computes or writes) leaves neither its temporary folder nor a partial build
 *  behind, and exits 130 (src/io/atomic-dir.ts, cleanupOnSignal). */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, expect, test } from 'vitest';
import { buildModel } from '../helpers/onnx-builder.js';
import { quantizedModel } from '../helpers/hw-models.js';
import { tempDir } from '../helpers/tmp.js';

const BIN = fileURLToPath(new URL('../../bin/adequate.js', import.meta.url));

/** A dense model big enough (4 M weights: several CPU seconds of emission) that emission is still running when the
 *  test, polling for the temporary folder on a loaded machine, gets to interrupt it. */
function bigDense(): Uint8Array {
  let s = 5;
  const r = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
  return buildModel({
    inputs: [{ name: 'x', shape: [1, 2048] }],
    outputs: ['y'],
    initializers: [{ name: 'w', shape: [2048, 2048], data: Float32Array.from({ length: 2048 * 2048 }, r) }, { name: 'b', shape: [2048], data: Float32Array.from({ length: 2048 }, r) }],
    nodes: [{ op: 'Gemm', inputs: ['x', 'w', 'b'], outputs: ['y'], attrs: { transB: 1 } }],
  });
}

// One quantized model for every case (quantizing 4 M weights is most of this file's time).
let ir = '';
beforeAll(async () => {
  ({ ir } = await quantizedModel(join(tempDir(), 'big'), bigDense(), [1, 2048], 4));
}, 300_000);

for (const kind of ['hls', 'verilog'] as const) {
  test(`SIGINT during emit ${kind}: exit 130, no temporary folder, no output folder`, async () => {
    // Up to three runs: on a loaded machine this process may look so late that emit has already finished (its last
    // files take a few hundred ms); such a run proves nothing and is repeated, not counted.
    for (let attempt = 0; ; attempt++) {
      const dir = tempDir();
      const out = join(dir, 'build');
      const child = spawn(process.execPath, [BIN, 'emit', kind, ir, '-o', out], { stdio: 'ignore' });
      const exited = new Promise<number | string | null>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal)));
      const tmpOf = () => readdirSync(dir).filter((f) => f.startsWith('.build.tmp-'));
      let seen = false;
      for (let i = 0; i < 3000 && !seen && child.exitCode === null; i++) {
        seen = tmpOf().length > 0;
        if (!seen) await new Promise((r) => setTimeout(r, 10));
      }
      expect(seen, 'the temporary folder appeared while emit ran').toBe(true);
      // Frozen, the child cannot finish between our look and the signal. kill() returns before the kernel has
      // stopped it (it may run on another core for a while): wait until /proc says it is stopped (state T).
      child.kill('SIGSTOP');
      for (let i = 0; i < 500 && child.exitCode === null && !/^\d+ \(.*\) T /.test(readFileSync(`/proc/${child.pid}/stat`, 'utf8')); i++) await new Promise((r) => setTimeout(r, 2));
      if (tmpOf().length === 0 && attempt < 2) {
        child.kill('SIGCONT');
        await exited;
        continue;
      }
      expect(tmpOf(), 'emit was still writing when it was stopped').toHaveLength(1);
      child.kill('SIGINT');
      child.kill('SIGCONT');
      expect(await exited).toBe(130);
      expect(tmpOf()).toEqual([]);
      expect(existsSync(out)).toBe(false);
      return;
    }
  }, 300_000);
}

test('the temporary folder of a killed emit (SIGKILL: no handler ran) goes with the next emit of the same target', async () => {
  const dir = tempDir();
  const out = join(dir, 'build');
  const child = spawn(process.execPath, [BIN, 'emit', 'hls', ir, '-o', out], { stdio: 'ignore' });
  const exited = new Promise<unknown>((resolve) => child.on('exit', resolve));
  const tmpOf = () => readdirSync(dir).filter((f) => f.startsWith('.build.tmp-'));
  for (let i = 0; i < 3000 && tmpOf().length === 0 && child.exitCode === null; i++) await new Promise((r) => setTimeout(r, 10));
  child.kill('SIGKILL');
  await exited;
  const stale = tmpOf();
  expect(stale.length, 'SIGKILL left the temporary folder').toBe(1);
  const r = spawnSync(process.execPath, [BIN, 'emit', 'hls', ir, '-o', out], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  expect(tmpOf()).toEqual([]);
  expect(existsSync(join(out, 'adequate_weights.h'))).toBe(true);
}, 300_000);
