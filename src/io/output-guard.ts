/** Never lose a user's files (docs/promises.md): every output folder adequate writes holds a marker file
 *  (`.adequate-output`: the command and adequate's version), and a command replaces an existing output only when
 *  - it is not one of the command's inputs and does not contain one (no flag overrides this), and
 *  - it is a folder adequate wrote (it holds the marker) or an empty folder; `--force` overrides only this rule.
 *  A single output file (init's config, mult export's table, run's .npy) that exists is replaced only with --force.
 *  Every command checks its output when it starts (`claimOutput`), before any work, and takes the output's lock
 *  (src/io/lock.ts); the write itself (src/io/atomic-dir.ts) checks again. */
import { existsSync, readdirSync, readFileSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { userError } from '../errors.js';
import { packagePath } from '../paths.js';
import { lockOutput } from './lock.js';

export const OUTPUT_MARKER = '.adequate-output';

/** An output a command has checked and locked; writeDirAtomically takes one (or a bare path: then no inputs). */
export interface OutputClaim {
  readonly path: string;
  /** The command, as the marker and error messages name it (e.g. 'emit verilog'). */
  readonly command: string;
  /** Files and folders the command reads: the output may be none of them and contain none of them. */
  readonly inputs: readonly string[];
  /** Replace an output adequate did not write. */
  readonly force: boolean;
}

export interface ClaimOptions {
  readonly command: string;
  readonly inputs?: readonly (string | undefined)[];
  readonly force?: boolean | undefined;
}

/** The real absolute path (symlinks resolved as far as the path exists), so `.` and `./x/..` compare equal. */
function realPath(p: string): string {
  const abs = resolve(p);
  let head = abs;
  const tail: string[] = [];
  while (!existsSync(head)) {
    const up = dirname(head);
    if (up === head) return abs;
    tail.unshift(head.slice(up.length + (up.endsWith(sep) ? 0 : 1)));
    head = up;
  }
  return join(realpathSync(head), ...tail);
}

function within(inner: string, outer: string): boolean {
  return inner === outer || inner.startsWith(outer.endsWith(sep) ? outer : outer + sep);
}

function adequateVersion(): string {
  try {
    return (JSON.parse(readFileSync(packagePath('package.json'), 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** True when a folder holds adequate's marker. */
export function isAdequateOutput(dir: string): boolean {
  return existsSync(join(dir, OUTPUT_MARKER));
}

/** Writes the marker into a folder adequate is writing (deterministic bytes: no time, no host). */
export function markOutputFolder(dir: string, command: string): void {
  writeFileSync(join(dir, OUTPUT_MARKER), JSON.stringify({ written_by: 'adequate', command, version: adequateVersion() }, null, 2) + '\n');
}

/** Throws E_IO when the output is, or contains, one of the inputs. */
function checkNotInput(claim: OutputClaim, flag: string): void {
  const out = realPath(claim.path);
  for (const input of claim.inputs) {
    const inp = realPath(input);
    if (within(inp, out))
      throw userError('E_IO', `${flag} ${claim.path} ${inp === out ? 'is' : 'contains'} the input ${input}; adequate ${claim.command} would replace it: choose an output outside the input (--force does not change this)`);
  }
}

/** Checks an output folder: exit 2 unless it is absent, empty, or adequate's (or --force), and never an input. */
export function checkOutputFolder(claim: OutputClaim, flag = '-o'): void {
  checkNotInput(claim, flag);
  if (!existsSync(claim.path)) return;
  if (!statSync(claim.path).isDirectory())
    throw userError('E_IO', `${flag} ${claim.path} exists and is a file, not a folder; choose another ${flag}`);
  if (claim.force || isAdequateOutput(claim.path) || readdirSync(claim.path).length === 0) return;
  throw userError('E_IO', `${flag} ${claim.path} exists and adequate did not write it (no ${OUTPUT_MARKER} in it); adequate ${claim.command} replaces its output folder whole: choose a new folder, or pass --force to replace it`);
}

/** Checks an output file: exit 2 when it is an input, a folder, or (without --force) a file that exists. */
export function checkOutputFile(claim: OutputClaim, flag = '-o'): void {
  checkNotInput(claim, flag);
  if (!existsSync(claim.path)) return;
  if (statSync(claim.path).isDirectory()) throw userError('E_IO', `${flag} ${claim.path} is a folder; give a file name`);
  if (!claim.force) throw userError('E_IO', `${flag} ${claim.path} exists; pass --force to overwrite it, or choose another file`);
}

function makeClaim(path: string, opts: ClaimOptions): OutputClaim {
  return { path, command: opts.command, inputs: (opts.inputs ?? []).filter((i): i is string => i !== undefined), force: Boolean(opts.force) };
}

/** Checks and locks an output folder when a command starts (before any work), for writeDirAtomically at its end. */
export function claimOutput(path: string, opts: ClaimOptions, flag = '-o'): OutputClaim {
  const claim = makeClaim(path, opts);
  checkOutputFolder(claim, flag);
  lockOutput(path, opts.command);
  return claim;
}

/** Checks an output file when a command starts; write it with writeFileAtomically. */
export function claimOutputFile(path: string, opts: ClaimOptions, flag = '-o'): OutputClaim {
  const claim = makeClaim(path, opts);
  checkOutputFile(claim, flag);
  return claim;
}
