/** The dataset flags shared by eval, quantize and the exploration commands, and how they combine with a model's own
 *  dataset.json (flags win). */
import type { Argv } from 'yargs';
import { userError } from '../errors.js';
import { sizeOf, type Graph } from '../ir/types.js';
import { intOption } from './options.js';
import { datasetOptionsFromConfig, findDatasetConfig, loadDataset, parseNumberList, type Dataset, type DatasetOptions, type SplitName } from '../io/dataset.js';

export interface DatasetArgs {
  readonly inputs?: string | undefined;
  readonly labels?: string | undefined;
  readonly limit?: number | undefined;
  readonly offset?: number | undefined;
  readonly 'input-scale'?: string | undefined;
  readonly 'input-mean'?: string | undefined;
  readonly 'input-std'?: string | undefined;
}

export function withDatasetOptions<T>(y: Argv<T>) {
  return y
    .option('inputs', { type: 'string', describe: 'samples (.npy or MNIST IDX), N along dimension 0; default: the model folder\'s dataset.json' })
    .option('labels', { type: 'string', describe: 'labels (.npy or IDX): N integers, or N one-hot rows' })
    .option('limit', intOption('limit', { min: 1, describe: 'use at most N samples' }))
    .option('offset', intOption('offset', { min: 0, describe: 'skip the first N samples' }))
    .option('input-scale', { type: 'string', describe: 'multiply raw values by this first (e.g. 1/255)' })
    .option('input-mean', { type: 'string', describe: 'then subtract this (one value or one per channel, comma-separated)' })
    .option('input-std', { type: 'string', describe: 'then divide by this (one value or one per channel)' });
}

function parseScale(text: string): number {
  const v = parseNumberList(text, '--input-scale');
  if (typeof v !== 'number') throw userError('E_USAGE', `--input-scale '${text}' must be one number (or a fraction like 1/255)`);
  return v;
}

/** Loads the dataset the flags name, or the model's dataset.json split when --inputs is absent. */
export function loadDatasetFor(modelPath: string, args: DatasetArgs, inputShape: readonly number[], split: SplitName = 'test'): Dataset {
  const overrides: Partial<DatasetOptions> = {
    ...(args.inputs !== undefined ? { inputs: args.inputs } : {}),
    ...(args.labels !== undefined ? { labels: args.labels } : {}),
    ...(args.limit !== undefined ? { limit: args.limit } : {}),
    ...(args.offset !== undefined ? { offset: args.offset } : {}),
    ...(args['input-scale'] !== undefined ? { inputScale: parseScale(args['input-scale']) } : {}),
    ...(args['input-mean'] !== undefined ? { inputMean: parseNumberList(args['input-mean'], '--input-mean') } : {}),
    ...(args['input-std'] !== undefined ? { inputStd: parseNumberList(args['input-std'], '--input-std') } : {}),
  };
  let opts: DatasetOptions | undefined;
  if (args.inputs === undefined) {
    const cfg = findDatasetConfig(modelPath);
    opts = cfg ? datasetOptionsFromConfig(cfg, split, overrides) ?? datasetOptionsFromConfig(cfg, split === 'test' ? 'calib' : 'test', overrides) : undefined;
    if (!opts) throw userError('E_USAGE', `no data: give --inputs X (and --labels Y), or put a dataset.json next to ${modelPath} (see docs/datasets.md)`);
  } else opts = overrides as DatasetOptions;
  return loadDataset(opts, { shape: inputShape });
}

/** A labelled dataset for measuring top-1: exit 2 when it has no labels, or a label the model cannot output (outside
 *  its first output's classes). */
export function requireLabels(graph: Graph, data: Dataset, what: string): Int32Array {
  if (!data.labels) throw userError('E_DATASET', `${what} needs labels: give --labels Y.npy with --inputs, or a "labels" entry in the model's dataset.json`);
  const out = graph.values.get(graph.outputs[0] ?? '');
  const classes = out && out.shape.length >= 2 ? sizeOf(out.shape.slice(1)) : undefined; // [batch, classes...]
  if (classes !== undefined) {
    const i = data.labels.findIndex((l) => l < 0 || l >= classes);
    if (i >= 0) throw userError('E_DATASET', `${data.labelsFile ?? 'the labels'}: label ${data.labels[i]} of sample ${i} is outside the model's ${classes} classes (0 to ${classes - 1}); check that the labels belong to this model`);
  }
  return data.labels;
}

/** The `count` labelled samples after the evaluation set (same source), for a final report on data an exploration
 *  never saw; undefined when count is 0 or there are none. */
export function loadHoldout(modelPath: string, args: DatasetArgs, count: number, inputShape: readonly number[], evalData: Dataset): Dataset | undefined {
  if (count <= 0) return undefined;
  try {
    const d = loadDatasetFor(modelPath, { ...args, offset: (args.offset ?? 0) + evalData.count, limit: count }, inputShape, 'test');
    return d.labels ? d : undefined;
  } catch {
    return undefined;
  }
}
