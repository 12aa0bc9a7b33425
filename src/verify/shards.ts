/** `adequate verify --queue`: a verification split into shards of consecutive inputs, each a job that any
 *  `adequate worker` runs with the ordinary verifier (hls.ts or rtl.ts) on its own copy of the build, and the shards'
 *  reports merged into one: counts add up, inference numbers are shifted back to the whole run's, the first mismatch
 *  is the first in input order. The build folder travels once (content-addressed, its caches left out); a worker
 *  unpacks it once per content hash, so its C simulation or Verilator model is compiled once per build. */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { formatTable } from '../cli/table.js';
import { readBuild } from '../emit/build-dir.js';
import type { Dataset } from '../io/dataset.js';
import type { JobQueue } from '../queue/submit.js';
import { verifyHls } from './hls.js';
import type { VerifyOutcome } from './request.js';
import { verifyRtl } from './rtl.js';

/** Folders of a build that are caches or outputs of earlier runs, not sources. */
const NOT_SOURCES = new Set(['.csim', '.verilator', 'trace.fst']);
/** Shards per verification: enough for several workers, each big enough to pay for starting the model. */
const SHARDS = 8;

export interface VerifyQueueSetup {
  readonly kind: 'hls' | 'verilog';
  /** The build folder: relative path -> bytes. */
  readonly files: Readonly<Record<string, Uint8Array>>;
  readonly inputs: Float32Array;
  readonly inputShape: readonly number[];
  readonly labels: Int32Array | undefined;
  readonly layers: boolean;
}
export interface VerifyQueuePayload {
  readonly start: number;
  readonly end: number;
}
export type ShardJson = Readonly<Record<string, unknown>> & { readonly count: number; readonly mismatches: number; readonly passed: boolean };

function packBuild(build: string): Record<string, Uint8Array> {
  const files: Record<string, Uint8Array> = {};
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      if (NOT_SOURCES.has(name)) continue;
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else files[relative(build, path)] = readFileSync(path);
    }
  };
  walk(build);
  return files;
}

