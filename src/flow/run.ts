/** Runs the stages of `adequate compile` as child `adequate` processes, one folder per stage, skipping a stage whose
 *  content key (the tool's own files, its command lines, its input stage's key, the model and dataset files) matches
 *  the key recorded by its last successful run and whose folder still holds exactly the files that run wrote (their
 *  hashes are in stage.json: a file changed since is noticed and the stage reruns). A stage folder is complete or
 *  absent: commands write their folders atomically and the flow adds `stage.json` last, so an interrupted stage is
 *  simply redone. The flow holds the lock of OUT (src/io/lock.ts) while it runs. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { ReportedError, userError } from '../errors.js';
import { writeDirAtomically } from '../io/atomic-dir.js';
import { lockOutput, unlockOutput } from '../io/lock.js';
import { checkOutputFolder, isAdequateOutput, markOutputFolder, OUTPUT_MARKER } from '../io/output-guard.js';
import { findDatasetConfig } from '../io/dataset.js';
import { packagePath } from '../paths.js';
import type { FlowConfig } from './config.js';
import { exactTwinSource, STAGES, stageCommands, stageEnabled, stageFolder, stageInput, withoutQueueFlags, type StageDef, type StageId } from './stages.js';

export const STAGE_FILE = 'stage.json';
/** Measured speeds and times of a stage's run: the one file of a flow's output that differs between identical runs. */
export const TIMING_FILE = 'timing.json';

/** Keys of a command's JSON that hold measurements of this machine's speed rather than results. */
const TIMING_KEY = /seconds|per_second|ms_per|^workers$/;

/** Splits a command's JSON into its results and its timings (the keys TIMING_KEY matches, at any depth). */
export function splitTimings(value: unknown): [unknown, unknown] {
  if (Array.isArray(value)) {
    const parts = value.map(splitTimings);
    const timings = parts.map((p) => p[1]);
    return [parts.map((p) => p[0]), timings.some((t) => t !== undefined) ? timings : undefined];
  }
  if (value === null || typeof value !== 'object') return [value, undefined];
  const kept: Record<string, unknown> = {}, timed: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (TIMING_KEY.test(k)) timed[k] = v;
    else {
      const [r, t] = splitTimings(v);
      kept[k] = r;
      if (t !== undefined) timed[k] = t;
    }
  }
  return [kept, Object.keys(timed).length ? timed : undefined];
}

/** What stage.json holds: deterministic (no times), so reruns with the same inputs write the same bytes. */
export interface StageRecord {
  readonly stage: StageId;
  readonly title: string;
  readonly key: string;
  /** Folder relative to OUT. */
  readonly folder: string;
  readonly input: string;
  /** The adequate command lines (argv after `adequate`), as run from the current directory. */
  readonly commands: readonly (readonly string[])[];
  /** Each command's --json output. */
  readonly results: readonly unknown[];
  /** 0 = every command succeeded; 3 = a verification ran and found mismatches. */
  readonly exitCode: number;
  /** SHA-256 of every file of the stage folder when the stage finished (relative path -> hash), without stage.json,
   *  timing.json and what later stages add to a build (their caches and logs: see LATER_FILES). */
  readonly outputs?: Readonly<Record<string, string>>;
}

export interface StageOutcome {
  readonly record: StageRecord;
  readonly skipped: boolean;
  readonly seconds: number;
}

export interface FlowEvents {
  stageStart(def: StageDef, index: number, total: number, skipped: boolean): void;
  /** The stage ran before with the same key, but files of its folder changed since: it reruns. */
  stageModified?(def: StageDef, changed: readonly string[]): void;
  stageEnd(def: StageDef, outcome: StageOutcome): void;
}

export interface FlowOptions {
  readonly model: string;
  readonly out: string;
  readonly config: FlowConfig;
  readonly events: FlowEvents;
  /** Rerun every stage even when its key matches, and write into an OUT that adequate did not make. */
  readonly force?: boolean;
  /** Files the flow reads (model, config, dataset): OUT may not be or contain them. */
  readonly inputs?: readonly string[];
}

