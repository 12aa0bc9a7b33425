/** The configuration of `adequate compile`: every option of every stage, from a YAML or JSON file, validated against a
 *  schema with messages that name the key, the file and the line; command-line values override the file.
 *  A stage's section holds that stage's command-line flags under their own names (kebab-case), so what the config
 *  says is exactly what the report's "rerun this stage" command line says. */
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { LineCounter, parseDocument, isMap, isSeq, type Node as YamlNode } from 'yaml';
import { userError } from '../errors.js';

export interface StageSection {
  readonly enabled?: boolean;
  readonly [flag: string]: unknown;
}

export interface FlowConfig {
  readonly dataset?: { readonly inputs?: string; readonly labels?: string; readonly limit?: number; readonly offset?: number };
  readonly seed?: number;
  /** Hand the searches and verifications to `adequate worker` processes on this job queue (docs/scale-out.md). */
  readonly queue?: { readonly url: string; readonly 'shared-dir'?: string };
  /** The accelerator's folding for both emitters (docs/hardware.md): P, S, window taps and lanes and elementwise lanes,
   *  as `emit`'s --pe, --simd, --window-taps, --window-lanes and --eltwise-lanes; an hls or verilog section's own keys override it. */
  readonly hardware?: { readonly pe?: number; readonly simd?: number; readonly 'window-taps'?: number; readonly 'eltwise-lanes'?: number; readonly 'window-lanes'?: number };
  readonly import?: StageSection;
  readonly quantize?: StageSection;
  readonly share?: StageSection;
  readonly wordlength?: StageSection;
  readonly approx?: StageSection;
  readonly hls?: StageSection;
  readonly csim?: StageSection;
  readonly verilog?: StageSection;
  readonly rtl?: StageSection;
  readonly synth?: StageSection;
}

export const CONFIG_FILE_NAMES = ['adequate.yaml', 'adequate.yml', 'adequate.json'];

const str = { type: 'string', minLength: 1 };
const num = { type: 'number' };
const int = { type: 'integer' };
const posInt = { type: 'integer', minimum: 1 };
/** The folding solver's keys of the emit sections (adequate emit --target-cycles ...; docs/hardware.md). */
const FOLD_TARGET = {
  'target-cycles': posInt, 'target-latency-us': { type: 'number', exclusiveMinimum: 0 }, 'min-utilization': { type: 'number', minimum: 0, maximum: 1 },
  'max-dsps': { type: 'integer', minimum: 0 }, 'max-luts': posInt,
};
const bool = { type: 'boolean' };
const section = (properties: Record<string, object>) => ({ type: 'object', additionalProperties: false, properties: { enabled: bool, ...properties } });

