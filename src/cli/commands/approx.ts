/** `adequate approx QDIR --inputs X --labels Y --tiles T --library L -o OUT`: ALWANN approximate-multiplier binding
 *  (src/dse/approx/, docs/approx.md). Writes the chosen design as an IR, pareto.json and pareto.svg; with no layer of
 *  8-bit weights and activations, the IR unchanged and a pareto.json saying why (docs/qonnx.md). */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CommandModule } from 'yargs';
import { userError } from '../../errors.js';
import { evaluateParallel } from '../../golden/parallel.js';
import { arithmeticOf } from '../../ir/stats.js';
import type { Graph, Node } from '../../ir/types.js';
import { saveIr } from '../../ir/serialize.js';
import { storedWeightBits } from '../../ir/bipolar.js';
import { writeDirAtomically } from '../../io/atomic-dir.js';
import { copyDatasetConfig } from '../dataset-copy.js';
import { sliceDataset, type Dataset } from '../../io/dataset.js';
import { bindMultipliers } from '../../passes/bind-multipliers.js';
import { createRunner, queueRunner } from '../../dse/approx/pool.js';
import { designBindings, explore, outputErrorLadder, type Candidate, type ExploredDesign, type LayerInfo } from '../../dse/approx/explore.js';
import { chooseOnSelection, selectionReport, splitLabelled } from '../../dse/selection.js';
import { layerInfo, libraryCandidates, type MultiplierCost } from '../../dse/approx/setup.js';
import type { Compensation, WeightUpdateMode } from '../../dse/approx/weight-update.js';
import { loadDatasetFor, loadHoldout, requireLabels, withDatasetOptions, type DatasetArgs } from '../dataset-options.js';
import { claimOutput, type OutputClaim } from '../../io/output-guard.js';
import { requireLibraryDir } from '../../multipliers/store.js';
import { checkPick, FORCE_OPTION, intOption, numberOption } from '../options.js';
import { writeExplorationDir } from '../exploration-output.js';
import { loadModel } from '../load.js';
import { openQueue, queueSummary, withQueueOptions, workersNote, type QueueArgs } from '../queue-options.js';
import { startProgress, type Progress } from '../progress.js';
import { formatTable } from '../table.js';

/** Default steps of Pareto local search after NSGA-II: none. Measured on LeNet-5 (docs/approx.md), the refinement
 *  finds designs that dominate NSGA-II's on the search images but not on unseen ones, and a denser front gives the
 *  choice (then a fixed sequence) more chances to stop early: with 3 steps, two of three runs chose the exact design. */
const REFINE_STEPS = 0;

/** The choice's candidates (docs/selection.md): the designs of the energy/output-error front (on the search images),
 *  one per energy band of ratio CANDIDATE_BAND, so a ladder from safe to aggressive ordered by how far the designs
 *  stray from the exact one. Why bands, and 0.8: the levels of the fallback sequence shrink after each failure, and
 *  on 500 selection images a good design still loses 2 images and gains none now and then; every rung is a chance of
 *  such a failure, so the ladder has few rungs (about 8 from 1 to 0.2). */
const CANDIDATE_BAND = 0.8;

interface Args extends DatasetArgs, QueueArgs {
  model: string;
  out: string;
  tiles: number;
  library: string;
  mode: 'free' | 'ordered';
  pop: number;
  gen: number;
  refine: number;
  seed: number;
  'max-drop': number;
  confidence: number;
  selection: number;
  cost: MultiplierCost;
  'max-energy'?: number;
  'weight-update': WeightUpdateMode;
  'bias-correction': boolean;
  eval: number;
  holdout: number;
  pick?: number;
  json?: boolean;
  force?: boolean;
}

