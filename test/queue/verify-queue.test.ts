/** verify --queue (src/verify/shards.ts): a Verilator verification sharded over two `adequate worker` processes
 *  reports the same mismatches, cycle counts, top-1 and first mismatching inference as the same verification run
 *  locally, on a build with a corrupted weight ROM (so that some inferences mismatch). */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect } from 'vitest';
import { REPO, runCliAsync } from '../helpers/cli.js';
import { startRedis, startWorker, type TestRedis, type TestWorker } from '../helpers/queue.js';
import { tempDir } from '../helpers/tmp.js';
import { testWithTool } from '../helpers/tools.js';

const dir = tempDir();
let redis: TestRedis | undefined;
const workers: TestWorker[] = [];

afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop()));
  await redis?.stop();
});

describe('verify --queue', () => {
  testWithTool(['verilator', 'redis-server'], 'Verilator sharded over two workers: the same mismatch and cycle counts as a local run', async () => {
    const q = join(dir, 'mlp-q'), build = join(dir, 'mlp-v');
    const quant = await runCliAsync(['quantize', join(REPO, 'examples/mlp-mnist/model.onnx'), '-o', q, '--calib', '64', '--eval-limit', '10']);
    expect(quant.code, quant.stderr).toBe(0);
    const emit = await runCliAsync(['emit', 'verilog', q, '-o', build, '--lanes', '8']);
    expect(emit.code, emit.stderr).toBe(0);
    // Flip a bit of the first few weight words of the second dense layer: some inferences differ, not all.
    const rom = join(build, 'rtl/mem/w_s1.hex');
    writeFileSync(rom, readFileSync(rom, 'utf8').split('\n').map((w, i) => (w && i < 3 ? (BigInt('0x' + w) ^ 64n).toString(16).padStart(w.length, '0') : w)).join('\n'));
    redis = await startRedis();
    workers.push(await startWorker(redis.url), await startWorker(redis.url));
    const local = await runCliAsync(['verify', build, '--count', '24', '--json']);
    const queued = await runCliAsync(['verify', build, '--count', '24', '--json', '--queue', redis.url]);
    expect(local.code, local.stderr).toBe(3);
    expect(queued.code, queued.stderr).toBe(3);
    const [l, r] = [JSON.parse(local.stdout), JSON.parse(queued.stdout)];
    expect(l.mismatches).toBeGreaterThan(0);
    for (const k of ['count', 'mismatches', 'cycle_mismatches', 'cycles', 'predicted_cycles', 'top1', 'first_mismatch', 'layers']) expect(r[k], k).toEqual(l[k]);
    expect(r.shards).toBeGreaterThan(1);
    expect(queued.stderr).toMatch(/verify: \d+ jobs on the queue, 2 workers/);
  }, 400_000);
});