export interface FlowResult {
  readonly stages: readonly StageOutcome[];
  readonly interrupted: boolean;
  /** 0, or 3 when a verification stage found mismatches. */
  readonly exitCode: number;
}

/** The command lines of every enabled stage, as the flow will run them: `compile` checks them all before the first
 *  stage starts, so a bad stage option never costs the stages before it. */
export function flowCommands(model: string, out: string, config: FlowConfig): { def: StageDef; argv: string[] }[] {
  const enabledDefs = STAGES.filter((s) => stageEnabled(s, config));
  const enabled = new Set(enabledDefs.map((s) => s.id));
  const folderOf = (id: StageId) => join(out, stageFolder(STAGES.find((s) => s.id === id)!));
  return enabledDefs.flatMap((def) =>
    stageCommands(def, { model, out, config, input: stageInput(def, enabled, folderOf, model), folder: folderOf(def.id) }).map((argv) => ({ def, argv })));
}

export async function runFlow(opts: FlowOptions): Promise<FlowResult> {
  const { model, out, config, events } = opts;
  const enabledDefs = STAGES.filter((s) => stageEnabled(s, config));
  const enabled = new Set(enabledDefs.map((s) => s.id));
  const folderOf = (id: StageId) => join(out, stageFolder(STAGES.find((s) => s.id === id)!));
  const toolKey = hashTree([packagePath('dist', 'src'), packagePath('templates'), packagePath('testbenches'), packagePath('multipliers')]);
  const sourceKey = sha([hashFile(model), datasetFingerprint(model, config)].join('|'));
  // OUT is adequate's (its marker) or new; stage folders inside it are guarded again by each stage's command.
  const claim = { path: out, command: 'compile', inputs: [model, ...(opts.inputs ?? [])], force: Boolean(opts.force) };
  checkOutputFolder(claim);
  lockOutput(out, 'compile');
  try {
    mkdirSync(out, { recursive: true });
  } catch (e) {
    throw userError('E_IO', `cannot create ${out}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}; choose a writable -o`);
  }
  if (!isAdequateOutput(out)) markOutputFolder(out, 'compile');
  removeStaleTemporaries(out); // safe: this run holds OUT's lock

  // Ctrl-C: the child stage (in the same process group) gets it from the terminal and stops; this process must not
  // die before it has, so it only notes the signal and forwards it when it was sent to this process alone.
  const signals = new SignalGuard();
  try {
    return await runStages(opts, enabledDefs, enabled, folderOf, toolKey, sourceKey, signals);
  } finally {
    signals.release();
    unlockOutput(out);
  }
}

