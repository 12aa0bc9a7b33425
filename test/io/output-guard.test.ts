/** The output guard and the output lock (docs/promises.md, promises 2 and 4), in process: which folders and files a
 *  command may replace, and when a lock is held, stale or ours. */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { writeDirAtomically, writeFileAtomically } from '../../src/io/atomic-dir.js';
import { lockOutput, lockPathOf, unlockOutput } from '../../src/io/lock.js';
import { claimOutput, claimOutputFile, OUTPUT_MARKER } from '../../src/io/output-guard.js';
import { tempDir } from '../helpers/tmp.js';
import { expectUserError } from '../helpers/user-error.js';

const opts = (inputs: string[] = [], force = false) => ({ command: 'test', inputs, force });

describe('output folders (promise 2)', () => {
  test('a new folder is written with the marker, and adequate may replace its own output', async () => {
    const out = join(tempDir(), 'o');
    await writeDirAtomically(claimOutput(out, opts()), (tmp) => writeFileSync(join(tmp, 'a.txt'), 'one'));
    expect(JSON.parse(readFileSync(join(out, OUTPUT_MARKER), 'utf8'))).toMatchObject({ written_by: 'adequate', command: 'test' });
    await writeDirAtomically(claimOutput(out, opts()), (tmp) => writeFileSync(join(tmp, 'b.txt'), 'two'));
    expect(readdirSync(out).sort()).toEqual([OUTPUT_MARKER, 'b.txt']);
    expect(existsSync(lockPathOf(out))).toBe(false); // released after the write
  });

  test('a folder adequate did not write is refused, with its files kept; --force replaces it', async () => {
    const out = join(tempDir(), 'mine');
    mkdirSync(out);
    writeFileSync(join(out, 'notes.txt'), 'keep me');
    expectUserError(() => claimOutput(out, opts()), 'E_IO', 'adequate did not write it', '--force');
    await expect(writeDirAtomically(out, () => undefined)).rejects.toThrow(/did not write it/);
    expect(readFileSync(join(out, 'notes.txt'), 'utf8')).toBe('keep me');
    await writeDirAtomically(claimOutput(out, opts([], true)), (tmp) => writeFileSync(join(tmp, 'x'), ''));
    expect(existsSync(join(out, 'notes.txt'))).toBe(false);
  });

  test('an output whose parent folders do not exist yet gets them', async () => {
    const out = join(tempDir(), 'a', 'b', 'o');
    await writeDirAtomically(claimOutput(out, opts()), (tmp) => writeFileSync(join(tmp, 'x'), ''));
    expect(existsSync(join(out, 'x'))).toBe(true);
  });

  test('an empty folder may be used', async () => {
    const out = join(tempDir(), 'empty');
    mkdirSync(out);
    await writeDirAtomically(claimOutput(out, opts()), (tmp) => writeFileSync(join(tmp, 'x'), ''));
    expect(existsSync(join(out, 'x'))).toBe(true);
  });

  test('an output that is or contains an input is refused even with --force', () => {
    const dir = tempDir();
    const model = join(dir, 'proj', 'model.onnx');
    mkdirSync(join(dir, 'proj'));
    writeFileSync(model, 'x');
    writeFileSync(join(dir, 'proj', OUTPUT_MARKER), '{}'); // even a folder adequate wrote
    expectUserError(() => claimOutput(join(dir, 'proj'), opts([model], true)), 'E_IO', 'contains the input');
    expectUserError(() => claimOutput(join(dir, 'proj', '.'), opts([join(dir, 'proj')], true)), 'E_IO', 'is the input');
    expectUserError(() => claimOutput(dir, opts([model], true)), 'E_IO', 'contains the input');
    // An output inside an input folder is allowed: the input's own files stay.
    expect(claimOutput(join(dir, 'proj', 'build'), opts([join(dir, 'proj')])).path).toBe(join(dir, 'proj', 'build'));
    unlockOutput(join(dir, 'proj', 'build'));
  });

  test('an output folder that is a file is refused', () => {
    const f = join(tempDir(), 'f');
    writeFileSync(f, 'data');
    expectUserError(() => claimOutput(f, opts([], true)), 'E_IO', 'is a file');
  });
});

describe('output files (promise 2.4)', () => {
  test('an existing file is overwritten only with --force, never an input', () => {
    const dir = tempDir();
    const f = join(dir, 'out.bin');
    writeFileAtomically(claimOutputFile(f, opts()), 'one');
    expectUserError(() => claimOutputFile(f, opts()), 'E_IO', 'exists', '--force');
    writeFileAtomically(claimOutputFile(f, opts([], true)), 'two');
    expect(readFileSync(f, 'utf8')).toBe('two');
    expectUserError(() => claimOutputFile(f, opts([f], true)), 'E_IO', 'is the input');
    expectUserError(() => writeFileAtomically(join('/proc/version', 'x'), 'data'), 'E_IO', 'cannot write');
  });
});

describe('locks (promise 4)', () => {
  test('a lock held by a live process refuses the second run; once that process is gone the lock is taken over', async () => {
    const out = join(tempDir(), 'locked');
    const sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
    writeFileSync(lockPathOf(out), JSON.stringify({ pid: sleeper.pid, host: hostname(), command: 'compile' }));
    try {
      expectUserError(() => lockOutput(out, 'import'), 'E_IO', `another adequate run holds ${out}`, `pid ${sleeper.pid}`, 'adequate compile');
      expectUserError(() => claimOutput(out, opts()), 'E_IO', 'another adequate run holds');
    } finally {
      sleeper.kill('SIGKILL');
      await new Promise((r) => sleeper.on('close', r));
    }
    lockOutput(out, 'import'); // stale now: taken over
    expect(JSON.parse(readFileSync(lockPathOf(out), 'utf8')).pid).toBe(process.pid);
    lockOutput(out, 'import'); // this process may claim it again (a command claims, then writes)
    unlockOutput(out);
    expect(existsSync(lockPathOf(out))).toBe(true);
    unlockOutput(out);
    expect(existsSync(lockPathOf(out))).toBe(false);
  });

  test('a lock of another host is never taken over (its process cannot be checked)', () => {
    const out = join(tempDir(), 'remote');
    writeFileSync(lockPathOf(out), JSON.stringify({ pid: 999999, host: `not-${hostname()}`, command: 'compile' }));
    expectUserError(() => lockOutput(out, 'import'), 'E_IO', 'another adequate run holds');
  });
});
