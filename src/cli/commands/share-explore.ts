/** `adequate share-explore DIR --inputs X --labels Y -o OUT`: multi-objective exploration of per-layer weight sharing
 *  (src/dse/share/, docs/sharing.md), accuracy against weight memory, with the clustering-error proxy deciding which
 *  designs get an accuracy evaluation. Writes the chosen design as an IR, pareto.json and pareto.svg. */
import type { CommandModule } from 'yargs';
import { userError } from '../../errors.js';
import { evaluateParallel } from '../../golden/parallel.js';
import { withSharedLayers } from '../../passes/share-weights.js';
import { shareChunkCount, SharingEvaluator } from '../../dse/share/evaluator.js';
import { localShareRunner, queueShareRunner } from '../../dse/share/pool.js';
import { exploreSharing, type ShareExploreResult, type SharedDesign } from '../../dse/share/explore.js';
import { chooseOnSelection, selectionReport, splitLabelled } from '../../dse/selection.js';
import { sliceDataset } from '../../io/dataset.js';
import { ShareSpace, type ExploredGranularity } from '../../dse/share/space.js';
import { loadDatasetFor, loadHoldout, requireLabels, withDatasetOptions, type DatasetArgs } from '../dataset-options.js';
import { writeExplorationDir } from '../exploration-output.js';
import { claimOutput } from '../../io/output-guard.js';
import { checkPick, FORCE_OPTION, intOption, numberOption } from '../options.js';
import { loadModel } from '../load.js';
import { startProgress, type Progress } from '../progress.js';
import { openQueue, queueSummary, withQueueOptions, workersNote, type QueueArgs } from '../queue-options.js';
import { formatTable, groupDigits } from '../table.js';

interface Args extends DatasetArgs, QueueArgs {
  model: string;
  out: string;
  granularities: string;
  'max-bits': number;
  pop: number;
  gen: number;
  seed: number;
  'max-drop': number;
  confidence: number;
  selection: number;
  eval: number;
  holdout: number;
  pick?: number;
  json?: boolean;
  force?: boolean;
}

