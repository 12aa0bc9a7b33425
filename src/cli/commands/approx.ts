/** `adequate approx QDIR --inputs X --labels Y --tiles T --library L -o OUT`: ALWANN approximate-multiplier binding
 *  (src/dse/approx/, docs/approx.md). Writes the chosen design as an IR, pareto.json and pareto.svg. */
import type { CommandModule } from 'yargs';
import { userError } from '../../errors.js';
import { evaluateParallel } from '../../golden/parallel.js';
import { arithmeticOf } from '../../ir/stats.js';
import type { Graph } from '../../ir/types.js';
import type { Dataset } from '../../io/dataset.js';
import { bindMultipliers } from '../../passes/bind-multipliers.js';
import { createRunner, queueRunner } from '../../dse/approx/pool.js';
import { bestWithin, designBindings, explore, type Candidate, type ExploredDesign, type LayerInfo } from '../../dse/approx/explore.js';
import { layerInfo, libraryCandidates } from '../../dse/approx/setup.js';
import type { WeightUpdateMode } from '../../dse/approx/weight-update.js';
import { loadDatasetFor, loadHoldout, withDatasetOptions, type DatasetArgs } from '../dataset-options.js';
import { writeExplorationDir } from '../exploration-output.js';
import { loadModel } from '../load.js';
import { openQueue, queueSummary, withQueueOptions, workersNote, type QueueArgs } from '../queue-options.js';
import { startProgress, type Progress } from '../progress.js';
import { formatTable } from '../table.js';

interface Args extends DatasetArgs, QueueArgs {
  model: string;
  out: string;
  tiles: number;
  library: string;
  mode: 'free' | 'ordered';
  pop: number;
  gen: number;
  seed: number;
  'max-drop': number;
  confidence: number;
  'max-energy'?: number;
  'weight-update': WeightUpdateMode;
  eval: number;
  holdout: number;
  pick?: number;
  json?: boolean;
}

