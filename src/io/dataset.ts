/** Labelled datasets for `adequate eval` (and calibration): NumPy `.npy` or MNIST IDX files (optionally gzip
 *  compressed), preprocessed to float32 and shaped like the model's input. The `dataset.json` format that lets a model
 *  folder name its own data is documented in docs/datasets.md. */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { userError } from '../errors.js';
import { type Tensor, formatShape, sizeOf } from '../ir/types.js';
import { isGzip, isIdx, maybeGunzip, parseIdx } from './idx.js';
import { isNpy, parseNpy } from './npy.js';

export interface Preprocess {
  /** Multiplies every raw value first (e.g. 1/255 for 8-bit pixels). Default 1. */
  readonly inputScale?: number;
  /** Subtracted after scaling: one value, or one per channel (dimension 1 of the model input). Default 0. */
  readonly inputMean?: number | readonly number[];
  /** Divides after the mean: one value, or one per channel. Default 1. */
  readonly inputStd?: number | readonly number[];
}

export interface DatasetOptions extends Preprocess {
  /** Samples: `.npy` or IDX (`.gz` allowed), first dimension = sample. `npm:pkg/path` is resolved from the cwd. */
  readonly inputs: string;
  /** Labels: 1-D integers, or 2-D one-hot/scores (argmax is taken); same number of samples as `inputs`. */
  readonly labels?: string;
  /** Use at most this many samples (after `offset`). */
  readonly limit?: number;
  /** Skip this many samples first. Default 0. */
  readonly offset?: number;
}

export interface Dataset {
  /** float32, shape [count, ...model input shape without its batch dimension], preprocessed. */
  readonly inputs: Tensor;
  readonly labels?: Int32Array;
  readonly count: number;
  /** Samples in the file (before --offset and --limit); the samples after `offset + count` are `total - offset - count`. */
  readonly total?: number;
  /** Resolved file paths, for reports. */
  readonly inputsFile: string;
  readonly labelsFile?: string;
}

/** Samples [start, end) of a dataset, as a dataset of their own (the input data is copied). */
export function sliceDataset(d: Dataset, start: number, end: number): Dataset {
  const per = d.count === 0 ? 0 : d.inputs.data.length / d.count;
  return {
    ...d,
    inputs: { ...d.inputs, shape: [end - start, ...d.inputs.shape.slice(1)], data: d.inputs.data.slice(start * per, end * per) } as Tensor,
    ...(d.labels ? { labels: d.labels.slice(start, end) } : {}),
    count: end - start,
  };
}

/** Reads an array file of any supported format, chosen by content: `.npy`, IDX, or either of them gzip-compressed. */
export function readArrayFile(path: string): Tensor {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder' : (e as Error).message;
    throw userError('E_DATASET', `cannot read dataset file ${path}: ${why}; check the path`);
  }
  const gz = isGzip(bytes);
  bytes = maybeGunzip(bytes, path);
  if (isNpy(bytes)) return parseNpy(bytes, path);
  if (isIdx(bytes)) return parseIdx(bytes, path);
  throw userError(
    'E_DATASET',
    `${path}: unknown data format${gz ? ' inside the gzip data' : ''} (neither .npy nor MNIST IDX); save the array with numpy.save`,
  );
}

function checkNumbers(v: number | readonly number[], what: string): readonly number[] {
  const arr = typeof v === 'number' ? [v] : v;
  if (arr.length === 0 || !arr.every((x) => Number.isFinite(x))) {
    throw userError('E_DATASET', `${what} must be a finite number or a non-empty list of finite numbers, got ${JSON.stringify(v)}`);
  }
  return arr;
}

function checkCount(v: number | undefined, what: string, min: number): number | undefined {
  if (v === undefined) return undefined;
  if (!Number.isSafeInteger(v) || v < min) throw userError('E_DATASET', `${what} must be an integer >= ${min}, got ${v}`);
  return v;
}

