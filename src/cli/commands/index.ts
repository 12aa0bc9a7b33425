/** Every CLI command, in the order `adequate --help` lists them. */
import type { CommandModule } from 'yargs';
import { mult } from './mult.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: CommandModule<any, any>[] = [mult];