export const approxCommand: CommandModule<object, Args> = {
  command: 'approx <model>',
  describe: 'bind approximate multipliers to tiles and layers (ALWANN: NSGA-II + weight update)',
  builder: (y) =>
    withQueueOptions(withDatasetOptions(y))
      .positional('model', { type: 'string', demandOption: true, describe: 'a quantized IR folder (adequate quantize)' })
      .option('out', { alias: 'o', type: 'string', demandOption: true, describe: 'output IR folder (chosen design, pareto.json, pareto.svg)' })
      .option('tiles', { type: 'number', default: 3, describe: 'compute tiles, each with one multiplier' })
      .option('library', { type: 'string', default: 'builtin', describe: 'builtin, evoapprox, generated, or a library folder' })
      .option('mode', { choices: ['free', 'ordered'] as const, default: 'free' as const, describe: 'free: any layer on any tile; ordered: consecutive layers share a tile' })
      .option('pop', { type: 'number', default: 32 })
      .option('gen', { type: 'number', default: 20 })
      .option('seed', { type: 'number', default: 1 })
      .option('max-drop', { type: 'number', default: 0.5, describe: 'accuracy points the chosen design may lose against exact' })
      .option('max-energy', { type: 'number', describe: 'constraint on relative multiplier energy (exact = 1)' })
      .option('weight-update', { choices: ['none', 'uniform', 'histogram'] as const, default: 'histogram' as const, describe: 'retraining-free weight compensation' })
      .option('eval', { type: 'number', default: 2000, describe: 'evaluation images the search uses' })
      .option('holdout', { type: 'number', default: 5000, describe: 'images after those for the final report (never seen by the search)' })
      .option('confidence', { type: 'number', default: 2, describe: 'standard errors of the measured top-1 kept below --max-drop when the design is chosen, so that the bound holds on images the search never saw (0: none)' })
      .option('pick', { type: 'number', describe: 'choose front design N (0 = lowest energy) instead of the max-drop rule' })
      .option('json', { type: 'boolean' }) as never,
  handler: async (args) => {
    const graph = loadModel(args.model);
    if (arithmeticOf(graph) !== 'integer') throw userError('E_DSE', `${args.model} is not a quantized IR; run adequate quantize first`);
    const layerNodes = graph.nodes.filter((n) => n.op === 'QConv' || n.op === 'QGemm');
    const wide = layerNodes.find((n) => graph.constants.get(n.inputs[1]!)!.dtype === 'int32');
    if (wide) throw userError('E_DSE', `layer '${wide.name}' has codes wider than 8 bits; 8x8 multipliers need 8-bit weights and activations`);
    if (!(Number.isInteger(args.tiles) && args.tiles >= 1)) throw userError('E_USAGE', `--tiles ${args.tiles} must be a positive integer`);
    if (!(args.confidence >= 0)) throw userError('E_USAGE', `--confidence ${args.confidence} must be a number >= 0 (standard errors)`);
    if (args.tiles > layerNodes.length) throw userError('E_DSE', `--tiles ${args.tiles} is more than the ${layerNodes.length} conv/dense layers; use at most ${layerNodes.length}`);
    const signed = graph.constants.get(layerNodes[0]!.inputs[1]!)!.dtype === 'int8';
    const library = libraryCandidates(args.library, signed);
    const input = graph.inputs[0]!;
    const evalData = loadDatasetFor(args.model, { ...args, limit: args.eval }, input.shape, 'test');
    if (!evalData.labels) throw userError('E_DATASET', 'the exploration needs labels: give --labels');
    const layers = layerInfo(graph, layerNodes.map((n) => n.name), calibrationSamples(args, input.shape, evalData).inputs);
    const queue = await openQueue(args);
    const runner = queue ? await queueRunner(queue, graph, evalData.inputs, evalData.labels, library, layers, args['weight-update']) : createRunner(graph, evalData.inputs, evalData.labels, library, layers, args['weight-update']);
    // Two bars: the seed designs of the first generation (every single-multiplier design, measured in full: the
    // longest generation), then the generations, whose rate and ETA the first one would otherwise distort.
    const seeds = startProgress('seed designs', library.length);
    let progress: Progress | undefined;
    let best = '', generation = 0;
    const result = await explore(runner, layers, library, {
      tiles: args.tiles, mode: args.mode, pop: args.pop, gen: args.gen, seed: args.seed, weightUpdate: args['weight-update'], maxDrop: args['max-drop'], confidence: args.confidence,
      ...(args['max-energy'] !== undefined ? { maxEnergy: args['max-energy'] } : {}),
      onGeneration: (g, _total, evals, b) => {
        [generation, best] = [g, b ? `, best ${(100 * b.top1).toFixed(2)}% at energy ${b.relativeEnergy.toFixed(3)}` : ''];
        if (!progress) {
          seeds.end(`(${evals} designs${best})`);
          progress = startProgress('explore', args.gen);
        }
        progress.tick(g, `${evals} designs${best}`);
      },
      onDesign: (n) => (progress ? progress.tick(generation, `${n} designs${best}${workersNote(queue)}`) : seeds.tick(Math.min(n, library.length), `designs${best}${workersNote(queue)}`)),
    }).finally(() => runner.close());
    queueSummary(queue, 'approx');
    (progress ?? seeds).end(`(${result.evaluations} designs, ${result.fullEvaluations} on the full set)`);
    // The exact design always keeps the bound (it is the reference), even when the front no longer holds it.
    const candidates = result.exact.full && !result.front.includes(result.exact) ? [...result.front, result.exact] : result.front;
    const chosen = args.pick !== undefined ? result.front[args.pick] : bestWithin(candidates, result.exactTop1, args['max-drop'], args.confidence, evalData.count);
    if (chosen && chosen === result.exact && args.pick === undefined)
      process.stderr.write(`approx: no approximate design keeps --max-drop ${args['max-drop']} with --confidence ${args.confidence} on ${evalData.count} images; the exact design is chosen (more --eval images, a larger --max-drop or a lower --confidence let approximate ones in)\n`);
    if (!chosen) throw userError('E_DSE', `no design on the front ${args.pick !== undefined ? `has index ${args.pick}` : `loses at most ${args['max-drop']} points with --confidence ${args.confidence}`}; raise --max-drop or --gen, or lower --confidence`);
    const bound = bindMultipliers.run(graph, { layers: designBindings(chosen.perLayer, layers, library, args['weight-update'], undefined, chosen.layerTile) }).graph;
    const withoutUpdate = bindMultipliers.run(graph, { layers: designBindings(chosen.perLayer, layers, library, 'none', undefined, chosen.layerTile) }).graph;
    const holdout = loadHoldout(args.model, args, args.holdout, input.shape, evalData);
    const measure = async (g: Graph) => (holdout ? (await evaluateParallel(g, holdout, { multiplierLibrary: args.library.includes('/') ? args.library : undefined })).top1 : undefined);
    const held = { exact: await measure(graph), chosen: await measure(bound), chosen_without_weight_update: await measure(withoutUpdate), count: holdout?.count ?? 0 };
    const report = paretoReport(args, evalData.count, result, chosen, layers, library, held);
    // The file holds no timings, so the same inputs and seed give the same bytes; --json prints them too.
    const { seconds: _s, designs_per_second: _r, ...saved } = report;
    void _s, _r;
    const point = (d: ExploredDesign) => ({ energy: d.relativeEnergy, top1: d.top1 });
    await writeExplorationDir(args.out, args.model, bound, saved, {
      title: `${graph.name}: ${args.tiles} tiles, ${args.mode} assignment, ${library.length} multipliers`,
      xLabel: 'relative multiplier energy (exact = 1)',
      evaluationImages: evalData.count, baselineTop1: result.exactTop1,
      all: result.designs.filter((d) => d.full).map(point), front: result.front.map(point), chosen: point(chosen),
    });
    if (args.json) console.log(JSON.stringify(report, null, 2));
    else printReport(report);
  },
};