/** Loads and preprocesses a dataset for a model whose (first) input has `modelInput.shape` (batch dimension first;
 *  its value is ignored). x = (raw * inputScale - inputMean) / inputStd, computed in float64, stored as float32. */
export function loadDataset(opts: DatasetOptions, modelInput: { readonly shape: readonly number[] }): Dataset {
  const inputsFile = resolveDataPath(opts.inputs, process.cwd(), 'the inputs path');
  const labelsFile = opts.labels === undefined ? undefined : resolveDataPath(opts.labels, process.cwd(), 'the labels path');
  const offset = checkCount(opts.offset, 'offset', 0) ?? 0;
  const limit = checkCount(opts.limit, 'limit', 1);
  const scale = checkNumbers(opts.inputScale ?? 1, 'inputScale');
  if (scale.length !== 1) throw userError('E_DATASET', `inputScale must be a single number, got ${scale.length} values`);
  const mean = checkNumbers(opts.inputMean ?? 0, 'inputMean');
  const std = checkNumbers(opts.inputStd ?? 1, 'inputStd');
  if (std.some((s) => s === 0)) throw userError('E_DATASET', `inputStd must not be zero, got ${JSON.stringify(opts.inputStd)}`);

  if (modelInput.shape.length === 0) {
    throw userError('E_DATASET', 'the model input is a scalar, it has no batch dimension to feed samples along');
  }
  const sampleShape = modelInput.shape.slice(1);
  const perSample = sizeOf(sampleShape);
  const modelText = ['N', ...sampleShape].join('x');

  const raw = readArrayFile(inputsFile);
  let total: number;
  if (raw.shape.length >= 1 && sizeOf(raw.shape.slice(1)) === perSample) total = raw.shape[0]!;
  else if (sizeOf(raw.shape) === perSample) total = 1; // a single sample saved without a batch dimension
  else {
    const rawSample = raw.shape.length === 0 ? 'a scalar' : `samples of shape ${formatShape(raw.shape.slice(1))}`;
    throw userError(
      'E_DATASET',
      `${inputsFile}: array of shape ${formatShape(raw.shape)} holds ${rawSample} (${sizeOf(raw.shape.slice(1))} values each), ` +
        `but the model input ${modelText} takes ${perSample} values per sample; use data of the model's input size`,
    );
  }

  let labelsAll: Int32Array | undefined;
  if (labelsFile !== undefined) {
    labelsAll = toLabels(readArrayFile(labelsFile), labelsFile);
    if (labelsAll.length !== total) {
      throw userError(
        'E_DATASET',
        `${labelsFile} has ${labelsAll.length} labels but ${inputsFile} has ${total} samples; they must have the same count`,
      );
    }
  }
  if (total === 0) throw userError('E_DATASET', `${inputsFile} holds no samples`);
  if (offset >= total) {
    throw userError('E_DATASET', `offset ${offset} is past the end of ${inputsFile} (${total} samples); use a smaller offset`);
  }
  const count = Math.min(limit ?? total, total - offset);

  // Per-channel parameters: channel = dimension 1 of the model input (NCHW / NC).
  const channels = sampleShape.length >= 1 ? sampleShape[0]! : 1;
  const inner = channels === 0 ? 0 : perSample / channels;
  for (const [arr, what] of [
    [mean, 'inputMean'],
    [std, 'inputStd'],
  ] as const) {
    if (arr.length !== 1 && arr.length !== channels) {
      throw userError(
        'E_DATASET',
        `${what} has ${arr.length} values but the model input ${modelText} has ${channels} channel(s) (dimension 1); give one value or ${channels}`,
      );
    }
  }
  const meanC = Float64Array.from({ length: channels }, (_, c) => (mean.length === 1 ? mean[0]! : mean[c]!));
  const invStdC = Float64Array.from({ length: channels }, (_, c) => 1 / (std.length === 1 ? std[0]! : std[c]!));
  const s = scale[0]!;
  const out = new Float32Array(count * perSample);
  const src = raw.data;
  const base = offset * perSample;
  for (let i = 0; i < count; i++) {
    const o = i * perSample;
    for (let c = 0; c < channels; c++) {
      const m = meanC[c]!;
      const k = invStdC[c]!;
      const lo = o + c * inner;
      const hi = lo + inner;
      if (m === 0 && k === 1) for (let j = lo; j < hi; j++) out[j] = src[base + j]! * s;
      else for (let j = lo; j < hi; j++) out[j] = (src[base + j]! * s - m) * k;
    }
  }
  const inputs: Tensor = { dtype: 'float32', shape: [count, ...sampleShape], data: out };
  const bad = out.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0)
    throw userError('E_DATASET', `${inputsFile}: sample ${offset + Math.floor(bad / perSample)} holds ${out[bad]} (value ${bad % perSample} after preprocessing); the models take finite numbers: clean the data`);
  const result: Dataset = { inputs, count, total, inputsFile };
  if (labelsAll !== undefined && labelsFile !== undefined) {
    return { ...result, labels: labelsAll.slice(offset, offset + count), labelsFile };
  }
  return result;
}

