/** A failed run leaves no half-written output: every command writes its output folder under a temporary name beside
 *  the target and renames it into place only when everything succeeded. */
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { userError } from '../errors.js';

export async function writeDirAtomically<T>(outDir: string, write: (tmpDir: string) => Promise<T> | T, options: { readonly cleanupOnSignal?: boolean } = {}): Promise<T> {
  const target = resolve(outDir);
  const parent = dirname(target);
  try {
    mkdirSync(parent, { recursive: true });
  } catch (e) {
    throw userError('E_IO', `cannot create the output folder's parent ${parent}: ${(e as Error).message}; choose another -o`);
  }
  if (existsSync(target) && !statSync(target).isDirectory()) {
    throw userError('E_IO', `output ${outDir} exists and is not a folder; remove it or choose another -o`);
  }
  const tmp = join(parent, `.${basename(target)}.tmp-${process.pid}-${Date.now()}`);
  try {
    mkdirSync(tmp);
  } catch (e) {
    throw userError('E_IO', `cannot write in ${parent}: ${(e as Error).message}; choose a writable -o`);
  }
  // Interrupted (Ctrl-C, kill): the temporary folder goes too. The handlers run when the writer yields to the event
  // loop (writers of large outputs yield between files, yieldToSignals).
  // Only for commands that own the process (not inside the flow, which forwards signals to its stages itself).
  const onSignal = (signal: NodeJS.Signals) => {
    rmSync(tmp, { recursive: true, force: true });
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  if (options.cleanupOnSignal) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  try {
    const result = await write(tmp);
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
}

/** Lets pending signal handlers (writeDirAtomically's cleanup) run: a writer of many or large files awaits this
 *  between files. */
export function yieldToSignals(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
