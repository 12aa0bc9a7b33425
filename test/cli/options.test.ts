/** Numeric options are checked as typed (docs/promises.md, promise 3.2): the text the user gave is in the error, with
 *  the range, and values in range come back as numbers. */
import { describe, expect, test } from 'vitest';
import { checkPick, parseNumberArg } from '../../src/cli/options.js';
import { expectUserError } from '../helpers/user-error.js';

describe('parseNumberArg', () => {
  test.each([
    ['abc', 'pop', { min: 2 }, true, "--pop 'abc' is not valid: give an integer >= 2"],
    [1, 'pop', { min: 2 }, true, "--pop '1' is not valid: give an integer >= 2"],
    [2.5, 'count', { min: 1 }, true, "--count '2.5' is not valid: give an integer >= 1"],
    ['', 'bits', { min: 2, max: 16 }, true, "--bits '' is not valid: give an integer from 2 to 16"],
    [17, 'bits', { min: 2, max: 16 }, true, "--bits '17' is not valid: give an integer from 2 to 16"],
    ['1/2', 'max-drop', { min: 0 }, false, "--max-drop '1/2' is not valid: give a number >= 0"],
    [-1, 'max-drop', { min: 0 }, false, "--max-drop '-1' is not valid: give a number >= 0"],
    [0, 'clock', { above: 0 }, false, "--clock '0' is not valid: give a number > 0"],
    [1, 'prune', { min: 0, below: 1 }, false, "--prune '1' is not valid: give a number >= 0 and < 1"],
    ['Infinity', 'clock', { above: 0 }, false, "--clock 'Infinity' is not valid"],
    [[3, 4], 'pop', {}, true, '--pop is given 2 times (3 4); give it once'],
  ] as const)('%j for --%s is refused as typed', (raw, flag, rule, integer, message) => {
    expectUserError(() => parseNumberArg(flag, raw, rule, integer), 'E_USAGE', message);
  });

  test('values in range come back as numbers', () => {
    expect(parseNumberArg('pop', 2, { min: 2 }, true)).toBe(2);
    expect(parseNumberArg('max-drop', '0.25', { min: 0 })).toBe(0.25);
    expect(parseNumberArg('max-drop', ' 1e-1 ', { min: 0 })).toBe(0.1);
    expect(parseNumberArg('seed', -3, {}, true)).toBe(-3);
  });

  test('--pick must lie below --pop, the most designs a front can hold', () => {
    expect(checkPick(undefined, 32)).toBe(true);
    expect(checkPick(31, 32)).toBe(true);
    expect(checkPick(32, 32)).toMatch(/--pick 32 is beyond the front \(at most --pop 32 designs\)/);
  });
});