export const shareExploreCommand: CommandModule<object, Args> = {
  command: 'share-explore <model>',
  describe: 'explore per-layer weight sharing (index width, granularity): accuracy against weight memory (NSGA-II + proxy)',
  builder: (y) =>
    withQueueOptions(withDatasetOptions(y))
      .positional('model', { type: 'string', demandOption: true, describe: 'an IR folder (quantized, or float)' })
      .option('out', { alias: 'o', type: 'string', demandOption: true, describe: 'output IR folder (chosen design, pareto.json, pareto.svg)' })
      .option('granularities', { type: 'string', default: 'layer,channel,kernel', describe: 'granularities a layer may take (comma-separated: layer, channel, kernel)' })
      .option('max-bits', intOption('max-bits', { default: 8, min: 1, max: 16, describe: 'widest index (2^bits clusters); 0 bits = layer not shared' }))
      .option('pop', intOption('pop', { default: 32, min: 2, describe: 'designs per generation' }))
      .option('gen', intOption('gen', { default: 20, min: 0, describe: 'generations' }))
      .option('seed', intOption('seed', { default: 1 }))
      .option('max-drop', numberOption('max-drop', { default: 0.5, min: 0, describe: 'accuracy points the chosen design may lose against the unshared one' }))
      .option('confidence', numberOption('confidence', { default: 1, min: 0, describe: 'standard errors of the paired drop against the unshared design, on the selection images, kept below --max-drop (docs/selection.md; 0: none)' }))
      .option('eval', intOption('eval', { alias: 'count', default: 2000, min: 2, describe: 'labelled images for the search and the choice (split by --selection)' }))
      .option('selection', numberOption('selection', { default: 0.5, above: 0, below: 1, describe: 'fraction of the --eval images kept from the search to choose the design on (docs/selection.md)' }))
      .option('holdout', intOption('holdout', { default: 5000, min: 0, describe: 'images after those for the final report (used by neither the search nor the choice)' }))
      .option('pick', intOption('pick', { min: 0, describe: 'choose front design N (0 = least memory) instead of the max-drop rule; below --pop' }))
      .option('force', FORCE_OPTION)
      .option('json', { type: 'boolean' })
      .check((a) => checkPick(a.pick, a.pop)) as never,
  handler: async (args) => {
    const out = claimOutput(args.out, { command: 'share-explore', inputs: [args.model, args.inputs, args.labels], force: args.force });
    const graph = loadModel(args.model);
    const granularities = parseGranularities(args.granularities);
    for (const [flag, v, min] of [['--pop', args.pop, 2], ['--gen', args.gen, 0], ['--eval', args.eval, 1]] as const)
      if (!(Number.isInteger(v) && v >= min)) throw userError('E_USAGE', `${flag} ${v} must be an integer >= ${min}`);
    if (!(args.confidence >= 0)) throw userError('E_USAGE', `--confidence ${args.confidence} must be a number >= 0 (standard errors)`);
    if (!(args.selection > 0 && args.selection < 1)) throw userError('E_USAGE', `--selection ${args.selection} must be a fraction between 0 and 1 (of the --eval images)`);
    const space = new ShareSpace(graph, granularities, args['max-bits']);
    const input = graph.inputs[0]!;
    const evalData = loadDatasetFor(args.model, { ...args, limit: args.eval }, input.shape, 'test');
    requireLabels(graph, evalData, 'the exploration');
    if (evalData.count < 2) throw userError('E_DATASET', `the exploration needs at least 2 labelled images (some to search, some to choose); --eval gave ${evalData.count}`);
    const split = splitLabelled(evalData.count, args.selection);
    const searchData = sliceDataset(evalData, 0, split.search), selectionData = sliceDataset(evalData, split.search, evalData.count);
    const layerNames = space.layers.map((l) => l.node.name);
    const queue = await openQueue(args);
    const runner = queue
      ? await queueShareRunner(queue, graph, { granularities, maxBits: args['max-bits'], layerNames, labels: searchData.labels! }, searchData.inputs, shareChunkCount(graph, searchData.count))
      : localShareRunner(new SharingEvaluator(graph, layerNames, searchData.inputs, searchData.labels!));
    let progress: Progress | undefined;
    const result = await exploreSharing(space, runner, {
      pop: args.pop, gen: args.gen, seed: args.seed, maxDrop: args['max-drop'],
      onGeneration: (g, total, info) => (progress ??= startProgress('explore', total)).tick(g, `${info.evaluations} designs, ${info.measured} measured${info.best ? `, best ${(100 * info.best.top1).toFixed(2)}% at ${(info.best.relativeMemory * 100).toFixed(1)}% memory` : ''}${workersNote(queue)}`),
    }).finally(() => queue?.close());
    progress?.end(`(${result.evaluations} designs: ${result.accuracyEvaluations} measured, ${result.fullEvaluations} in full, ${result.proxyOnly} scored by the proxy alone)`);
    queueSummary(queue, 'share-explore');
    const sharedGraph = (d: SharedDesign) => withSharedLayers(graph, new Map(space.options(d.genome).flatMap((o, i) => (o.shared ? [[space.layers[i]!.node.name, o.shared] as const] : []))));
    const predict = async (g: typeof graph) => (await evaluateParallel(g, selectionData, { multiplierLibrary: undefined })).predictions;
    // The choice: the front's shared designs, most memory first, re-measured on the selection images against the
    // unshared design on the same images (src/dse/selection.ts); the unshared design when none passes.
    const unshared = result.designs.find((d) => d.keys.every((k) => k === ''))!;
    const selectionOpts = { maxDrop: args['max-drop'], confidence: args.confidence };
    const selection = args.pick !== undefined ? undefined
      : await chooseOnSelection(result.front.filter((d) => d.full && d !== unshared).sort((a, b) => b.memoryBits - a.memoryBits), (d) => predict(sharedGraph(d)), await predict(graph), selectionData.labels!, selectionOpts);
    const chosen = args.pick !== undefined ? result.front[args.pick] : (selection!.chosen ?? unshared);
    if (!chosen) throw userError('E_DSE', `no design on the front has index ${args.pick}; the front has ${result.front.length} designs`);
    if (chosen === unshared && args.pick === undefined)
      process.stderr.write(`share-explore: no shared design keeps --max-drop ${args['max-drop']} with --confidence ${args.confidence} on the ${split.selection} selection images; the unshared design is chosen\n`);
    const shared = sharedGraph(chosen);
    const holdout = loadHoldout(args.model, args, args.holdout, input.shape, evalData);
    const measure = async (g: typeof graph) => (holdout ? (await evaluateParallel(g, holdout, { multiplierLibrary: undefined })).top1 : undefined);
    const held = { unshared: await measure(graph), chosen: await measure(shared), count: holdout?.count ?? 0 };
    const describeShort = (d: SharedDesign) => ({ relative_memory: +d.relativeMemory.toFixed(6), keys: d.keys });
    const selectionJson = selection ? selectionReport(split, selection, selectionOpts, describeShort) : { search_images: split.search, selection_images: split.selection, picked: args.pick };
    const trial = selection?.trials.find((t) => t.candidate === chosen);
    const report = paretoReport(args, space, split.search, result, chosen, held, selectionJson, trial ? { paired_drop: trial.paired.drop, bound: trial.paired.bound, selection_top1: trial.paired.top1 } : undefined);
    // The file holds no timings, so the same inputs and seed give the same bytes; --json prints them too.
    const { seconds: _s, ...saved } = report;
    void _s;
    const point = (d: SharedDesign) => ({ energy: d.relativeMemory, top1: d.top1 });
    await writeExplorationDir(out, args.model, shared, saved, {
      title: `${graph.name}: weight sharing (${granularities.join(', ')}), ${result.accuracyEvaluations} accuracy evaluations`,
      xLabel: 'relative weight memory (unshared = 1)',
      evaluationImages: split.search, baselineTop1: result.exactTop1,
      all: result.designs.filter((d) => d.full).map(point), front: result.front.map(point), chosen: point(chosen),
    });
    if (args.json) console.log(JSON.stringify(report, null, 2));
    else printReport(report);
  },
};

