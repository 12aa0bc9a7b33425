/** Every CLI command, in the order `adequate --help` lists them. */
import type { CommandModule } from 'yargs';
import { evalCommand } from './eval.js';
import { importCommand } from './import.js';
import { inspectCommand } from './inspect.js';
import { mult } from './mult.js';
import { quantizeCommand } from './quantize.js';
import { approxCommand } from './approx.js';
import { shareCommand } from './share.js';
import { shareExploreCommand } from './share-explore.js';
import { runCommand } from './run.js';
import { emitCommand } from './emit.js';
import { compileCommand } from './compile.js';
import { initCommand } from './init.js';
import { verifyCommand } from './verify.js';
import { synthCommand } from './synth.js';
import { wordlengthCommand } from './wordlength.js';
import { workerCommand } from './worker.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: CommandModule<any, any>[] = [compileCommand, initCommand, importCommand, inspectCommand, runCommand, evalCommand, quantizeCommand, approxCommand, shareCommand, shareExploreCommand, wordlengthCommand, mult, emitCommand, verifyCommand, synthCommand, workerCommand];
