/** Building and running the Verilator model of a Verilog build folder. A model is built once per build folder and
 *  variant, in BUILD/.verilator/<variant>-<hash of the sources>, so verifying again (or after an unrelated change)
 *  reuses it; the build goes to a temporary folder first and is renamed into place when it succeeded. */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { userError } from '../errors.js';
import { SIM_BINARY } from '../emit/verilog/index.js';
import { runTool as runLimited } from './tool-run.js';

/** plain: the verification model; debug: +define+ADEQUATE_DEBUG (per-step cycle counts and memory dumps); trace:
 *  FST waveform support (--trace-fst); ports: the debug build of an overlapped top (emit --overlap) that also prints
 *  every step start and every memory port's address each cycle (+define+ADEQUATE_PORTS, for the tests of
 *  src/hw/overlap.ts's address walks). */
export type SimVariant = 'plain' | 'debug' | 'trace' | 'ports';

const VARIANT_FLAGS: Record<SimVariant, readonly string[]> = {
  plain: [],
  debug: ['+define+ADEQUATE_DEBUG'],
  ports: ['+define+ADEQUATE_DEBUG', '+define+ADEQUATE_PORTS'],
  trace: ['--trace-fst', '--trace-structs'],
};

function sourcesOf(build: string): string[] {
  for (const part of ['verilator.f', 'rtl', 'tb'])
    if (!existsSync(join(build, part))) throw userError('E_USAGE', `${build} has no ${part}: it is not a complete Verilog build; emit it again with adequate emit verilog IR -o ${build}`);
  const list = (dir: string): string[] =>
    readdirSync(join(build, dir), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? list(join(dir, e.name)) : [join(dir, e.name)]));
  return ['verilator.f', ...list('rtl'), ...list('tb')].sort();
}

function verilatorVersion(): string {
  const r = spawnSync('verilator', ['--version'], { encoding: 'utf8', timeout: 60_000 });
  if (r.error || r.status !== 0) throw userError('E_TOOL', 'verilator is not installed or does not run; install Verilator 5 (apt-get install verilator)');
  return r.stdout.trim();
}

export interface BuildOptions {
  /** Compile the model's C++ without optimization (QUICK_CXX): about half the build time of Verilator's default
   *  -Os on large designs, for a slower simulation; verify picks it for short runs (rtl.ts). */
  readonly quick?: boolean;
}

/** The make variables of a quick build: the model's own files at -O0 (the runtime objects keep OPT_GLOBAL, so the
 *  cached ones still fit). */
const QUICK_CXX = ['OPT_FAST=-O0', 'OPT_SLOW=-O0'];

export interface BuiltModel {
  readonly binary: string;
  /** Seconds the build took; 0 when a cached model was reused. */
  readonly seconds: number;
  readonly cached: boolean;
}

/** Builds (or reuses) the Verilator model of a build folder: verilate, then make. Verilator's own runtime
 *  (verilated.cpp and friends, most of a small model's compile time) is compiled once per Verilator version and
 *  variant into a per-user cache and copied into each new model folder, where make finds it up to date. */