/** Class labels from a 1-D integer array ([N] or [N, 1]) or a 2-D one-hot / score array ([N, K], argmax per row). */
export function toLabels(t: Tensor, nameForErrors: string): Int32Array {
  const { shape, data } = t;
  if (shape.length === 1 || (shape.length === 2 && shape[1] === 1)) {
    const n = shape[0]!;
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const v = data[i]!;
      if (!Number.isInteger(v) || v < 0 || v > 0x7fffffff) {
        throw userError(
          'E_DATASET',
          `${nameForErrors}: label ${v} at index ${i} is not a class index (a non-negative integer); store integer labels`,
        );
      }
      out[i] = v;
    }
    return out;
  }
  if (shape.length === 2 && shape[1]! > 1) {
    const [n, k] = shape as [number, number];
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      let best = 0;
      let bv = data[i * k]!;
      for (let j = 1; j < k; j++) {
        const v = data[i * k + j]!;
        if (v > bv) {
          bv = v;
          best = j;
        }
      }
      out[i] = best;
    }
    return out;
  }
  throw userError(
    'E_DATASET',
    `${nameForErrors}: labels of shape ${formatShape(shape)} are neither 1-D class indices [N] nor 2-D one-hot [N, classes]`,
  );
}

/** Parses a command-line number or comma-separated list ("0.5", "0.485,0.456,0.406"); "a/b" fractions are allowed
 *  ("1/255"). Throws E_USAGE naming `flag`. */
export function parseNumberList(text: string, flag: string): number | number[] {
  const parts = text.split(',').map((p) => p.trim());
  const nums = parts.map((p) => parseNumber(p));
  if (nums.some((v) => v === undefined)) {
    throw userError('E_USAGE', `${flag} expects a number or a comma-separated list of numbers (fractions like 1/255 allowed), got '${text}'`);
  }
  const vals = nums as number[];
  return vals.length === 1 ? vals[0]! : vals;
}

