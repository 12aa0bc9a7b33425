/** A private Redis (127.0.0.1, a free port, no persistence) and `adequate worker` processes on it, for the queue
 *  benchmark and the queue tests (test/helpers/queue.ts re-exports these). */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { packagePath } from '../src/paths.js';

const BIN = packagePath('bin', 'adequate.js');

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Resolves once `child` printed a line matching `ready` (rejects when it exits first or after `ms`). */
function waitFor(child: ChildProcess, ready: RegExp, ms = 20000): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`not ready after ${ms} ms: ${seen}`)), ms);
    const on = (d: Buffer) => {
      seen += d.toString();
      if (ready.test(seen)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', on);
    child.stderr?.on('data', on);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before it was ready: ${seen}`));
    });
  });
}

export interface TestRedis {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

export async function startRedis(): Promise<TestRedis> {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
  await waitFor(child, /Ready to accept connections/);
  return { url: `redis://127.0.0.1:${port}`, port, stop: () => stopProcess(child) };
}

export interface TestWorker {
  readonly child: ChildProcess;
  /** Everything the worker printed so far. */
  log(): string;
  stop(): Promise<void>;
}

export async function startWorker(url: string, concurrency = 1): Promise<TestWorker> {
  const child = spawn(process.execPath, [BIN, 'worker', '--queue', url, '--concurrency', String(concurrency)], { cwd: packagePath(), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  await waitFor(child, /taking jobs/);
  return { child, log: () => out, stop: () => stopProcess(child) };
}

export function stopProcess(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}