export async function buildModel(build: string, variant: SimVariant, onLine?: (line: string) => void, options: BuildOptions = {}): Promise<BuiltModel> {
  const version = verilatorVersion();
  const cxx = options.quick ? QUICK_CXX : [];
  const hash = createHash('sha256').update(version).update(variant).update(cxx.join(' '));
  for (const f of sourcesOf(build)) hash.update(f).update(readFileSync(join(build, f)));
  const cacheRoot = join(resolve(build), '.verilator');
  const dir = join(cacheRoot, `${variant}${options.quick ? '-quick' : ''}-${hash.digest('hex').slice(0, 16)}`);
  const binary = join(dir, SIM_BINARY);
  if (existsSync(binary)) return { binary, seconds: 0, cached: true };
  mkdirSync(cacheRoot, { recursive: true });
  const tmp = `${dir}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  rmSync(tmp, { recursive: true, force: true });
  const t0 = performance.now();
  const fail = (output: string): never => {
    const log = join(cacheRoot, `build-${variant}.log`);
    writeFileSync(log, output);
    rmSync(tmp, { recursive: true, force: true });
    throw userError('E_TOOL', `the Verilator build of ${build} failed (log: ${log}): ${lastLines(output, 6)}`);
  };
  const args = ['-f', 'verilator.f', '--Mdir', relative(resolve(build), tmp), join(resolve(build), 'tb', 'tb_main.cpp'), ...VARIANT_FLAGS[variant]];
  const verilate = await runTool('verilator', args, build, `the Verilator build of ${build}`, onLine);
  if (verilate.code !== 0) fail(verilate.output);
  const runtime = runtimeCache(version, variant);
  const seeded = runtime ? seedRuntime(runtime, tmp) : false;
  const make = await runTool('make', ['-C', tmp, '-f', `${SIM_BINARY}.mk`, '-j', '2', ...cxx, SIM_BINARY], build, `the C++ build of the Verilator model of ${build}`, onLine);
  if (make.code !== 0 || !existsSync(join(tmp, SIM_BINARY))) fail(verilate.output + make.output);
  if (runtime && !seeded) saveRuntime(tmp, runtime);
  publishBuild(tmp, dir, binary);
  return { binary, seconds: (performance.now() - t0) / 1000, cached: false };
}

/** Moves a finished build into place. Another process (a second queue worker on the same machine) may have built the
 *  same model meanwhile and be running it: its complete folder is kept and ours dropped; only a folder without the
 *  binary (left by a crash) is replaced. */
export function publishBuild(tmp: string, dir: string, binary: string): void {
  try {
    renameSync(tmp, dir);
    return;
  } catch (e) {
    if (!existsSync(dir)) throw e;
  }
  if (existsSync(binary)) {
    rmSync(tmp, { recursive: true, force: true });
    return;
  }
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
}

/** Verilator runtime objects every model links; the same for every design of one Verilator version and variant. */
const RUNTIME_OBJECTS = ['verilated.o', 'verilated_threads.o', 'verilated_fst_c.o'];

function runtimeCache(version: string, variant: SimVariant): string | undefined {
  const base = process.env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache');
  const dir = join(base, 'adequate', 'verilator-runtime', createHash('sha256').update(version).update(VARIANT_FLAGS[variant].join(' ')).digest('hex').slice(0, 16));
  try {
    mkdirSync(dir, { recursive: true });
    return dir;
  } catch {
    return undefined;
  }
}

/** Copies the cached runtime objects into a verilated model folder (newer than their sources, so make keeps them). */
function seedRuntime(cache: string, modelDir: string): boolean {
  const present = RUNTIME_OBJECTS.filter((o) => existsSync(join(cache, o)));
  if (!present.includes('verilated.o')) return false;
  for (const o of present) copyFileSync(join(cache, o), join(modelDir, o));
  return true;
}

function saveRuntime(modelDir: string, cache: string): void {
  for (const o of RUNTIME_OBJECTS) {
    if (!existsSync(join(modelDir, o))) continue;
    const tmp = join(cache, `${o}.tmp-${process.pid}`);
    copyFileSync(join(modelDir, o), tmp);
    renameSync(tmp, join(cache, o));
  }
}

export interface SimRun {
  /** Per inference: cycles and the output codes. */
  readonly results: readonly { cycles: number; outputs: Int32Array }[];
  /** Simulated cycles (reset excluded) and the wall time of the simulation loop. */
  readonly simCycles: number;
  readonly simSeconds: number;
  /** The model's stdout (debug builds print per-step lines). */
  readonly stdout: string;
}

export interface SimOptions {
  readonly backpressure?: number;
  readonly seed?: number;
  readonly trace?: string;
  readonly dumpDir?: string;
  readonly maxCycles?: number;
}

/** Runs a model on `inputs` (input codes, one array per inference) in a scratch folder; cwd is the build folder, so
 *  the ROM files load by their relative paths. */
export async function runModel(build: string, model: BuiltModel, inputs: readonly ArrayLike<number>[], outSize: number, scratch: string, options: SimOptions = {}, onInference?: (done: number) => void): Promise<SimRun> {
  const inFile = join(scratch, 'inputs.txt'), outFile = join(scratch, 'outputs.txt');
  // One 8-bit code per line in hex (two's complement for signed codes), the format both testbenches read.
  writeFileSync(inFile, inputs.map((x) => Array.from(x, (v) => (v & 255).toString(16).padStart(2, '0')).join('\n')).join('\n') + '\n');
  const args = [`+inputs=${inFile}`, `+outputs=${outFile}`, `+count=${inputs.length}`];
  if (options.backpressure) args.push(`+backpressure=${options.backpressure}`, `+seed=${options.seed ?? 1}`);
  if (options.trace) args.push(`+trace=${options.trace}`);
  if (options.dumpDir) args.push(`+dumpdir=${options.dumpDir}`);
  if (options.maxCycles) args.push(`+maxcycles=${options.maxCycles}`);
  let done = 0;
  const r = await runTool(model.binary, args, build, `the Verilator simulation of ${build}`, onInference ? () => onInference(++done) : undefined, 'ADQ_INF');
  const summary = /ADQ_DONE (\d+) (\d+) (\d+) ([\d.]+)/.exec(r.output);
  if (r.code !== 0 || !summary) throw new Error(`internal error: the Verilator model of ${build} exited with code ${r.code}: ${lastLines(r.output, 6)}`);
  const results = readFileSync(outFile, 'utf8').trim().split('\n').filter((l) => l !== '').map((line) => {
    const v = line.trim().split(/\s+/).map(Number);
    if (v.length !== outSize + 1) throw new Error(`internal error: the model wrote ${v.length - 1} output codes for an inference, expected ${outSize}`);
    return { cycles: v[0]!, outputs: Int32Array.from(v.slice(1)) };
  });
  return { results, simCycles: Number(summary[3]), simSeconds: Number(summary[4]), stdout: r.output };
}

function lastLines(text: string, n: number): string {
  return text.trim().split('\n').slice(-n).join(' | ');
}

/** Runs a program under the tool time limit (src/verify/tool-run.ts), collecting stdout and stderr; calls onLine for
 *  each stdout line starting with `filter` (all lines without one). A missing program is code -1. */
async function runTool(cmd: string, args: readonly string[], cwd: string, what: string, onLine?: (line: string) => void, filter?: string): Promise<{ code: number; output: string }> {
  let pending = '';
  const onStdout = onLine
    ? (d: string) => {
        pending += d;
        const lines = pending.split('\n');
        pending = lines.pop()!;
        for (const l of lines) if (!filter || l.startsWith(filter)) onLine(l);
      }
    : undefined;
  const r = await runLimited(cmd, args, { cwd, what, ...(onStdout ? { onStdout } : {}) });
  return { code: r.code, output: r.output };
}
