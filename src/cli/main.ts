/** The `adequate` command line: one yargs command module per stage (src/cli/commands/), errors mapped to exit codes
 *  (2 for user errors with one clear line, 1 for internal faults). */
import { hideBin } from 'yargs/helpers';
import { isUserError, ReportedError } from '../errors.js';
import { makeParser } from './parser.js';

export async function main(argv: readonly string[]): Promise<number> {
  const { parser, usageError } = makeParser(argv);
  try {
    await parser.parseAsync();
  } catch (e) {
    return reportError(e);
  }
  const usage = usageError();
  if (usage !== undefined) {
    process.stderr.write(`adequate: error[E_USAGE]: ${usage} (see adequate --help)\n`);
    return 2;
  }
  return process.exitCode === undefined ? 0 : Number(process.exitCode);
}

function reportError(e: unknown): number {
  if (typeof e === 'string') {
    // A failed yargs .check() in an async command surfaces as the thrown message string: a usage error.
    process.stderr.write(`adequate: error[E_USAGE]: ${e} (see adequate --help)\n`);
    return 2;
  }
  if (e instanceof ReportedError) return e.exitCode; // its error line is already on stderr
  if (isUserError(e)) {
    process.stderr.write(`adequate: error[${e.code}]: ${e.message}\n`);
    return 2;
  }
  const err = e instanceof Error ? e : new Error(String(e));
  process.stderr.write(`adequate: internal error: ${err.message}\n`);
  if (process.env.ADEQUATE_DEBUG) process.stderr.write(`${err.stack ?? ''}\n`);
  else process.stderr.write('adequate: this is a bug in adequate; rerun with ADEQUATE_DEBUG=1 for a stack trace and report it\n');
  return 1;
}

const code = await main(hideBin(process.argv));
// Every command exits once it has printed its result or its error, whatever worker threads, child processes or timers
// are still running (an exploration's worker pool after a bad option, a tool killed by its time limit). Writes to
// stdout and stderr are synchronous for files and pipes on POSIX; the empty writes flush a terminal's queue first.
process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