export const approxCommand: CommandModule<object, Args> = {
  command: 'approx <model>',
  describe: 'bind approximate multipliers to tiles and layers (ALWANN: NSGA-II + weight update)',
  builder: (y) =>
    withQueueOptions(withDatasetOptions(y))
      .positional('model', { type: 'string', demandOption: true, describe: 'a quantized IR folder (adequate quantize)' })
      .option('out', { alias: 'o', type: 'string', demandOption: true, describe: 'output IR folder (chosen design, pareto.json, pareto.svg)' })
      .option('tiles', intOption('tiles', { default: 3, min: 1, describe: 'compute tiles, each with one multiplier' }))
      .option('library', { type: 'string', default: 'builtin', describe: 'builtin, evoapprox, generated, or a library folder' })
      .option('mode', { choices: ['free', 'ordered'] as const, default: 'free' as const, describe: 'free: any layer on any tile; ordered: consecutive layers share a tile' })
      .option('pop', intOption('pop', { default: 32, min: 2, describe: 'designs per generation' }))
      .option('gen', intOption('gen', { default: 20, min: 0, describe: 'generations' }))
      .option('refine', intOption('refine', { default: REFINE_STEPS, min: 0, describe: 'steps of local search around the front after the generations (one multiplier or one layer changed; 0: none)' }))
      .option('seed', intOption('seed', { default: 1 }))
      .option('max-drop', numberOption('max-drop', { default: 0.5, min: 0, describe: 'accuracy points the chosen design may lose against exact' }))
      .option('max-energy', numberOption('max-energy', { above: 0, describe: 'constraint on relative multiplier energy (exact = 1)' }))
      .option('cost', { choices: ['power', 'luts', 'cells'] as const, default: 'power' as const, describe: 'multiplier cost the search minimises: published 45 nm power (else switching estimate), xc7 LUTs without DSP, or CMOS transistors of the generic cells (Yosys)' })
      .option('weight-update', { choices: ['none', 'uniform', 'histogram'] as const, default: 'histogram' as const, describe: 'retraining-free weight compensation' })
      .option('bias-correction', { type: 'boolean', default: true, describe: 'lower each approximate layer\'s biases by its expected multiplier error (--no-bias-correction: off)' })
      .option('eval', intOption('eval', { default: 2000, min: 2, describe: 'labelled images for the search and the choice (split by --selection)' }))
      .option('selection', numberOption('selection', { default: 0.5, above: 0, below: 1, describe: 'fraction of the --eval images kept from the search to choose the design on (docs/selection.md)' }))
      .option('holdout', intOption('holdout', { default: 5000, min: 0, describe: 'images after those for the final report (used by neither the search nor the choice)' }))
      .option('confidence', numberOption('confidence', { default: 1, min: 0, describe: 'standard errors of the paired drop against the exact design, on the selection images, kept below --max-drop (docs/selection.md; 0: none)' }))
      .option('pick', intOption('pick', { min: 0, describe: 'choose front design N (0 = lowest energy) instead of the max-drop rule; below --pop' }))
      .option('force', FORCE_OPTION)
      .option('json', { type: 'boolean' })
      .check((a) => checkPick(a.pick, a.pop)) as never,
  handler: async (args) => {
    const libraryFolder = ['builtin', 'evoapprox', 'generated'].includes(args.library) ? undefined : requireLibraryDir(args.library);
    const out = claimOutput(args.out, { command: 'approx', inputs: [args.model, args.inputs, args.labels, libraryFolder], force: args.force });
    const graph = loadModel(args.model);
    if (arithmeticOf(graph) !== 'integer') throw userError('E_DSE', `${args.model} is not a quantized IR; run adequate quantize first`);
    // The library's multipliers are 8x8: layers with narrower codes (QONNX models) stay exact (docs/qonnx.md).
    const macNodes = graph.nodes.filter((n) => n.op === 'QConv' || n.op === 'QGemm');
    const eightBit = (n: (typeof macNodes)[number]) => (n.op === 'QConv' || n.op === 'QGemm') && n.attrs.wBits === 8 && graph.values.get(n.inputs[0]!)?.quant?.bits === 8;
    const layerNodes = macNodes.filter(eightBit);
    if (layerNodes.length === 0) {
      await passThrough(args, out, graph, macNodes);
      return;
    }
    if (layerNodes.length < macNodes.length) process.stderr.write(`approx: ${macNodes.length - layerNodes.length} layer(s) with codes narrower than 8 bits stay exact: ${macNodes.filter((n) => !eightBit(n)).map((n) => n.name).join(', ')}\n`);
    const wide = layerNodes.find((n) => graph.constants.get(n.inputs[1]!)!.dtype === 'int32');
    if (wide) throw userError('E_DSE', `layer '${wide.name}' has codes wider than 8 bits; 8x8 multipliers need 8-bit weights and activations`);
    if (!(Number.isInteger(args.tiles) && args.tiles >= 1)) throw userError('E_USAGE', `--tiles ${args.tiles} must be a positive integer`);
    if (!(args.confidence >= 0)) throw userError('E_USAGE', `--confidence ${args.confidence} must be a number >= 0 (standard errors)`);
    if (!(args.selection > 0 && args.selection < 1)) throw userError('E_USAGE', `--selection ${args.selection} must be a fraction between 0 and 1 (of the --eval images)`);
    if (args.tiles > layerNodes.length) throw userError('E_DSE', `--tiles ${args.tiles} is more than the ${layerNodes.length} conv/dense layers; use at most ${layerNodes.length}`);
    const signed = graph.constants.get(layerNodes[0]!.inputs[1]!)!.dtype === 'int8';
    const library = await libraryCandidates(args.library, signed, args.cost);
    const input = graph.inputs[0]!;
    const evalData = loadDatasetFor(args.model, { ...args, limit: args.eval }, input.shape, 'test');
    requireLabels(graph, evalData, 'the exploration');
    if (evalData.count < 2) throw userError('E_DATASET', `the exploration needs at least 2 labelled images (some to search, some to choose); --eval gave ${evalData.count}`);
    const split = splitLabelled(evalData.count, args.selection);
    const searchData = sliceDataset(evalData, 0, split.search), selectionData = sliceDataset(evalData, split.search, evalData.count);
    const layers = layerInfo(graph, layerNodes.map((n) => n.name), calibrationSamples(args, input.shape, searchData).inputs);
    const queue = await openQueue(args);
    const compensation: Compensation = { weights: args['weight-update'], bias: args['bias-correction'] };
    const runner = queue ? await queueRunner(queue, graph, searchData.inputs, searchData.labels!, library, layers, compensation) : createRunner(graph, searchData.inputs, searchData.labels!, library, layers, compensation);
    // Two bars: the seed designs of the first generation (every single-multiplier design, measured in full: the
    // longest generation), then the generations, whose rate and ETA the first one would otherwise distort.
    const seeds = startProgress('seed designs', library.length);
    let progress: Progress | undefined;
    let best = '', generation = 0;
    const result = await explore(runner, layers, library, {
      tiles: args.tiles, mode: args.mode, pop: args.pop, gen: args.gen, refine: args.refine, seed: args.seed, weightUpdate: args['weight-update'], maxDrop: args['max-drop'],
      ...(args['max-energy'] !== undefined ? { maxEnergy: args['max-energy'] } : {}),
      onGeneration: (g, _total, evals, b) => {
        [generation, best] = [g, b ? `, best ${(100 * b.top1).toFixed(2)}% at energy ${b.relativeEnergy.toFixed(3)}` : ''];
        if (!progress) {
          seeds.end(`(${evals} designs${best})`);
          progress = startProgress('explore', args.gen);
        }
        progress.tick(g, `${evals} designs${best}`);
      },
      onRefineStep: (step, steps, evals, b) => {
        best = b ? `, best ${(100 * b.top1).toFixed(2)}% at energy ${b.relativeEnergy.toFixed(3)}` : '';
        progress?.tick(args.gen, `refine step ${step}/${steps}, ${evals} designs${best}`);
      },
      onDesign: (n) => (progress ? progress.tick(generation, `${n} designs${best}${workersNote(queue)}`) : seeds.tick(Math.min(n, library.length), `designs${best}${workersNote(queue)}`)),
    }).finally(() => runner.close());
    queueSummary(queue, 'approx');
    (progress ?? seeds).end(`(${result.evaluations} designs, ${result.fullEvaluations} on the full set; refinement: ${result.refinement.designs} designs in ${result.refinement.steps} steps, ${result.refinement.frontDesigns} on the front)`);
    const libraryDir = args.library.includes('/') ? args.library : undefined;
    const bindDesign = (d: ExploredDesign, c: Compensation) => bindMultipliers.run(graph, { layers: designBindings(d.perLayer, layers, library, c, undefined, d.layerTile) }).graph;
    const predict = async (g: Graph) => (await evaluateParallel(g, selectionData, { multiplierLibrary: libraryDir })).predictions;
    // The choice: the output-error ladder, most energy first, re-measured on the selection images against the exact
    // design on the same images (src/dse/selection.ts); the exact design when none passes.
    const approximate = outputErrorLadder(result.designs, result.exactTop1, args['max-drop'], CANDIDATE_BAND);
    const selectionOpts = { maxDrop: args['max-drop'], confidence: args.confidence };
    const selection = args.pick !== undefined ? undefined
      : await chooseOnSelection(approximate, (d) => predict(bindDesign(d, compensation)), await predict(graph), selectionData.labels!, selectionOpts);
    const chosen = args.pick !== undefined ? result.front[args.pick] : (selection!.chosen ?? result.exact);
    if (chosen && chosen === result.exact && args.pick === undefined)
      process.stderr.write(`approx: no approximate design keeps --max-drop ${args['max-drop']} with --confidence ${args.confidence} on the ${split.selection} selection images; the exact design is chosen (more --eval images, a larger --max-drop or a lower --confidence let approximate ones in)\n`);
    if (!chosen) throw userError('E_DSE', `no design on the front has index ${args.pick}; the front has ${result.front.length} designs`);
    const bound = bindDesign(chosen, compensation);
    const withoutUpdate = bindDesign(chosen, { ...compensation, weights: 'none' });
    const withoutBias = bindDesign(chosen, { ...compensation, bias: false });
    const holdout = loadHoldout(args.model, args, args.holdout, input.shape, evalData);
    const measure = async (g: Graph) => (holdout ? (await evaluateParallel(g, holdout, { multiplierLibrary: libraryDir })).top1 : undefined);
    const held = { exact: await measure(graph), chosen: await measure(bound), chosen_without_weight_update: await measure(withoutUpdate), chosen_without_bias_correction: await measure(withoutBias), count: holdout?.count ?? 0 };
    const describeShort = (d: ExploredDesign) => ({ relative_energy: +d.relativeEnergy.toFixed(6), output_error: +d.outputError.toPrecision(6), tiles: d.tiles.map((m) => library[m]!.id) });
    const selectionJson = selection ? { ...selectionReport(split, selection, selectionOpts, describeShort), candidates: 'output-error ladder', candidate_band: CANDIDATE_BAND } : { search_images: split.search, selection_images: split.selection, picked: args.pick };
    const chosenTrial = selection?.trials.find((t) => t.candidate === chosen);
    const report = paretoReport(args, split.search, result, chosen, layers, library, held, selectionJson, chosenTrial ? { paired_drop: chosenTrial.paired.drop, bound: chosenTrial.paired.bound, selection_top1: chosenTrial.paired.top1 } : undefined);
    // The file holds no timings, so the same inputs and seed give the same bytes; --json prints them too.
    const { seconds: _s, designs_per_second: _r, ...saved } = report;
    void _s, _r;
    const point = (d: ExploredDesign) => ({ energy: d.relativeEnergy, top1: d.top1 });
    await writeExplorationDir(out, args.model, bound, saved, {
      title: `${graph.name}: ${args.tiles} tiles, ${args.mode} assignment, ${library.length} multipliers`,
      xLabel: 'relative multiplier energy (exact = 1)',
      evaluationImages: split.search, baselineTop1: result.exactTop1,
      all: result.designs.filter((d) => d.full).map(point), front: result.front.map(point), chosen: point(chosen),
    });
    if (args.json) console.log(JSON.stringify(report, null, 2));
    else printReport(report);
  },
};

