/** ONNX backend node tests (Debian libonnx-testdata) for every test whose ops the importer supports. A test listed in
 *  known-failures.json must still fail (so the list stays true); every other one must pass. */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { SUPPORTED_OPS } from '../../src/onnx/import.js';
import { listNodeTests, NODE_TESTS, opsOf, runNodeTest } from './conformance.js';

const known: Record<string, string> = JSON.parse(readFileSync(new URL('./known-failures.json', import.meta.url), 'utf8'));
const supported = new Set(SUPPORTED_OPS);
const tests = listNodeTests().filter((t) => opsOf(t).every((op) => supported.has(op)));

function attempt(t: string) {
  try {
    return runNodeTest(t);
  } catch (e) {
    return { ok: false, detail: e instanceof Error ? e.message : String(e) };
  }
}

describe('ONNX conformance node tests', () => {
  test('the test data is installed (apt-get install libonnx-testdata)', () => {
    if (process.env.CI === 'true' || tests.length > 0) expect(tests.length, `no tests found in ${NODE_TESTS}`).toBeGreaterThan(200);
  });
  for (const t of tests) {
    test(t, () => {
      const r = attempt(t);
      if (known[t]) expect(r.ok, `${t} passes now: remove it from known-failures.json`).toBe(false);
      else expect(r.ok, r.detail).toBe(true);
    });
  }
  test('every supported op is covered by passing tests', () => {
    if (tests.length === 0) return;
    const covered = new Set(tests.filter((t) => !known[t]).flatMap(opsOf));
    const uncovered = SUPPORTED_OPS.filter((op) => !covered.has(op));
    expect(uncovered).toEqual([]);
  });
});
