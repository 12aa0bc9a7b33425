/** A failed run leaves no half-written output: every command writes its output folder under a temporary name beside
 *  the target and renames it into place only when everything succeeded. The target is replaced only when the output
 *  guard allows it (src/io/output-guard.ts: adequate's marker, never an input), under the output's lock. */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { userError } from '../errors.js';
import { unlockOutput, lockOutput } from './lock.js';
import { checkOutputFile, checkOutputFolder, markOutputFolder, type OutputClaim } from './output-guard.js';

/** A bare path is guarded by the marker rule alone (no inputs known, no --force). */
function claimOf(out: string | OutputClaim): OutputClaim {
  return typeof out === 'string' ? { path: out, command: 'adequate', inputs: [], force: false } : out;
}

export async function writeDirAtomically<T>(out: string | OutputClaim, write: (tmpDir: string) => Promise<T> | T, options: { readonly cleanupOnSignal?: boolean } = {}): Promise<T> {
  const claim = claimOf(out);
  const target = resolve(claim.path);
  const parent = dirname(target);
  try {
    mkdirSync(parent, { recursive: true });
  } catch (e) {
    throw userError('E_IO', `cannot create the output folder's parent ${parent}: ${(e as Error).message}; choose another -o`);
  }
  checkOutputFolder(claim);
  lockOutput(claim.path, claim.command);
  try {
    removeStaleTemporaries(parent, basename(target));
    const tmp = join(parent, `.${basename(target)}.tmp-${process.pid}-${Date.now()}`);
    // Interrupted (Ctrl-C, kill): the temporary folder goes too (the lock goes with the process's exit hook). The
    // handlers run when the writer yields to the event loop (writers of large outputs yield between files,
    // yieldToSignals). Only for commands that own the process (not inside the flow, which forwards signals itself).
    // Installed before the folder exists: a signal between its creation and the handlers would leave it behind.
    const onSignal = (signal: NodeJS.Signals) => {
      rmSync(tmp, { recursive: true, force: true });
      process.exit(signal === 'SIGINT' ? 130 : 143);
    };
    if (options.cleanupOnSignal) {
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
    }
    try {
      mkdirSync(tmp);
    } catch (e) {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      throw userError('E_IO', `cannot write in ${parent}: ${(e as Error).message}; choose a writable -o`);
    }
    try {
      const result = await write(tmp);
      markOutputFolder(tmp, claim.command);
      checkOutputFolder(claim); // the target may have changed while this run worked
      if (existsSync(target)) rmSync(target, { recursive: true, force: true });
      renameSync(tmp, target);
      return result;
    } catch (e) {
      rmSync(tmp, { recursive: true, force: true });
      throw e;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  } finally {
    unlockOutput(claim.path);
    if (typeof out !== 'string') unlockOutput(claim.path); // the claim's own hold ends with its write
  }
}

/** Temporary folders of earlier writes of the same target whose process is gone (killed with SIGKILL, or out of
 *  memory: no handler ran): removed, under the output's lock, before this write starts its own. */
function removeStaleTemporaries(parent: string, base: string): void {
  const prefix = `.${base}.tmp-`;
  let entries: string[];
  try {
    entries = readdirSync(parent);
  } catch {
    return;
  }
  for (const name of entries) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(/^(\d+)-\d+$/.exec(name.slice(prefix.length))?.[1] ?? NaN);
    if (Number.isInteger(pid) && pid !== process.pid && !processAlive(pid)) rmSync(join(parent, name), { recursive: true, force: true });
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Lets pending signal handlers (writeDirAtomically's cleanup) run: a writer of many or large files awaits this
 *  between files. */
export function yieldToSignals(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** One output file, written under a temporary name and renamed into place; an unwritable place is a user error. */
export function writeFileAtomically(out: string | OutputClaim, data: string | Uint8Array): void {
  const claim = claimOf(out);
  checkOutputFile(claim);
  const tmp = join(dirname(resolve(claim.path)), `.${basename(claim.path)}.tmp-${process.pid}`);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, claim.path);
  } catch (e) {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // nothing was created
    }
    throw userError('E_IO', `cannot write ${claim.path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}; choose a writable place`);
  }
}