/** No layer has 8-bit weights and activations (QONNX models of 1 to 4 bits): the library's 8x8 multipliers apply to
 *  none, so every layer stays exact. The stage still writes its outputs (the IR unchanged, pareto.json saying why no
 *  layer was eligible) and succeeds, so `compile` continues with the exact design (docs/qonnx.md). */
async function passThrough(args: Args, out: OutputClaim, graph: Graph, macNodes: readonly Node[]): Promise<void> {
  const layers = macNodes.map((n) => ({
    layer: n.name,
    weight_bits: n.op === 'QConv' || n.op === 'QGemm' ? storedWeightBits(n, graph.constants.get(n.inputs[1]!)!) : null,
    activation_bits: graph.values.get(n.inputs[0]!)?.quant?.bits ?? null,
    multiplier: 'exact',
  }));
  const reason = macNodes.length === 0
    ? 'the model has no conv/dense layer'
    : `no conv/dense layer has 8-bit weights and 8-bit activations (${layers.map((l) => `'${l.layer}' ${l.weight_bits}-bit weights, ${l.activation_bits}-bit activations`).join('; ')}); the library's multipliers are 8x8`;
  const report = { model: args.model, library: args.library, approximated: false, eligible_layers: 0, reason, layers };
  await writeDirAtomically(out, (tmp) => {
    saveIr(tmp, graph);
    copyDatasetConfig(args.model, tmp);
    writeFileSync(join(tmp, 'pareto.json'), JSON.stringify(report, null, 2) + '\n');
  });
  const line = `approx: no layer is eligible, every layer stays exact: ${reason}`;
  if (args.json) {
    process.stderr.write(line + '\n');
    console.log(JSON.stringify(report, null, 2));
  } else console.log(line);
}

