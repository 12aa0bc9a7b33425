/** approx on the job queue (src/queue/, src/dse/approx/pool.ts queueRunner) against the local pool: the same seed gives
 *  the same pareto.json byte for byte with two `adequate worker` processes, also when one of them is SIGKILLed in
 *  the middle of the run; a queue that cannot be reached, at the start or during the run, is a user error (exit 2)
 *  and leaves no output. Each test starts its own Redis (test/helpers/queue.ts). */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { spawn } from 'node:child_process';
import { runCliAsync, REPO, type CliResult } from '../helpers/cli.js';
import { freePort, startRedis, startWorker, type TestRedis, type TestWorker } from '../helpers/queue.js';
import { tempDir } from '../helpers/tmp.js';
import { testWithTool } from '../helpers/tools.js';

const dir = tempDir();
const q = join(dir, 'lenet-q');
const LENET = join(REPO, 'examples/lenet5-mnist/model.onnx');
const SEARCH = ['--library', 'evoapprox', '--tiles', '2', '--pop', '6', '--gen', '2', '--eval', '500', '--holdout', '0', '--seed', '5', '--confidence', '0'];
let redis: TestRedis | undefined;
const workers: TestWorker[] = [];

beforeAll(async () => {
  const r = await runCliAsync(['quantize', LENET, '-o', q, '--eval-limit', '100']);
  if (r.code !== 0) throw new Error(r.stderr);
}, 120000);

afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop()));
  await redis?.stop();
});

const pareto = (out: string) => readFileSync(join(out, 'pareto.json'), 'utf8');

/** runCliAsync that calls `then` once when stderr first matches `when`. */
function runCliWatching(args: readonly string[], when: RegExp, then: () => void): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(REPO, 'bin/adequate.js'), ...args], { cwd: REPO, env: { ...process.env, FORCE_COLOR: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '', fired = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      if (!fired && when.test(stderr)) (fired = true), then();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

describe('approx --queue', () => {
  let local = '';
  beforeAll(async () => {
    const r = await runCliAsync(['approx', q, '-o', join(dir, 'local'), ...SEARCH]);
    if (r.code !== 0) throw new Error(r.stderr);
    local = pareto(join(dir, 'local'));
  }, 300000);

  testWithTool('redis-server', 'two workers on the queue give the local pool\'s pareto.json byte for byte, and progress names them', async () => {
    redis = await startRedis();
    workers.push(await startWorker(redis.url), await startWorker(redis.url));
    const out = join(dir, 'queued');
    const r = await runCliAsync(['approx', q, '-o', out, ...SEARCH, '--queue', redis.url]);
    expect(r.code, r.stderr).toBe(0);
    expect(pareto(out)).toBe(local);
    expect(r.stderr).toMatch(/designs.*, 2 workers/);
    expect(r.stderr).toMatch(/approx: \d+ jobs on the queue, 2 workers, 0 retried after a worker was lost, [\d.]+ MB of shared data uploaded/);
  }, 300000);

  testWithTool('redis-server', 'a worker SIGKILLed in the middle of the run loses nothing: the other one finishes with the same front', async () => {
    redis ??= await startRedis();
    while (workers.length < 2) workers.push(await startWorker(redis.url));
    const victim = workers[0]!;
    const out = join(dir, 'killed');
    // The seed designs are all queued at once and each worker takes the next job as soon as it finishes one, so at
    // the first result both workers hold a job: kill one then, in the middle of a job. (Waiting until both had
    // returned results was too late on an idle machine: the seed designs were done by then.)
    const r = await runCliWatching(['approx', q, '-o', out, ...SEARCH, '--queue', redis.url], /designs [1-9]\d*\/\d+/, () => victim.child.kill('SIGKILL'));
    expect(r.code, r.stderr).toBe(0);
    expect(victim.child.signalCode).toBe('SIGKILL');
    expect(pareto(out)).toBe(local);
    // The job the victim held was given to the survivor (not lost, and counted once: the front is the same).
    expect(r.stderr).toMatch(/approx: \d+ jobs on the queue, [12] workers?, [1-9]\d* retried after a worker was lost/);
  }, 300000);

  testWithTool('redis-server', 'no Redis at the address: E_QUEUE, exit 2, no output', async () => {
    const out = join(dir, 'nowhere');
    const r = await runCliAsync(['approx', q, '-o', out, ...SEARCH, '--queue', `redis://127.0.0.1:${await freePort()}`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/error\[E_QUEUE\]: cannot reach the job queue at redis:\/\/127\.0\.0\.1:\d+/);
    expect(existsSync(out)).toBe(false);
  }, 60000);

  testWithTool('redis-server', 'Redis lost during the run: E_QUEUE, exit 2, no output', async () => {
    const own = await startRedis();
    const out = join(dir, 'lost');
    // Redis goes away once the run is under way (its first result came back).
    const worker = await startWorker(own.url);
    const r = await runCliWatching(['approx', q, '-o', out, ...SEARCH, '--queue', own.url], /designs.*, 1 worker/, () => void own.stop());
    await worker.stop(); // it waits for Redis, then gives up on its job in hand
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/error\[E_QUEUE\]: cannot reach the job queue at redis:\/\/127\.0\.0\.1:\d+ \(the connection was lost during the run/);
    expect(existsSync(out)).toBe(false);
  }, 120000);
});