/** The schema: one section per stage, with that stage's flags. Unknown keys are errors (a typo must not be ignored). */
export const CONFIG_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    dataset: { type: 'object', additionalProperties: false, properties: { inputs: str, labels: str, limit: posInt, offset: { type: 'integer', minimum: 0 } } },
    seed: int,
    queue: { type: 'object', additionalProperties: false, required: ['url'], properties: { url: { type: 'string', pattern: '^redis://' }, 'shared-dir': str } },
    hardware: { type: 'object', additionalProperties: false, properties: { pe: posInt, simd: posInt, 'window-taps': posInt, 'eltwise-lanes': posInt, 'window-lanes': posInt } },
    import: section({ batch: posInt, 'input-shape': { type: 'array', items: str } }),
    quantize: section({
      calib: posInt, 'eval-limit': posInt, scheme: { enum: ['unsigned', 'signed'] }, bits: { type: 'integer', minimum: 2, maximum: 16 },
      'weight-bits': { type: 'integer', minimum: 2, maximum: 16 }, 'activation-bits': { type: 'integer', minimum: 2, maximum: 16 },
      'per-tensor': bool, method: { enum: ['minmax', 'percentile', 'mse', 'kl'] }, 'weight-method': { enum: ['minmax', 'mse'] },
      rounding: { enum: ['half-away', 'half-even'] }, 'bias-correction': bool, config: str,
    }),
    share: section({ clusters: posInt, granularity: { enum: ['network', 'layer', 'channel', 'kernel'] }, prune: { type: 'number', minimum: 0, maximum: 1 } }),
    wordlength: section({
      kind: { enum: ['fixed', 'float'] }, 'max-drop': { type: 'number', minimum: 0 }, confidence: { type: 'number', minimum: 0 }, search: { enum: ['budget', 'greedy'] },
      eval: posInt, holdout: { type: 'integer', minimum: 0 }, calib: posInt, rounding: { enum: ['truncate', 'half-up', 'half-even'] }, 'acc-overflow': { enum: ['wrap', 'saturate'] },
      simd: posInt,
    }),
    approx: section({
      tiles: posInt, library: str, mode: { enum: ['free', 'ordered'] }, pop: posInt, gen: posInt, 'max-drop': { type: 'number', minimum: 0 }, confidence: { type: 'number', minimum: 0 },
      'max-energy': num, 'weight-update': { enum: ['none', 'uniform', 'histogram'] }, 'bias-correction': bool, eval: posInt, holdout: { type: 'integer', minimum: 0 }, pick: { type: 'integer', minimum: 0 },
    }),
    hls: section({ lanes: posInt, pe: posInt, simd: posInt, 'window-taps': posInt, 'eltwise-lanes': posInt, 'window-lanes': posInt, part: str, clock: { type: 'number', exclusiveMinimum: 0 }, 'mult-impl': { enum: ['auto', 'table', 'netlist'] }, 'stream-width': { enum: [8, 32, 64] }, ...FOLD_TARGET }),
    csim: section({ count: posInt }),
    verilog: section({ lanes: posInt, pe: posInt, simd: posInt, 'window-taps': posInt, 'eltwise-lanes': posInt, 'window-lanes': posInt, 'mult-impl': { enum: ['auto', 'table', 'netlist'] }, 'stream-width': { enum: [8, 32, 64] }, overlap: bool, ...FOLD_TARGET }),
    rtl: section({ count: posInt }),
    synth: section({}),
  },
} as const;

/** The schema's validator, compiled on first use (compiling it cost every command's start-up ~60 ms). */
let compiled: ValidateFunction | undefined;
const validate = (value: unknown): boolean => (compiled ??= new Ajv({ allErrors: false, strict: true }).compile(CONFIG_SCHEMA))(value);

/** The config file next to a model (adequate.yaml, .yml or .json), if there is one. */
export function findConfigBeside(modelPath: string): string | undefined {
  const dir = existsSync(modelPath) && !modelPath.endsWith('.onnx') ? modelPath : dirname(modelPath);
  return CONFIG_FILE_NAMES.map((n) => join(dir, n)).find((f) => existsSync(f));
}

/** Reads and validates a config file. Errors: E_CONFIG naming the file, the line and the key. */
export function readConfig(file: string): FlowConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw userError('E_CONFIG', `cannot read config ${file}: ${(e as Error).message}`);
  }
  if (file.endsWith('.json')) checkJsonSyntax(text, file);
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const syntax = doc.errors[0];
  if (syntax) {
    const at = lines.linePos(syntax.pos[0]);
    throw userError('E_CONFIG', `${file}:${at.line}: ${firstLine(syntax.message)}; fix the ${file.endsWith('.json') ? 'JSON' : 'YAML'} syntax there`);
  }
  let value: unknown;
  try {
    value = doc.toJS() ?? {};
  } catch (e) {
    // The YAML library refuses documents whose aliases expand too far (a "billion laughs" file).
    throw userError('E_CONFIG', `${file}: ${firstLine((e as Error).message)}; write the values out instead of through aliases`);
  }
  if (!validate(value)) {
    const err = compiled!.errors![0]!;
    const path = pathOf(err);
    const node = path.length ? (doc.getIn(path, true) as YamlNode | undefined) : doc.contents ?? undefined;
    const line = node?.range ? lines.linePos(node.range[0]).line : keyLine(doc, path, lines);
    throw userError('E_CONFIG', `${file}:${line ?? '?'}: ${describe(err, path)}`);
  }
  return value as FlowConfig;
}