/** Up to 200 calibration samples (the model's calib split, else the search images: never the selection images,
 *  which only the choice may see) for activation histograms. */
function calibrationSamples(args: Args, shape: readonly number[], searchData: Dataset): Dataset {
  if (args.inputs !== undefined) return searchData;
  try {
    // --offset skips evaluation images; the calibration split has its own first images.
    return loadDatasetFor(args.model, { ...args, offset: undefined, limit: 200 }, shape, 'calib');
  } catch {
    return searchData;
  }
}

interface HeldOut {
  readonly exact: number | undefined;
  readonly chosen: number | undefined;
  readonly chosen_without_weight_update: number | undefined;
  readonly chosen_without_bias_correction: number | undefined;
  readonly count: number;
}

function describe(d: ExploredDesign, layers: readonly LayerInfo[], library: readonly Candidate[]) {
  return {
    genome: d.genome,
    top1: d.top1,
    output_error: +d.outputError.toPrecision(6),
    relative_energy: +d.relativeEnergy.toFixed(6),
    tiles: d.tiles.map((m) => library[m]!.id),
    layers: layers.map((l, i) => ({ layer: l.name, tile: d.layerTile[i], multiplier: library[d.perLayer[i]!]!.id, macs: l.macs })),
  };
}

function paretoReport(
  args: Args, searchCount: number, r: Awaited<ReturnType<typeof explore>>, chosen: ExploredDesign, layers: readonly LayerInfo[], library: readonly Candidate[], held: HeldOut,
  selection: object, chosenPaired: { paired_drop: number; bound: number; selection_top1: number } | undefined,
) {
  return {
    model: args.model,
    tiles: args.tiles,
    mode: args.mode,
    weight_update: args['weight-update'],
    bias_correction: args['bias-correction'],
    cost: args.cost,
    library: args.library,
    multipliers: library.length,
    evaluation_images: searchCount,
    exact_top1: r.exactTop1,
    max_drop: args['max-drop'],
    confidence: args.confidence,
    evaluations: r.evaluations,
    full_evaluations: r.fullEvaluations,
    refinement: { max_steps: args.refine, steps: r.refinement.steps, designs: r.refinement.designs, front_designs: r.refinement.frontDesigns },
    seconds: +r.seconds.toFixed(1),
    designs_per_second: +(r.evaluations / r.seconds).toFixed(2),
    front: r.front.map((d) => describe(d, layers, library)),
    selection,
    chosen: { ...describe(chosen, layers, library), ...(chosenPaired ?? {}), heldout: held },
  };
}

