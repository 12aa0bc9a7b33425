/** Tool-gated tests: a test that needs Verilator, Yosys, g++ or Icarus declares it. Locally a missing tool skips the
 *  test with the reason; under CI=true a missing tool fails the test, so CI never passes by skipping. */
import { spawnSync } from 'node:child_process';
import { test } from 'vitest';

export function hasTool(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

/** `testWithTool('verilator', 'name', fn)`: runs fn when the tool is on PATH; otherwise skips, or fails under CI. */
export function testWithTool(tool: string | readonly string[], name: string, fn: () => Promise<void> | void, timeout?: number): void {
  const tools = typeof tool === 'string' ? [tool] : tool;
  const missing = tools.filter((t) => !hasTool(t));
  if (missing.length === 0) test(name, fn, timeout);
  else if (process.env.CI === 'true')
    test(name, () => {
      throw new Error(`${missing.join(', ')} not installed: CI must install it (apt-get install -y ${missing.join(' ')})`);
    });
  else test.skip(`${name} (needs ${missing.join(', ')})`, fn);
}