/** Applies `--set section.key=value` overrides (values parsed as YAML scalars: numbers, booleans, strings). */
export function applyOverrides(config: FlowConfig, sets: readonly string[]): FlowConfig {
  const out = structuredClone(config) as Record<string, unknown>;
  for (const s of sets) {
    const m = /^([a-z][a-z-]*)(?:\.([a-z][a-z-]*))?=(.*)$/.exec(s);
    if (!m) throw userError('E_USAGE', `--set '${s}' must look like section.key=value (e.g. approx.gen=4) or key=value (e.g. seed=2)`);
    const parsed: unknown = parseDocument(m[3]!).toJS();
    if (m[2] === undefined) out[m[1]!] = parsed;
    else out[m[1]!] = { ...((out[m[1]!] as object | undefined) ?? {}), [m[2]]: parsed };
  }
  if (!validate(out)) {
    const err = compiled!.errors![0]!;
    throw userError('E_USAGE', `--set: ${describe(err, pathOf(err))}`);
  }
  return out as FlowConfig;
}

function pathOf(err: ErrorObject): string[] {
  const path = err.instancePath.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (err.keyword === 'additionalProperties') path.push((err.params as { additionalProperty: string }).additionalProperty);
  return path;
}

function describe(err: ErrorObject, path: readonly string[]): string {
  const key = path.join('.') || '(top level)';
  if (err.keyword === 'additionalProperties') {
    const parent = path.slice(0, -1);
    const known = Object.keys(propertiesAt(parent));
    return `unknown key '${key}'; ${parent.length ? `'${parent.join('.')}'` : 'the top level'} takes ${known.join(', ')}`;
  }
  if (err.keyword === 'enum') return `'${key}' must be one of ${(err.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`;
  return `'${key}' ${err.message ?? 'is invalid'}`;
}

function propertiesAt(path: readonly string[]): Record<string, unknown> {
  let s: { properties?: Record<string, unknown> } = CONFIG_SCHEMA as never;
  for (const p of path) s = (s.properties?.[p] ?? {}) as typeof s;
  return s.properties ?? {};
}

/** Line of a key (for unknown keys, whose value node getIn finds but a missing one it does not). */
function keyLine(doc: ReturnType<typeof parseDocument>, path: readonly string[], lines: LineCounter): number | undefined {
  let node: unknown = doc.contents;
  let line: number | undefined;
  for (const p of path) {
    if (!isMap(node)) return line;
    const pair = node.items.find((it) => (it.key as { value?: unknown } | null)?.value === p);
    if (!pair) return line;
    const k = pair.key as YamlNode;
    if (k.range) line = lines.linePos(k.range[0]).line;
    node = pair.value;
  }
  return line ?? (isSeq(node) ? undefined : line);
}

/** JSON is a subset of YAML but YAML accepts what JSON does not (trailing commas, comments): a .json file is JSON. */
function checkJsonSyntax(text: string, file: string): void {
  try {
    JSON.parse(text);
  } catch (e) {
    const msg = (e as Error).message;
    const pos = Number(/position (\d+)/.exec(msg)?.[1] ?? NaN);
    const line = Number.isNaN(pos) ? '?' : text.slice(0, pos).split('\n').length;
    throw userError('E_CONFIG', `${file}:${line}: ${msg.replace(/ in JSON at position \d+.*$/, '')}; fix the JSON syntax there`);
  }
}

function firstLine(s: string): string {
  return s.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
}

export function configName(file: string): string {
  return basename(file);
}
