/** publishBuild (src/verify/verilator.ts): two queue workers on one machine build the same Verilator model at once;
 *  the second to finish must not remove the folder the first is already running its binary from. */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { publishBuild } from '../../src/verify/verilator.js';
import { tempDir } from '../helpers/tmp.js';

function fakeBuild(dir: string, marker: string, withBinary: boolean): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'marker'), marker);
  if (withBinary) writeFileSync(join(dir, 'Vadequate_top'), 'binary');
}

describe('publishBuild', () => {
  test('the first finished build moves into place', () => {
    const root = tempDir();
    const dir = join(root, 'plain-1'), tmp = join(root, 'plain-1.tmp-a');
    fakeBuild(tmp, 'ours', true);
    publishBuild(tmp, dir, join(dir, 'Vadequate_top'));
    expect(readFileSync(join(dir, 'marker'), 'utf8')).toBe('ours');
    expect(existsSync(tmp)).toBe(false);
  });

  test('a complete build already in place (another worker finished first) is kept, ours dropped', () => {
    const root = tempDir();
    const dir = join(root, 'plain-1'), tmp = join(root, 'plain-1.tmp-b');
    fakeBuild(dir, 'theirs', true);
    fakeBuild(tmp, 'ours', true);
    publishBuild(tmp, dir, join(dir, 'Vadequate_top'));
    expect(readFileSync(join(dir, 'marker'), 'utf8')).toBe('theirs');
    expect(existsSync(tmp)).toBe(false);
  });

  test('a folder without the binary (left by a crash) is replaced', () => {
    const root = tempDir();
    const dir = join(root, 'plain-1'), tmp = join(root, 'plain-1.tmp-c');
    fakeBuild(dir, 'broken', false);
    fakeBuild(tmp, 'ours', true);
    publishBuild(tmp, dir, join(dir, 'Vadequate_top'));
    expect(readFileSync(join(dir, 'marker'), 'utf8')).toBe('ours');
    expect(existsSync(join(dir, 'Vadequate_top'))).toBe(true);
  });
});