/** Up to 200 calibration samples (the model's calib split, else the evaluation samples) for activation histograms. */
function calibrationSamples(args: Args, shape: readonly number[], evalData: Dataset): Dataset {
  if (args.inputs !== undefined) return evalData;
  try {
    return loadDatasetFor(args.model, { ...args, limit: 200 }, shape, 'calib');
  } catch {
    return evalData;
  }
}

interface HeldOut {
  readonly exact: number | undefined;
  readonly chosen: number | undefined;
  readonly chosen_without_weight_update: number | undefined;
  readonly count: number;
}

function describe(d: ExploredDesign, layers: readonly LayerInfo[], library: readonly Candidate[]) {
  return {
    genome: d.genome,
    top1: d.top1,
    relative_energy: +d.relativeEnergy.toFixed(6),
    tiles: d.tiles.map((m) => library[m]!.id),
    layers: layers.map((l, i) => ({ layer: l.name, tile: d.layerTile[i], multiplier: library[d.perLayer[i]!]!.id, macs: l.macs })),
  };
}

function paretoReport(args: Args, evalCount: number, r: Awaited<ReturnType<typeof explore>>, chosen: ExploredDesign, layers: readonly LayerInfo[], library: readonly Candidate[], held: HeldOut) {
  return {
    model: args.model,
    tiles: args.tiles,
    mode: args.mode,
    weight_update: args['weight-update'],
    library: args.library,
    multipliers: library.length,
    evaluation_images: evalCount,
    exact_top1: r.exactTop1,
    max_drop: args['max-drop'],
    confidence: args.confidence,
    evaluations: r.evaluations,
    full_evaluations: r.fullEvaluations,
    seconds: +r.seconds.toFixed(1),
    designs_per_second: +(r.evaluations / r.seconds).toFixed(2),
    front: r.front.map((d) => describe(d, layers, library)),
    chosen: { ...describe(chosen, layers, library), heldout: held },
  };
}

function printReport(rep: ReturnType<typeof paretoReport>): void {
  console.log(formatTable(
    ['#', 'top-1 %', 'energy', 'tiles'],
    rep.front.map((d, i) => [i, (100 * d.top1).toFixed(2), d.relative_energy.toFixed(3), d.tiles.filter((t, k) => d.layers.some((l) => l.tile === k) && t).join(', ')]),
  ));
  const h = rep.chosen.heldout;
  console.log(`exact: ${(100 * rep.exact_top1).toFixed(2)}% on the evaluation images; ${rep.evaluations} designs in ${rep.seconds}s (${rep.full_evaluations} on the full set)`);
  console.log(`chosen: energy ${rep.chosen.relative_energy.toFixed(3)} (saves ${(100 * (1 - rep.chosen.relative_energy)).toFixed(1)}%), top-1 ${(100 * rep.chosen.top1).toFixed(2)}%` +
    (h.chosen !== undefined ? `; on ${h.count} held-out images: ${(100 * h.chosen).toFixed(2)}% (exact ${(100 * h.exact!).toFixed(2)}%, without weight update ${(100 * h.chosen_without_weight_update!).toFixed(2)}%)` : ''));
  for (const l of rep.chosen.layers) console.log(`  ${l.layer}: tile ${l.tile}, ${l.multiplier}`);
}