/** What relative_energy measures under each --cost: the model's energy, or the measured LUTs or transistors. */
const COST_LABEL: Record<MultiplierCost, string> = { power: 'energy', luts: 'LUT cost', cells: 'transistor cost' };

function printReport(rep: ReturnType<typeof paretoReport>): void {
  const label = COST_LABEL[rep.cost];
  console.log(formatTable(
    ['#', 'top-1 %', label, 'tiles'],
    rep.front.map((d, i) => [i, (100 * d.top1).toFixed(2), d.relative_energy.toFixed(3), d.tiles.filter((t, k) => d.layers.some((l) => l.tile === k) && t).join(', ')]),
  ));
  const h = rep.chosen.heldout;
  console.log(`exact: ${(100 * rep.exact_top1).toFixed(2)}% on the ${rep.evaluation_images} search images; ${rep.evaluations} designs in ${rep.seconds}s (${rep.full_evaluations} on the full set)`);
  if (rep.chosen.paired_drop !== undefined)
    console.log(`choice on ${(rep.selection as { selection_images: number }).selection_images} selection images: paired drop ${rep.chosen.paired_drop.toFixed(2)} points, bound ${rep.chosen.bound!.toFixed(2)} <= --max-drop ${rep.max_drop}`);
  console.log(`chosen: ${label} ${rep.chosen.relative_energy.toFixed(3)} (saves ${(100 * (1 - rep.chosen.relative_energy)).toFixed(1)}%), top-1 ${(100 * rep.chosen.top1).toFixed(2)}%` +
    (h.chosen !== undefined ? `; on ${h.count} held-out images: ${(100 * h.chosen).toFixed(2)}% (exact ${(100 * h.exact!).toFixed(2)}%, without weight update ${(100 * h.chosen_without_weight_update!).toFixed(2)}%, without bias correction ${(100 * h.chosen_without_bias_correction!).toFixed(2)}%)` : ''));
  for (const l of rep.chosen.layers) console.log(`  ${l.layer}: tile ${l.tile}, ${l.multiplier}`);
}
