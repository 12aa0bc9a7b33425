/** share-explore and wordlength on the job queue give the local run's result files byte for byte (timing and output
 *  path aside): share-explore measures a generation's designs concurrently on the queue and one at a time locally,
 *  the word-length oracle splits the images into other slices; neither may change a number. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { runCliAsync, REPO } from '../helpers/cli.js';
import { startRedis, startWorker, type TestRedis, type TestWorker } from '../helpers/queue.js';
import { tempDir } from '../helpers/tmp.js';
import { testWithTool } from '../helpers/tools.js';

const dir = tempDir();
const q = join(dir, 'lenet-q');
let redis: TestRedis | undefined;
const workers: TestWorker[] = [];

beforeAll(async () => {
  const r = await runCliAsync(['quantize', join(REPO, 'examples/lenet5-mnist/model.onnx'), '-o', q, '--eval-limit', '100']);
  if (r.code !== 0) throw new Error(r.stderr);
}, 120000);

afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop()));
  await redis?.stop();
});

/** A result file without what may differ between two runs of the same search. */
const result = (file: string) => {
  const { seconds: _s, out: _o, ...rest } = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  return rest;
};

async function queueUp(): Promise<string> {
  redis ??= await startRedis();
  while (workers.length < 2) workers.push(await startWorker(redis.url));
  return redis.url;
}

describe('searches on the queue', () => {
  testWithTool('redis-server', 'share-explore: the same pareto.json as the local run', async () => {
    const url = await queueUp();
    const args = ['share-explore', q, '--pop', '6', '--gen', '2', '--max-bits', '4', '--granularities', 'layer,channel', '--eval', '500', '--holdout', '0'];
    const local = await runCliAsync([...args, '-o', join(dir, 'sh-local')]);
    const queued = await runCliAsync([...args, '-o', join(dir, 'sh-queue'), '--queue', url]);
    expect(local.code, local.stderr).toBe(0);
    expect(queued.code, queued.stderr).toBe(0);
    expect(readFileSync(join(dir, 'sh-queue', 'pareto.json'), 'utf8')).toBe(readFileSync(join(dir, 'sh-local', 'pareto.json'), 'utf8'));
    expect(queued.stderr).toMatch(/share-explore: \d+ jobs on the queue, [12] workers?/);
  }, 300000);

  testWithTool('redis-server', 'wordlength: the same wordlength.json as the local run', async () => {
    const url = await queueUp();
    const args = ['wordlength', join(REPO, 'examples/mlp-mnist/model.onnx'), '--kind', 'fixed', '--max-drop', '0.5', '--confidence', '1', '--eval', '300', '--holdout', '0', '--calib', '100'];
    const local = await runCliAsync([...args, '-o', join(dir, 'wl-local')]);
    const queued = await runCliAsync([...args, '-o', join(dir, 'wl-queue'), '--queue', url]);
    expect(local.code, local.stderr).toBe(0);
    expect(queued.code, queued.stderr).toBe(0);
    expect(result(join(dir, 'wl-queue', 'wordlength.json'))).toEqual(result(join(dir, 'wl-local', 'wordlength.json')));
  }, 300000);
});
