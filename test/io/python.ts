/** Debian's python3 with NumPy writes reference files for the I/O tests. Locally a missing NumPy skips those tests;
 *  under CI=true it fails them, so CI never passes by skipping. */
import { spawnSync } from 'node:child_process';
import { test } from 'vitest';

export const PYTHON = process.env.ADEQUATE_PYTHON ?? '/usr/bin/python3';

let cached: boolean | undefined;
export function hasNumpy(): boolean {
  cached ??= spawnSync(PYTHON, ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0;
  return cached;
}

/** Runs a Python script file with arguments; throws with its stderr when it fails. */
export function runPython(args: readonly string[]): string {
  const r = spawnSync(PYTHON, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${PYTHON} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

export function testWithNumpy(name: string, fn: () => Promise<void> | void, timeout?: number): void {
  if (hasNumpy()) test(name, fn, timeout);
  else if (process.env.CI === 'true')
    test(name, () => {
      throw new Error(`${PYTHON} cannot import numpy: CI must install python3-numpy`);
    });
  else test.skip(`${name} (needs ${PYTHON} with numpy)`, fn);
}
