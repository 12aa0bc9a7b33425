/** A failed run leaves no half-written output: every command writes its output folder under a temporary name beside
 *  the target and renames it into place only when everything succeeded. */
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { userError } from '../errors.js';

export async function writeDirAtomically<T>(outDir: string, write: (tmpDir: string) => Promise<T> | T): Promise<T> {
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
  try {
    const result = await write(tmp);
    if (existsSync(target)) rmSync(target, { recursive: true, force: true });
    renameSync(tmp, target);
    return result;
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}