async function runStages(opts: FlowOptions, enabledDefs: readonly StageDef[], enabled: ReadonlySet<StageId>, folderOf: (id: StageId) => string, toolKey: string, sourceKey: string, signals: SignalGuard): Promise<FlowResult> {
  const { model, out, config, events } = opts;
  const keys = new Map<string, string>();
  const outcomes: StageOutcome[] = [];
  let exitCode = 0;
  for (const [i, def] of enabledDefs.entries()) {
    const folder = folderOf(def.id);
    const input = stageInput(def, enabled, folderOf, model);
    // The exact twin only when the approx stage chose an approximate design (that stage has run by now).
    const exactTwinIr = def.id === 'synth' && enabled.has('approx') ? exactTwinSource(folderOf('approx')) : undefined;
    const commands = stageCommands(def, { model, out, config, input, folder, ...(exactTwinIr !== undefined ? { exactTwinIr } : {}) });
    // The key names no output location: the same flow written elsewhere has the same keys (and the same bytes); nor
    // the job queue, whose workers compute the same bytes as the local threads.
    const located = commands.map((argv) => withoutQueueFlags(argv).map((a) => a.split(out).join('<OUT>')));
    const key = sha(JSON.stringify({ toolKey, sourceKey, commands: located, upstream: keys.get(resolve(input)) ?? null }));
    keys.set(resolve(folder), key);
    const previous = readRecord(folder);
    const sameKey = !opts.force && previous?.key === key && previous.exitCode === 0;
    const changed = sameKey ? changedOutputs(folder, out, previous) : [];
    if (changed.length > 0) events.stageModified?.(def, changed);
    const skipped = sameKey && changed.length === 0;
    events.stageStart(def, i, enabledDefs.length, skipped);
    const t0 = performance.now();
    if (skipped) {
      const outcome = { record: previous, skipped: true, seconds: 0 };
      outcomes.push(outcome);
      events.stageEnd(def, outcome);
      continue;
    }
    const results: unknown[] = [];
    const measured: unknown[] = [];
    let stageExit = 0;
    for (const argv of commands) {
      if (signals.caught) return { stages: outcomes, interrupted: true, exitCode: 130 };
      const run = await runAdequate(argv, signals);
      if (run.signal || signals.caught) return { stages: outcomes, interrupted: true, exitCode: 130 };
      // The stage's own adequate process printed its error line (its code, its words): the flow exits with its exit
      // code and adds no second error line.
      if (run.code !== 0 && run.code !== 3) throw new ReportedError(run.code, `stage ${stageFolder(def)}: adequate ${argv.join(' ')} exited with ${run.code}`);
      const [result, timings] = splitTimings(run.json);
      results.push(result);
      measured.push(timings ?? {});
      stageExit = Math.max(stageExit, run.code);
    }
    const outputs = hashOutputs(folder, out);
    const record: StageRecord = { stage: def.id, title: def.title, key, folder: stageFolder(def), input: input === model ? model : relative(out, input), commands, results, exitCode: stageExit, outputs };
    const text = JSON.stringify(record, null, 2) + '\n';
    const timing = JSON.stringify({ seconds: +((performance.now() - t0) / 1000).toFixed(1), commands: measured }, null, 2) + '\n';
    const writeRecord = (dir: string) => {
      writeFileSync(join(dir, TIMING_FILE), timing);
      writeFileSync(join(dir, STAGE_FILE), text);
    };
    if (def.writesFolder) writeRecord(folder);
    else await writeDirAtomically(folder, writeRecord);
    exitCode = Math.max(exitCode, stageExit);
    const outcome = { record, skipped: false, seconds: (performance.now() - t0) / 1000 };
    outcomes.push(outcome);
    events.stageEnd(def, outcome);
    if (signals.caught) return { stages: outcomes, interrupted: true, exitCode: 130 };
  }
  return { stages: outcomes, interrupted: false, exitCode };
}

/** Files later stages add to an earlier stage's build folder (Verilator and C-simulation caches, synthesis log,
 *  waveforms) and the flow's own records: not part of the stage's output. */
const LATER_FILES = new Set([STAGE_FILE, TIMING_FILE, OUTPUT_MARKER, '.verilator', '.csim', 'synth.log', 'trace.fst']);

/** SHA-256 of every file a stage wrote into its folder, by path relative to the folder. Like the stage keys, the hashes
 *  name no output location: `out` (as the command lines spell it) is replaced in each file's bytes by `<OUT>`, so a
 *  flow written elsewhere records the same hashes. */
export function hashOutputs(folder: string, out: string): Record<string, string> {
  const hashes: Record<string, string> = {};
  const walk = (dir: string, rel: string) => {
    if (!existsSync(dir)) return;
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (LATER_FILES.has(e.name)) continue;
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(join(dir, e.name), r);
      else if (e.isFile()) hashes[r] = sha(readFileSync(join(dir, e.name)).toString('latin1').split(out).join('<OUT>'));
    }
  };
  walk(folder, '');
  return hashes;
}

/** Files of a stage folder that differ from what its recorded run wrote (changed, missing or added). A record of an
 *  older adequate without hashes counts as changed: its outputs cannot be trusted unchecked. */
