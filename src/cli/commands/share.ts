/** `adequate share DIR --clusters K --granularity network|layer|channel|kernel -o OUT [--prune F]`: weight sharing
 *  (src/passes/share-weights.ts, docs/sharing.md). Saves the shared IR, prints per-layer codebooks, index bits,
 *  weight memory and clustering error, and top-1 before and after when the model has labelled test data. */
import type { CommandModule } from 'yargs';
import { userError } from '../../errors.js';
import { evaluateParallel } from '../../golden/parallel.js';
import { isShareable, weightMemory } from '../../ir/sharing.js';
import { saveIr } from '../../ir/serialize.js';
import type { Graph, SharingGranularity } from '../../ir/types.js';
import { writeDirAtomically } from '../../io/atomic-dir.js';
import { claimOutput } from '../../io/output-guard.js';
import { FORCE_OPTION, intOption, numberOption } from '../options.js';
import type { Dataset } from '../../io/dataset.js';
import { shareWeights } from '../../passes/share-weights.js';
import { copyDatasetConfig } from '../dataset-copy.js';
import { loadDatasetFor, withDatasetOptions, type DatasetArgs } from '../dataset-options.js';
import { loadModel, withModelOptions, type ModelArgs } from '../load.js';
import { startProgress } from '../progress.js';
import { formatTable, groupDigits } from '../table.js';

export const GRANULARITIES = ['network', 'layer', 'channel', 'kernel'] as const;

interface Args extends ModelArgs, DatasetArgs {
  model: string;
  out: string;
  clusters: number;
  granularity: SharingGranularity;
  prune?: number;
  'eval-limit': number;
  json?: boolean;
  force?: boolean;
}

export const shareCommand: CommandModule<object, Args> = {
  command: 'share <model>',
  describe: 'weight sharing: cluster each layer\'s weights into codebooks (exact 1-D k-means), optional pruning',
  builder: (y) =>
    withDatasetOptions(withModelOptions(y))
      .positional('model', { type: 'string', demandOption: true, describe: 'an IR folder (float or quantized) or a .onnx file' })
      .option('out', { alias: 'o', type: 'string', demandOption: true, describe: 'output IR folder' })
      .option('clusters', intOption('clusters', { alias: 'k', demandOption: true, min: 1, describe: 'codebook entries per group (2^bits for bits-wide indices)' }))
      .option('granularity', { choices: GRANULARITIES, default: 'layer' as const, describe: 'one codebook for the network, per layer, per output channel, or per kernel' })
      .option('prune', numberOption('prune', { min: 0, below: 1, describe: 'fraction of each layer\'s smallest-magnitude weights set to zero (entry 0 of every codebook)' }))
      .option('eval-limit', intOption('eval-limit', { default: 2000, min: 0, describe: 'with labelled test data: top-1 before and after on up to N samples (0: skip)' }))
      .option('force', FORCE_OPTION)
      .option('json', { type: 'boolean', describe: 'print the result as JSON' }) as never,
  handler: async (args) => {
    const out = claimOutput(args.out, { command: 'share', inputs: [args.model, args.inputs, args.labels], force: args.force });
    const graph = loadModel(args.model, args);
    const { graph: shared, stats } = shareWeights.run(graph, { clusters: args.clusters, granularity: args.granularity, ...(args.prune !== undefined ? { prune: args.prune } : {}) });
    // The output appears only when the whole command succeeded, accuracy measurement included.
    const accuracy = await measure(args, graph, shared);
    await writeDirAtomically(out, (tmp) => {
      saveIr(tmp, shared);
      copyDatasetConfig(args.model, tmp);
    });
    const result = shareReport(args, graph, shared, stats, accuracy);
    if (args.json) console.log(JSON.stringify(result, null, 2));
    else printReport(result);
  },
};

interface Accuracy {
  readonly before_top1: number;
  readonly after_top1: number;
  readonly drop_points: number;
  readonly count: number;
}