function parseGranularities(text: string): ExploredGranularity[] {
  const list = text.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  for (const g of list) if (g !== 'layer' && g !== 'channel' && g !== 'kernel') throw userError('E_USAGE', `--granularities: '${g}' is not one of layer, channel, kernel (network sharing is one codebook for all layers: use adequate share)`);
  return [...new Set(list)] as ExploredGranularity[];
}

function describe(d: SharedDesign, space: ShareSpace) {
  const options = space.options(d.genome);
  const weights = space.layers.reduce((s, l) => s + l.weights, 0);
  return {
    genome: d.genome,
    top1: d.top1,
    weight_bits: d.memoryBits,
    relative_memory: +d.relativeMemory.toFixed(6),
    compression_vs_8bit: +((8 * weights) / d.memoryBits).toFixed(3),
    layers: space.layers.map((l, i) => ({
      layer: l.node.name,
      index_bits: options[i]!.shared?.sharing.indexBits ?? 0,
      granularity: options[i]!.shared?.sharing.granularity ?? 'unshared',
      weight_bits: options[i]!.bits,
      relative_sse: +options[i]!.error.toPrecision(4),
    })),
  };
}

function paretoReport(
  args: Args, space: ShareSpace, evalCount: number, r: ShareExploreResult, chosen: SharedDesign, held: { unshared: number | undefined; chosen: number | undefined; count: number },
  selection: object, chosenPaired: { paired_drop: number; bound: number; selection_top1: number } | undefined,
) {
  return {
    model: args.model,
    granularities: space.granularities,
    max_bits: space.maxBits,
    evaluation_images: evalCount,
    exact_top1: r.exactTop1,
    unshared_weight_bits: space.plainBits,
    evaluations: r.evaluations,
    accuracy_evaluations: r.accuracyEvaluations,
    full_accuracy_evaluations: r.fullEvaluations,
    proxy_only: r.proxyOnly,
    evaluation_sets: r.evaluationSets,
    seconds: +r.seconds.toFixed(1),
    proxy: r.dropModel ? { sensitivity: space.layers.map((l, i) => ({ layer: l.node.name, beta: +r.dropModel!.beta[i]!.toPrecision(4) })), margin: +r.dropModel.margin.toPrecision(4) } : undefined,
    front: r.front.map((d) => describe(d, space)),
    selection,
    chosen: { ...describe(chosen, space), ...(chosenPaired ?? {}), heldout: held },
  };
}

function printReport(rep: ReturnType<typeof paretoReport>): void {
  console.log(formatTable(
    ['#', 'top-1 %', 'memory', 'vs 8-bit', 'layers (index bits, granularity)'],
    rep.front.map((d, i) => [i, (100 * d.top1).toFixed(2), (100 * d.relative_memory).toFixed(1) + '%', d.compression_vs_8bit.toFixed(2) + 'x', d.layers.map((l) => (l.index_bits === 0 ? '-' : `${l.index_bits}${l.granularity[0]}`)).join(' ')]),
  ));
  const h = rep.chosen.heldout;
  console.log(`unshared: ${(100 * rep.exact_top1).toFixed(2)}% on ${rep.evaluation_images} evaluation images, ${groupDigits(rep.unshared_weight_bits)} weight bits; ${rep.evaluations} designs in ${rep.seconds}s: ${rep.accuracy_evaluations} measured (${rep.full_accuracy_evaluations} on every image, the rest stopped early), ${rep.proxy_only} scored by the proxy alone; ${rep.evaluation_sets} evaluation sets of images in all`);
  console.log(`chosen: ${groupDigits(rep.chosen.weight_bits)} weight bits (${rep.chosen.compression_vs_8bit}x against 8-bit weights), top-1 ${(100 * rep.chosen.top1).toFixed(2)}%` +
    (h.chosen !== undefined ? `; on ${h.count} held-out images: ${(100 * h.chosen).toFixed(2)}% (unshared ${(100 * h.unshared!).toFixed(2)}%)` : ''));
  for (const l of rep.chosen.layers) console.log(`  ${l.layer}: ${l.index_bits === 0 ? 'not shared' : `${l.index_bits}-bit indices, ${l.granularity}`}, ${groupDigits(l.weight_bits)} bits`);
}