export function changedOutputs(folder: string, out: string, record: StageRecord): string[] {
  if (!record.outputs) return ['(no hashes recorded)'];
  const now = hashOutputs(folder, out);
  const names = new Set([...Object.keys(now), ...Object.keys(record.outputs)]);
  return [...names].filter((f) => now[f] !== record.outputs![f]).sort();
}

export function readRecord(folder: string): StageRecord | undefined {
  const f = join(folder, STAGE_FILE);
  if (!existsSync(f)) return undefined;
  try {
    return JSON.parse(readFileSync(f, 'utf8')) as StageRecord;
  } catch {
    return undefined; // unreadable: the stage is redone
  }
}

interface ChildRun {
  readonly code: number;
  readonly signal: NodeJS.Signals | null;
  readonly json: unknown;
}

/** Runs `adequate ARGV` with stderr passed through (progress bars, error lines) and stdout parsed as JSON. Ctrl-C
 *  reaches the child from the terminal; a SIGINT/SIGTERM sent to this process alone is forwarded to it. */
function runAdequate(argv: readonly string[], signals: SignalGuard): Promise<ChildRun> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [packagePath('bin', 'adequate.js'), ...argv], { stdio: ['ignore', 'pipe', 'inherit'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    signals.child = child;
    child.on('error', reject);
    child.on('close', (code, signal) => {
      signals.child = undefined;
      const text = Buffer.concat(chunks).toString('utf8');
      let json: unknown = null;
      if (code === 0 || code === 3) {
        try {
          json = JSON.parse(text);
        } catch {
          reject(new Error(`adequate ${argv.join(' ')} printed no JSON: ${text.slice(0, 200)}`));
          return;
        }
      }
      resolvePromise({ code: code ?? 1, signal: signal ?? (code === 130 ? 'SIGINT' : null), json });
    });
  });
}

/** Catches SIGINT/SIGTERM for the flow's lifetime and forwards them to the running stage. */
class SignalGuard {
  caught = false;
  child: ChildProcess | undefined;
  private readonly handler = (sig: NodeJS.Signals) => {
    this.caught = true;
    if (this.child && this.child.exitCode === null) this.child.kill(sig);
  };
  constructor() {
    process.on('SIGINT', this.handler);
    process.on('SIGTERM', this.handler);
  }
  release(): void {
    process.off('SIGINT', this.handler);
    process.off('SIGTERM', this.handler);
  }
}

function sha(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}

function hashFile(path: string): string {
  if (!existsSync(path)) throw userError('E_IO', `model ${path} does not exist; give the path of an .onnx file`);
  if (statSync(path).isDirectory()) return hashTree([path]);
  return sha(readFileSync(path));
}

/** Content hash of every file under some folders (missing folders count as empty). */
function hashTree(roots: readonly string[]): string {
  const h = createHash('sha256');
  const walk = (dir: string) => {
    if (!existsSync(dir)) return;
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) h.update(p).update(readFileSync(p));
    }
  };
  roots.forEach(walk);
  return h.digest('hex');
}

/** The dataset files a run reads, by size and modification time (hashing 50 MB of images on every run is waste). */
function datasetFingerprint(model: string, config: FlowConfig): string {
  const files: string[] = [];
  const cfg = findDatasetConfig(model);
  if (cfg) files.push(cfg.file);
  for (const f of [config.dataset?.inputs, config.dataset?.labels]) if (f !== undefined) files.push(f);
  return files.map((f) => (existsSync(f) ? `${f}:${statSync(f).size}:${statSync(f).mtimeMs}:${sha(readFileSync(f).subarray(0, 1 << 16))}` : f)).join('|');
}

/** Temporary folders left by an interrupted earlier run (`.NAME.tmp-PID-TIME`). */
function removeStaleTemporaries(out: string): void {
  if (!existsSync(out)) return;
  for (const e of readdirSync(out)) if (/^\..+\.tmp-\d+-\d+$/.test(e)) rmSync(join(out, e), { recursive: true, force: true });
}
