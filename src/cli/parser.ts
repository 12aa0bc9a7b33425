/** The `adequate` command-line parser: every command module (src/cli/commands/), strict flags, and numeric options
 *  checked before any handler runs. `checkCommandLine` parses a command line without running it, so `compile` can
 *  refuse a bad stage option before its first stage starts. */
import yargs, { type Argv } from 'yargs';
import { isUserError, userError, type UserError } from '../errors.js';
import { commands } from './commands/index.js';
import { rejectInvalidOptions } from './options.js';

export interface Parsed {
  readonly parser: Argv;
  /** The message of a usage error yargs reported itself (unknown flag, missing argument, failed .check). */
  usageError(): string | undefined;
}

/** Thrown by the check-only middleware once a command line has passed every check: its handler never runs. */
class Checked extends Error {}

export function makeParser(argv: readonly string[], checkOnly = false): Parsed {
  let usageError: string | undefined;
  const parser = yargs(argv as string[])
    .scriptName('adequate')
    .usage('$0 <command> [options]\n\nCompile ONNX networks into approximate, verified accelerators.')
    .strict()
    .strictCommands()
    .demandCommand(1, 'give a command; see adequate --help')
    .recommendCommands()
    .wrap(Math.min(120, process.stdout.columns || 100))
    .help()
    .alias('h', 'help')
    .version()
    .fail((msg, err) => {
      // yargs reports its own validation failures (including .check) as YError: those are usage errors.
      if (err && err.name !== 'YError') throw err;
      usageError = msg ?? err?.message;
    });
  // Option values that failed their check (src/cli/options.ts) stop the command before its handler starts.
  parser.middleware(rejectInvalidOptions);
  if (checkOnly)
    parser.middleware(() => {
      throw new Checked();
    });
  for (const c of commands) parser.command(c);
  return { parser, usageError: () => usageError };
}

/** Parses `adequate ARGV` without running it: the user error it would stop with, or undefined when it would start. */
export async function checkCommandLine(argv: readonly string[]): Promise<UserError | undefined> {
  const { parser, usageError } = makeParser(argv, true);
  try {
    await parser.parseAsync();
  } catch (e) {
    if (e instanceof Checked) return undefined;
    if (typeof e === 'string') return userError('E_USAGE', e);
    if (isUserError(e)) return e;
    throw e;
  }
  const u = usageError();
  return u === undefined ? undefined : userError('E_USAGE', u);
}
