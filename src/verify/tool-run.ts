/** Runs an external tool (Verilator, make, g++, a compiled testbench, Yosys) with a time limit: a run that never
 *  ends is stopped after the limit (default DEFAULT_TOOL_TIMEOUT_SECONDS, `--tool-timeout SECONDS` on verify and
 *  synth) and reported as E_TOOL, instead of hanging the command forever. Tools still running when adequate exits
 *  (after an error elsewhere) are stopped too. */
import { spawn, type ChildProcess } from 'node:child_process';
import { userError } from '../errors.js';

/** One hour: far above what any design adequate emits takes to build, simulate or synthesize on a slow machine. */
export const DEFAULT_TOOL_TIMEOUT_SECONDS = 3600;

let timeoutSeconds = DEFAULT_TOOL_TIMEOUT_SECONDS;

/** The time limit of every later tool run in this process (the CLI sets it from --tool-timeout). */
export function setToolTimeout(seconds: number): void {
  timeoutSeconds = seconds;
}

export function toolTimeout(): number {
  return timeoutSeconds;
}

const running = new Set<ChildProcess>();
let hooked = false;

function track(child: ChildProcess): void {
  running.add(child);
  child.on('close', () => running.delete(child));
  if (hooked) return;
  hooked = true;
  process.on('exit', () => {
    for (const c of running) if (c.exitCode === null) c.kill('SIGKILL');
  });
}

export interface ToolRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout and stderr in the order they arrived. */
  readonly output: string;
}

export interface ToolOptions {
  readonly cwd: string;
  /** What the tool does, for the timeout message ("the Verilator build of BUILD"). */
  readonly what: string;
  /** Each stdout chunk as it arrives (progress). */
  readonly onStdout?: (chunk: string) => void;
}

/** Runs `cmd args`; resolves with its exit code (-1 when it could not start: `error` holds why), rejects with E_TOOL
 *  when it ran past the time limit. */
export function runTool(cmd: string, args: readonly string[], opts: ToolOptions): Promise<ToolRun & { readonly error?: NodeJS.ErrnoException }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    track(child);
    let stdout = '', stderr = '', output = '', timedOut = false;
    const limit = timeoutSeconds;
    // Past the limit: kill the tool and report at once, without waiting for its output pipes to close (a process the
    // tool started, such as make's compilers, may hold them open).
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
      reject(userError('E_TOOL', `${opts.what} (${cmd}) did not finish within ${limit} s and was stopped; if the design really needs longer, raise the limit with --tool-timeout SECONDS`));
    }, limit * 1000);
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      output += d;
      opts.onStdout?.(d);
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      output += d;
    });
    child.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve({ code: -1, stdout, stderr, output: output + String(error), error });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (!timedOut) resolve({ code: code ?? -1, stdout, stderr, output });
    });
  });
}
