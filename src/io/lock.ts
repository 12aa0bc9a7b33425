/** One adequate run at a time per output: a lock file beside the output (`PARENT/.NAME.adequate-lock`, holding the
 *  pid, host and command of the run) taken with an exclusive create. A second run on the same output stops with exit
 *  code 2 instead of deleting the first one's temporary folder; a lock whose process is gone (same host, pid not
 *  alive) is taken over. Locks are released when the run ends, however it ends (an `exit` hook); a run killed by a
 *  signal leaves a stale lock, which the next run takes over. */
import { mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { userError } from '../errors.js';

interface LockInfo {
  readonly pid: number;
  readonly host: string;
  readonly command: string;
}

/** Locks this process holds: path of the lock file -> how many times it was taken (a command may claim twice). */
const held = new Map<string, number>();
let hooked = false;

export function lockPathOf(target: string): string {
  const t = resolve(target);
  return join(dirname(t), `.${basename(t)}.adequate-lock`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

function readLock(file: string): LockInfo | undefined {
  try {
    const v = JSON.parse(readFileSync(file, 'utf8')) as Partial<LockInfo>;
    return typeof v.pid === 'number' && typeof v.host === 'string' ? { pid: v.pid, host: v.host, command: String(v.command ?? '') } : undefined;
  } catch {
    return undefined;
  }
}

/** A lock is stale when its process is gone; an unreadable lock file (a run killed mid-write) after a minute. */
function isStale(file: string, info: LockInfo | undefined): boolean {
  if (!info) {
    try {
      return Date.now() - statSync(file).mtimeMs > 60_000;
    } catch {
      return true;
    }
  }
  return info.host === hostname() && info.pid !== process.pid && !alive(info.pid);
}

/** Takes the lock of an output path (file or folder) for this process; exit 2 when another live run holds it. */
export function lockOutput(target: string, command: string): void {
  const file = lockPathOf(target);
  const count = held.get(file);
  if (count !== undefined) {
    held.set(file, count + 1);
    return;
  }
  const text = JSON.stringify({ pid: process.pid, host: hostname(), command }) + '\n';
  for (let attempt = 0; ; attempt++) {
    try {
      mkdirSync(dirname(file), { recursive: true }); // the output's parent, which the output needs anyway
      writeFileSync(file, text, { flag: 'wx' });
      break;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') throw userError('E_IO', `cannot write in ${dirname(file)} (${code ?? (e as Error).message}); choose a writable -o`);
      const info = readLock(file);
      if (attempt < 3 && isStale(file, info)) {
        try {
          unlinkSync(file);
        } catch {
          // another run took it over first: try again, and meet its lock
        }
        continue;
      }
      const who = info ? `pid ${info.pid} on ${info.host}${info.command ? `, adequate ${info.command}` : ''}` : 'a run whose lock file is being written';
      throw userError('E_IO', `another adequate run holds ${target} (${who}); wait for it to finish, or delete ${file} if that run no longer exists`);
    }
  }
  held.set(file, 1);
  if (!hooked) {
    hooked = true;
    process.on('exit', releaseAll);
  }
}

/** Gives back one claim of the lock; the file goes when the last claim does. */
export function unlockOutput(target: string): void {
  const file = lockPathOf(target);
  const count = held.get(file);
  if (count === undefined) return;
  if (count > 1) held.set(file, count - 1);
  else {
    held.delete(file);
    removeIfOurs(file);
  }
}

function removeIfOurs(file: string): void {
  if (readLock(file)?.pid !== process.pid) return;
  try {
    unlinkSync(file);
  } catch {
    // already gone
  }
}

function releaseAll(): void {
  for (const file of held.keys()) removeIfOurs(file);
  held.clear();
}