function parseNumber(p: string): number | undefined {
  const frac = /^([^/]+)\/([^/]+)$/.exec(p);
  if (frac) {
    const a = parseNumber(frac[1]!.trim());
    const b = parseNumber(frac[2]!.trim());
    return a === undefined || b === undefined || b === 0 ? undefined : a / b;
  }
  if (p === '' || !/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(p)) return undefined;
  const v = Number(p);
  return Number.isFinite(v) ? v : undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// dataset.json

export interface DatasetSplit {
  /** Absolute path of the samples file. */
  readonly inputs: string;
  readonly labels?: string;
  readonly offset?: number;
  readonly limit?: number;
}

export type SplitName = 'test' | 'calib';

export interface DatasetConfig {
  /** Absolute path of the dataset.json it was read from. */
  readonly file: string;
  readonly description?: string;
  readonly preprocess: Preprocess;
  /** `test` is what `adequate eval` uses; `calib` is what calibration (quantization) uses. */
  readonly splits: { readonly test?: DatasetSplit; readonly calib?: DatasetSplit };
}

export const DATASET_CONFIG_NAME = 'dataset.json';

/** Finds the dataset.json that belongs to a model: for a file (model.onnx), the one in its folder; for a folder (an
 *  imported IR), the one inside it. Returns undefined when there is none. */
export function findDatasetConfig(modelPath: string): DatasetConfig | undefined {
  let dir: string;
  try {
    dir = statSync(modelPath).isDirectory() ? modelPath : dirname(modelPath);
  } catch {
    return undefined;
  }
  const file = join(dir, DATASET_CONFIG_NAME);
  return existsSync(file) ? readDatasetConfig(file) : undefined;
}

/** Reads and validates a dataset.json (a folder means the dataset.json inside it). Paths are resolved to absolute:
 *  relative ones against the json file's folder, `npm:pkg/sub/path` through Node module resolution. Data files are
 *  not opened here, but `npm:` paths must resolve. Errors are E_CONFIG (format) or E_DATASET (unresolvable path). */
export function readDatasetConfig(dirOrFile: string): DatasetConfig {
  let file = resolve(dirOrFile);
  try {
    if (statSync(file).isDirectory()) file = join(file, DATASET_CONFIG_NAME);
  } catch {
    throw userError('E_IO', `cannot read ${dirOrFile}: no such file or folder; check the path`);
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw userError('E_IO', `cannot read ${file}: ${(e as Error).message}; check the path`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw userError('E_CONFIG', `${file}: not valid JSON (${(e as Error).message}); fix the syntax`);
  }
  const bad = (what: string): never => {
    throw userError('E_CONFIG', `${file}: ${what}; see docs/datasets.md`);
  };
  if (!isObject(json)) return bad('the top level must be a JSON object');
  const topKeys = ['description', 'comment', 'inputScale', 'inputMean', 'inputStd', 'inputs', 'labels', 'offset', 'limit', 'test', 'calib'];
  for (const k of Object.keys(json)) if (!topKeys.includes(k)) bad(`unknown key "${k}" (allowed: ${topKeys.join(', ')})`);
  const base = dirname(file);

  const num = (v: unknown, key: string): number | undefined => {
    if (v === undefined) return undefined;
    if (typeof v === 'number' && Number.isFinite(v)) return v;
    if (typeof v === 'string') {
      const p = parseNumber(v.trim());
      if (p !== undefined) return p;
    }
    return bad(`"${key}" must be a number (or a fraction string like "1/255"), got ${JSON.stringify(v)}`);
  };
  const nums = (v: unknown, key: string): number | number[] | undefined => {
    if (Array.isArray(v)) {
      if (v.length === 0) bad(`"${key}" must not be an empty list`);
      return v.map((x, i) => num(x, `${key}[${i}]`)!);
    }
    return num(v, key);
  };
  const int = (v: unknown, key: string, min: number): number | undefined => {
    if (v === undefined) return undefined;
    if (typeof v === 'number' && Number.isSafeInteger(v) && v >= min) return v;
    return bad(`"${key}" must be an integer >= ${min}, got ${JSON.stringify(v)}`);
  };
  const path = (v: unknown, key: string): string | undefined => {
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || v === '') return bad(`"${key}" must be a non-empty path string`);
    return resolveDataPath(v, base, `"${key}" in ${file}`);
  };
  const split = (v: Record<string, unknown>, prefix: string): DatasetSplit => {
    const inputs = path(v['inputs'], `${prefix}inputs`);
    if (inputs === undefined) return bad(`"${prefix}inputs" is missing`);
    let s: DatasetSplit = { inputs };
    const labels = path(v['labels'], `${prefix}labels`);
    const offset = int(v['offset'], `${prefix}offset`, 0);
    const limit = int(v['limit'], `${prefix}limit`, 1);
    if (labels !== undefined) s = { ...s, labels };
    if (offset !== undefined) s = { ...s, offset };
    if (limit !== undefined) s = { ...s, limit };
    return s;
  };

  let preprocess: Preprocess = {};
  const scale = num(json['inputScale'], 'inputScale');
  const mean = nums(json['inputMean'], 'inputMean');
  const std = nums(json['inputStd'], 'inputStd');
  if (scale !== undefined) preprocess = { ...preprocess, inputScale: scale };
  if (mean !== undefined) preprocess = { ...preprocess, inputMean: mean };
  if (std !== undefined) {
    if ((Array.isArray(std) ? std : [std]).some((x) => x === 0)) bad('"inputStd" must not be zero');
    preprocess = { ...preprocess, inputStd: std };
  }

  const splits: { test?: DatasetSplit; calib?: DatasetSplit } = {};
  const hasTop = json['inputs'] !== undefined || json['labels'] !== undefined || json['offset'] !== undefined || json['limit'] !== undefined;
  if (hasTop && json['test'] !== undefined) bad('give the test data either at the top level ("inputs", "labels") or in "test", not both');
  if (hasTop) splits.test = split(json, '');
  for (const name of ['test', 'calib'] as const) {
    const v = json[name];
    if (v === undefined) continue;
    if (!isObject(v)) return bad(`"${name}" must be an object with "inputs" and optional "labels", "offset", "limit"`);
    for (const k of Object.keys(v)) {
      if (!['inputs', 'labels', 'offset', 'limit'].includes(k)) bad(`unknown key "${name}.${k}" (allowed: inputs, labels, offset, limit)`);
    }
    splits[name] = split(v, `${name}.`);
  }
  if (splits.test === undefined && splits.calib === undefined) bad('no data: give "test" (or top-level "inputs") and/or "calib"');
  const description = json['description'];
  if (description !== undefined && typeof description !== 'string') bad('"description" must be a string');
  const cfg: DatasetConfig = { file, preprocess, splits };
  return typeof description === 'string' ? { ...cfg, description } : cfg;
}

/** The `loadDataset` options for one split of a dataset.json, with preprocessing; undefined if it has no such split
 *  (callers may then fall back to the other split or ask for flags). `overrides` (e.g. command-line flags) win. */
export function datasetOptionsFromConfig(
  cfg: DatasetConfig,
  split: SplitName,
  overrides: Partial<DatasetOptions> = {},
): DatasetOptions | undefined {
  const s = cfg.splits[split];
  if (s === undefined) return undefined;
  const merged: Record<string, unknown> = { ...cfg.preprocess, ...s };
  for (const [k, v] of Object.entries(overrides)) if (v !== undefined) merged[k] = v;
  return merged as unknown as DatasetOptions;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Resolves a data path: absolute stays, relative is taken against `baseDir`, and `npm:pkg/sub/path` is looked up in
 *  the node_modules folders Node would search from `baseDir` (then from this package's own location). */
export function resolveDataPath(spec: string, baseDir: string, whereForErrors: string): string {
  if (!spec.startsWith('npm:')) return isAbsolute(spec) ? spec : resolve(baseDir, spec);
  const sub = spec.slice(4).replace(/^\/+/, '');
  const m = /^((?:@[^/]+\/)?[^/]+)(\/.*)?$/.exec(sub);
  if (!m || m[2] === undefined || m[2].length < 2) {
    throw userError('E_DATASET', `${whereForErrors}: '${spec}' must look like npm:package/path/to/file`);
  }
  const pkg = m[1]!;
  for (const from of [join(resolve(baseDir), 'noop.js'), fileURLToPath(import.meta.url)]) {
    const dirs = createRequire(from).resolve.paths(pkg) ?? [];
    for (const d of dirs) {
      const candidate = join(d, sub);
      if (existsSync(candidate)) return candidate;
    }
  }
  throw userError(
    'E_DATASET',
    `${whereForErrors}: cannot find '${spec}' (package ${pkg} is not installed in any node_modules above ${resolve(baseDir)}); ` +
      `run npm ci in the adequate repository, or give a file path instead`,
  );
}
