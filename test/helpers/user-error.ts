/** Asserts that fn throws a UserError with this code: one line, mentioning every fragment. */
import { expect } from 'vitest';
import { isUserError } from '../../src/errors.js';

export function expectUserError(fn: () => unknown, code: string, ...fragments: (string | RegExp)[]): void {
  try {
    fn();
  } catch (e) {
    if (!isUserError(e)) throw e;
    expect(e.code).toBe(code);
    expect(e.message).not.toContain('\n');
    for (const f of fragments) expect(e.message).toMatch(f);
    return;
  }
  throw new Error(`expected a user error ${code}`);
}
