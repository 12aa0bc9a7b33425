/** Runs a graph over many samples: a file of N samples feeds a graph whose inputs have batch B in N/B runs, and the
 *  outputs are stacked back along the first dimension. */
import { userError } from '../errors.js';
import type { Graph, Tensor, ValueInfo } from '../ir/types.js';
import { formatShape, makeTensor, sizeOf } from '../ir/types.js';
import { runGraph, type EvalContext } from './evaluate.js';

/** Number of runs a feed needs: 1 when it has the input's exact shape, N/B when it is [N, ...per-sample]. */
export function runsFor(info: ValueInfo, t: Tensor, where: string): number {
  const same = t.shape.length === info.shape.length && t.shape.every((d, i) => d === info.shape[i]);
  if (same) return 1;
  const B = info.shape[0] ?? 1;
  const fits = t.shape.length === info.shape.length && t.shape.slice(1).every((d, i) => d === info.shape[i + 1]) && t.shape[0]! % B === 0;
  if (!fits || t.dtype !== info.dtype)
    throw userError('E_DATASET', `${where}: input '${info.name}' needs ${info.dtype} ${formatShape(info.shape)} (or N of them along dimension 0), got ${t.dtype} ${formatShape(t.shape)}`);
  return t.shape[0]! / B;
}

/** Run k's slice of a batched feed. */
export function sliceRun(info: ValueInfo, t: Tensor, k: number): Tensor {
  const n = sizeOf(info.shape);
  return makeTensor(t.dtype, info.shape, t.data.subarray(k * n, (k + 1) * n));
}

export interface BatchedRun {
  readonly outputs: Tensor[];
  /** Every node output, stacked over the runs (when asked for with `keepAll`). */
  readonly layers: Map<string, Tensor>;
}

export function runBatched(graph: Graph, feeds: ReadonlyMap<string, Tensor>, onRun?: (k: number, runs: number) => void, ctx?: EvalContext, keepAll = false): BatchedRun {
  const runs = new Set(graph.inputs.map((info) => runsFor(info, feeds.get(info.name) ?? missing(info), 'run')));
  if (runs.size > 1) throw userError('E_DATASET', `the input files hold different numbers of samples (${[...runs].join(', ')} runs)`);
  const count = runs.size === 0 ? 1 : [...runs][0]!;
  const results: Tensor[][] = [];
  const layerNames = keepAll ? graph.nodes.flatMap((n) => n.outputs) : [];
  const layerParts = new Map<string, Tensor[]>(layerNames.map((n) => [n, []]));
  for (let k = 0; k < count; k++) {
    const run = new Map(graph.inputs.map((info) => [info.name, sliceRun(info, feeds.get(info.name)!, k)]));
    const env = runGraph(graph, run, ctx);
    results.push(graph.outputs.map((o) => env.get(o)!));
    for (const n of layerNames) layerParts.get(n)!.push(env.get(n)!);
    onRun?.(k + 1, count);
  }
  return {
    outputs: graph.outputs.map((_, o) => stack(results.map((r) => r[o]!))),
    layers: new Map([...layerParts].map(([n, parts]) => [n, stack(parts)])),
  };
}

function missing(info: ValueInfo): never {
  throw userError('E_USAGE', `no data for graph input '${info.name}' (${info.dtype} ${formatShape(info.shape)}); give --input ${info.name}=FILE.npy`);
}

/** Concatenates along dimension 0 (or adds one when the outputs have no batch dimension to grow). */
function stack(parts: readonly Tensor[]): Tensor {
  const first = parts[0]!;
  if (parts.length === 1) return first;
  const shape = first.shape.length > 0 ? [first.shape[0]! * parts.length, ...first.shape.slice(1)] : [parts.length];
  const out = makeTensor(first.dtype, shape);
  parts.forEach((p, k) => out.data.set(p.data, k * p.data.length));
  return out;
}
