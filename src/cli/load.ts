/** How every command gets a model: an `.onnx` file is imported (and the import pipeline run), a folder is read as a
 *  saved IR. The import options (--batch, --input-shape) are shared by every command that takes a model. */
import { statSync } from 'node:fs';
import type { Argv } from 'yargs';
import { userError } from '../errors.js';
import { rebatch } from '../ir/rebatch.js';
import { loadIr } from '../ir/serialize.js';
import type { Graph } from '../ir/types.js';
import { importOnnxFile, type ImportOptions } from '../onnx/import.js';
import { importPipeline, runPipeline } from '../passes/pipeline.js';
import { NEWEST_OPSET } from '../onnx/decode.js';
import { DEFAULT_MAX_TENSOR_BYTES } from '../onnx/lower-context.js';
import { intOption } from './options.js';

export interface ModelArgs {
  readonly batch?: number | undefined;
  readonly 'max-tensor-bytes'?: number | undefined;
  readonly 'input-shape'?: readonly string[] | undefined;
}

export function withModelOptions<T>(y: Argv<T>) {
  return y
    .option('batch', intOption('batch', { min: 1, describe: 'batch size: the first dimension of every input, free or fixed in the model (default 1)' }))
    .option('max-tensor-bytes', intOption('max-tensor-bytes', { min: 1, describe: `largest tensor import may materialize (ConstantOfShape, folded constants; default ${DEFAULT_MAX_TENSOR_BYTES})` }))
    .option('input-shape', {
      type: 'string',
      array: true,
      describe: 'fix an input shape: NAME=1x3x32x32 (repeatable)',
    });
}

/** `name=1x3x32x32` -> [name, [1,3,32,32]]. */
export function parseInputShape(spec: string): [string, number[]] {
  const m = /^(.+)=(\d+(?:x\d+)*)$/.exec(spec);
  if (!m) throw userError('E_USAGE', `--input-shape '${spec}' must look like NAME=1x3x32x32`);
  return [m[1]!, m[2]!.split('x').map(Number)];
}

export function importOptions(args: ModelArgs): ImportOptions {
  const shapes = new Map((args['input-shape'] ?? []).map(parseInputShape));
  if (args.batch !== undefined && !(Number.isInteger(args.batch) && args.batch >= 1))
    throw userError('E_USAGE', `--batch ${args.batch} must be a positive integer`);
  return {
    ...(args.batch !== undefined ? { batch: args.batch } : {}),
    ...(args['max-tensor-bytes'] !== undefined ? { maxTensorBytes: args['max-tensor-bytes'] } : {}),
    inputShapes: shapes,
  };
}

export function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

export function loadModel(path: string, args: ModelArgs = {}): Graph {
  if (isDirectory(path)) return loadIr(path);
  const options = importOptions(args);
  const graph = importOnnxFile(path, options);
  if (graph.source.opset > NEWEST_OPSET)
    process.stderr.write(`adequate: warning: ${path} declares opset ${graph.source.opset}, newer than the newest adequate knows (${NEWEST_OPSET}); an op whose meaning changed since opset ${NEWEST_OPSET} is read with its opset-${NEWEST_OPSET} meaning\n`);
  return runPipeline(batchFirst(graph, options), importPipeline);
}

/** The first dimension of every input is the batch: a model exported with a fixed batch (a PyTorch trace keeps its
 *  example's batch, 789444 in one real export) is re-batched to --batch (default 1), so data of any number of
 *  samples runs through it batch by batch. Inputs shaped with --input-shape, and graphs that do not follow the
 *  convention (rebatch finds a shape that stops fitting), are kept as declared. */
function batchFirst(graph: Graph, options: ImportOptions): Graph {
  const batch = options.batch ?? 1;
  if (graph.inputs.some((i) => options.inputShapes?.has(i.name) || i.shape.length < 2)) return graph;
  if (graph.inputs.every((i) => i.shape[0] === batch)) return graph;
  return rebatch(graph, batch) ?? graph;
}