/** The worker's copy of a build, unpacked once per content hash (atomically: another thread may be at it too). */
export function unpackBuild(hash: string, files: Readonly<Record<string, Uint8Array>>): string {
  const dir = join(tmpdir(), 'adequate-worker-builds', hash.slice(0, 32));
  if (existsSync(dir)) return dir;
  const tmp = `${dir}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  for (const [rel, bytes] of Object.entries(files)) {
    mkdirSync(dirname(join(tmp, rel)), { recursive: true });
    writeFileSync(join(tmp, rel), bytes);
  }
  try {
    renameSync(tmp, dir);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    if (!existsSync(dir)) throw e;
  }
  return dir;
}

/** One shard on a worker: the ordinary verifier on inputs [start, end). */
export async function verifyShard(dir: string, s: VerifyQueueSetup, p: VerifyQueuePayload): Promise<ShardJson> {
  const { manifest, graph } = readBuild(dir, s.kind);
  const per = s.inputShape.slice(1).reduce((a, b) => a * b, 1);
  const count = p.end - p.start;
  const data: Dataset = {
    inputs: { dtype: 'float32', shape: [count, ...s.inputShape.slice(1)], data: s.inputs.subarray(p.start * per, p.end * per) },
    ...(s.labels ? { labels: s.labels.subarray(p.start, p.end) } : {}),
    count, inputsFile: '(queue)',
  };
  const request = { build: dir, manifest, graph, data, count, layers: s.layers, trace: false };
  const outcome = s.kind === 'hls' ? await verifyHls(request) : await verifyRtl(request);
  return { ...outcome.json, passed: outcome.passed } as ShardJson;
}

/** Submits the shards of a verification and merges their reports. */
export async function verifyOnQueue(queue: JobQueue, build: string, kind: 'hls' | 'verilog', data: Dataset, count: number, layers: boolean, onProgress: (done: number) => void): Promise<VerifyOutcome> {
  const per = data.inputs.data.length / data.count;
  const setup: VerifyQueueSetup = {
    kind, files: packBuild(build), inputs: (data.inputs.data as Float32Array).subarray(0, count * per), inputShape: [count, ...data.inputs.shape.slice(1)],
    labels: data.labels?.subarray(0, count), layers,
  };
  const hash = await queue.putSetup({ ...setup });
  const size = Math.ceil(count / Math.min(SHARDS, count));
  const starts = Array.from({ length: Math.ceil(count / size) }, (_, i) => i * size);
  let done = 0;
  const shards = await Promise.all(starts.map(async (start) => {
    const end = Math.min(count, start + size);
    const json = await queue.submit<ShardJson>('verify', hash, { start, end } satisfies VerifyQueuePayload);
    onProgress((done += end - start));
    return { start, json };
  }));
  return kind === 'hls' ? mergeHls(build, shards) : mergeRtl(build, shards);
}

type Shard = { readonly start: number; readonly json: ShardJson };
const sum = (shards: readonly Shard[], key: string) => shards.reduce((s, x) => s + ((x.json[key] as number | undefined) ?? 0), 0);
const hasLabels = (shards: readonly Shard[]) => shards.every((x) => x.json.top1 !== undefined);

function mergeHls(build: string, shards: readonly Shard[]): VerifyOutcome {
  const count = sum(shards, 'count'), correct = sum(shards, 'correct'), mismatches = sum(shards, 'mismatches');
  const layers = shards[0]!.json.layers_compared !== undefined;
  const first = shards.map((x) => x.json.first_mismatching_layer).find((l) => typeof l === 'string');
  const passed = shards.every((x) => x.json.passed);
  const json = {
    count, mismatches, mismatched_values: sum(shards, 'mismatched_values'),
    ...(hasLabels(shards) ? { top1: correct / count, correct } : {}),
    ms_per_inference: Number((shards.reduce((s, x) => s + (x.json.ms_per_inference as number) * x.json.count, 0) / count).toFixed(4)),
    ...(layers ? { layers_compared: shards[0]!.json.layers_compared, first_mismatching_layer: first ?? null } : {}),
    passed, shards: shards.length,
  };
  return { json, passed, text: summary('C simulation', build, json, passed ? `PASS: the C simulation matches the golden model bit for bit on ${count} input(s)` : `FAIL: ${mismatches} of ${count} inference(s) differ from the golden model${first ? `, first in layer '${String(first)}'` : ''}`) };
}

function mergeRtl(build: string, shards: readonly Shard[]): VerifyOutcome {
  const count = sum(shards, 'count'), mismatches = sum(shards, 'mismatches'), cycleMismatches = sum(shards, 'cycle_mismatches');
  const j0 = shards[0]!.json;
  const firstBad = shards.find((x) => x.json.first_mismatch !== undefined);
  const fm = firstBad?.json.first_mismatch as { inference: number } | undefined;
  const correct = shards.reduce((s, x) => s + Math.round(((x.json.top1 as number | undefined) ?? 0) * x.json.count), 0);
  const passed = shards.every((x) => x.json.passed);
  const json = {
    build, model: j0.model, lanes: j0.lanes, count, mismatches, cycle_mismatches: cycleMismatches,
    cycles: Math.max(...shards.map((x) => x.json.cycles as number)), predicted_cycles: j0.predicted_cycles,
    sim_cycles_per_second: Math.round(shards.reduce((s, x) => s + (x.json.sim_cycles_per_second as number), 0) / shards.length),
    build_seconds: Math.max(...shards.map((x) => x.json.build_seconds as number)),
    ...(hasLabels(shards) ? { top1: correct / count } : {}),
    ...(fm ? { first_mismatch: { ...fm, inference: fm.inference + firstBad!.start } } : {}),
    ...(j0.layer_mismatches !== undefined ? { layer_mismatches: sum(shards, 'layer_mismatches') } : {}),
    layers: j0.layers, shards: shards.length,
  };
  const verdict = passed ? `PASS: ${String(j0.model)} matches the golden model bit for bit and the cycle model exactly` : `FAIL: ${String(j0.model)} differs from the ${mismatches ? 'golden model' : 'cycle model'}`;
  return { json, passed, text: summary('Verilator', build, json, verdict) };
}

function summary(what: string, build: string, json: Record<string, unknown> & { count: number; mismatches: number; shards: number }, verdict: string): string {
  const rows: [string, string][] = [
    ['inputs run', `${json.count} in ${json.shards} shards on the queue`],
    ['mismatching inferences', String(json.mismatches)],
    ...(json.cycle_mismatches !== undefined ? [['cycle mismatches', String(json.cycle_mismatches)] as [string, string]] : []),
    ...(json.cycles !== undefined ? [['cycles/inference', `${String(json.cycles)} measured (max), ${String(json.predicted_cycles)} predicted`] as [string, string]] : []),
    ...(json.top1 !== undefined ? [['top-1', `${((json.top1 as number) * 100).toFixed(2)}%`] as [string, string]] : []),
  ];
  return formatTable([what, build], rows) + '\n' + verdict;
}