async function measure(args: Args, before: Graph, after: Graph): Promise<Accuracy | undefined> {
  if (!(args['eval-limit'] > 0)) return undefined;
  if (args.inputs !== undefined && args.labels === undefined) throw userError('E_USAGE', '--inputs without --labels: give --labels to measure accuracy, or --eval-limit 0');
  let data: Dataset;
  try {
    data = loadDatasetFor(args.model, { ...args, limit: args['eval-limit'] }, before.inputs[0]!.shape, 'test');
  } catch (e) {
    if (args.inputs !== undefined) throw e;
    return undefined; // no dataset.json next to the model: nothing to measure on
  }
  if (!data.labels) return undefined;
  const progress = startProgress('evaluate', 2 * data.count);
  const b = await evaluateParallel(before, data, { multiplierLibrary: undefined, onProgress: (d) => progress.tick(d) });
  const a = await evaluateParallel(after, data, { multiplierLibrary: undefined, onProgress: (d) => progress.tick(data.count + d) });
  progress.end();
  return { before_top1: b.top1, after_top1: a.top1, drop_points: +(100 * (b.top1 - a.top1)).toFixed(3), count: data.count };
}

function shareReport(args: Args, before: Graph, after: Graph, stats: Readonly<Record<string, number>>, accuracy: Accuracy | undefined) {
  const memBefore = weightMemory(before), memAfter = weightMemory(after);
  const layers = after.nodes.filter(isShareable).filter((n) => n.attrs.sharing).map((n) => {
    const w0 = before.constants.get(before.nodes.find((m) => m.name === n.name)!.inputs[1]!)!.data, w1 = after.constants.get(n.inputs[1]!)!.data;
    let mean = 0, spread = 0, sse = 0;
    for (const v of w0) mean += v / w0.length;
    for (let i = 0; i < w0.length; i++) [spread, sse] = [spread + (w0[i]! - mean) ** 2, sse + (w0[i]! - w1[i]!) ** 2];
    const s = n.attrs.sharing!;
    return {
      layer: n.name, op: n.op, granularity: s.granularity, codebooks: s.codebooks.length, max_entries: Math.max(...s.codebooks.map((c) => c.length)), index_bits: s.indexBits,
      weight_bits_before: memBefore.find((m) => m.name === n.name)!.bits, weight_bits_after: memAfter.find((m) => m.name === n.name)!.bits,
      sse, relative_sse: spread > 0 ? sse / spread : 0,
    };
  });
  const total = (m: typeof memBefore) => m.reduce((s, l) => s + l.bits, 0);
  const weights = memBefore.reduce((s, l) => s + l.weights, 0);
  return {
    out: args.out, clusters: args.clusters, granularity: args.granularity, prune: args.prune ?? 0, pruned_weights: stats.prunedWeights ?? 0,
    layers,
    weight_bits: { before: total(memBefore), after: total(memAfter), at_8_bits: 8 * weights },
    compression: +(total(memBefore) / total(memAfter)).toFixed(3),
    compression_vs_8bit: +((8 * weights) / total(memAfter)).toFixed(3),
    ...(accuracy ? { accuracy } : {}),
  };
}

function printReport(r: ReturnType<typeof shareReport>): void {
  console.log(formatTable(
    ['layer', 'op', 'codebooks', 'entries', 'index bits', 'bits before', 'bits after', 'rel. SSE'],
    r.layers.map((l) => [l.layer, l.op, l.codebooks, l.max_entries, l.index_bits, groupDigits(l.weight_bits_before), groupDigits(l.weight_bits_after), l.relative_sse.toPrecision(3)]),
  ));
  console.log(`shared ${r.layers.length} layers at ${r.granularity} granularity, ${r.clusters} clusters${r.prune ? `, ${r.pruned_weights} weights pruned (${r.prune})` : ''} -> ${r.out}`);
  console.log(`weight memory ${groupDigits(r.weight_bits.before)} -> ${groupDigits(r.weight_bits.after)} bits (${r.compression}x; ${r.compression_vs_8bit}x against 8-bit weights)`);
  const a = r.accuracy;
  if (a) console.log(`top-1 on ${a.count} test samples: before ${(100 * a.before_top1).toFixed(2)}%, shared ${(100 * a.after_top1).toFixed(2)}% (drop ${a.drop_points.toFixed(2)} points)`);
}
