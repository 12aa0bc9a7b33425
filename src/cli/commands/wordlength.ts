/** `adequate wordlength DIR --inputs X --labels Y --kind fixed|float --max-drop 0.5 -o OUT`: range analysis, then a
 *  search for the fewest bits per layer and variable that keep top-1 within --max-drop points of the float model on
 *  the tuning images; writes the tuned IR, wordlength.json (per-layer formats, bits saved, the search) and
 *  wordlength.svg (accuracy against cost of every evaluated configuration), and checks the result on held-out
 *  images the search never saw (docs/wordlength.md). */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CommandModule } from 'yargs';
import { userError } from '../../errors.js';
import { evaluateParallel } from '../../golden/parallel.js';
import { saveIr } from '../../ir/serialize.js';
import type { Graph, NumFormat } from '../../ir/types.js';
import { writeDirAtomically } from '../../io/atomic-dir.js';
import { claimOutput } from '../../io/output-guard.js';
import { FORCE_OPTION, intOption, numberOption } from '../options.js';
import { sliceDataset, type Dataset } from '../../io/dataset.js';
import { chooseOnSelection, selectionReport, splitLabelled } from '../../dse/selection.js';
import { calibrate } from '../../passes/calibrate.js';
import { wordlengthPass } from '../../passes/wordlength.js';
import { paretoFront } from '../../dse/pareto.js';
import { MAX_SIMD } from '../../hw/fold.js';
import { costOf } from '../../dse/wordlength/cost.js';
import { formatBits } from '../../ir/stats.js';
import { createOracle, queueOracle } from '../../dse/wordlength/pool.js';
import { search, type SearchMethod, type SearchResult, type TracePoint } from '../../dse/wordlength/search.js';
import { formatsOf, referenceConfig, type NumberSystem, type Space } from '../../dse/wordlength/space.js';
import { paretoSvg } from '../../report/pareto-svg.js';
import { loadDatasetFor, requireLabels, withDatasetOptions, type DatasetArgs } from '../dataset-options.js';
import { copyDatasetConfig } from '../dataset-copy.js';
import { loadModel, withModelOptions, type ModelArgs } from '../load.js';
import { startProgress } from '../progress.js';
import { openQueue, queueSummary, withQueueOptions, workersNote, type QueueArgs } from '../queue-options.js';
import { formatTable } from '../table.js';

interface Args extends ModelArgs, DatasetArgs, QueueArgs {
  model: string;
  out: string;
  kind: NumberSystem;
  search: SearchMethod;
  'max-drop': number;
  confidence: number;
  selection: number;
  eval: number;
  holdout: number;
  calib: number;
  rounding: 'truncate' | 'half-up' | 'half-even';
  'acc-overflow': 'wrap' | 'saturate';
  simd: number;
  json?: boolean;
  force?: boolean;
}

export const wordlengthCommand: CommandModule<object, Args> = {
  command: 'wordlength <model>',
  describe: 'word-length tuning: fixed-point or custom-float formats per layer within an accuracy bound',
  builder: (y) =>
    withQueueOptions(withDatasetOptions(withModelOptions(y)))
      .positional('model', { type: 'string', demandOption: true, describe: 'a float IR folder or a .onnx file' })
      .option('out', { alias: 'o', type: 'string', demandOption: true, describe: 'output IR folder (tuned IR, wordlength.json, wordlength.svg)' })
      .option('kind', { choices: ['fixed', 'float'] as const, default: 'fixed' as const, describe: 'fixed point fixed<W,I> or custom float float<E,M>' })
      .option('search', { choices: ['budget', 'greedy'] as const, default: 'budget' as const, describe: 'budget: sensitivity-guided noise budgeting; greedy: classic min+1 bit' })
      .option('max-drop', numberOption('max-drop', { default: 0.5, min: 0, describe: 'top-1 points the tuned model may lose against float on the tuning images' }))
      .option('confidence', numberOption('confidence', { default: 1, min: 0, describe: 'standard errors of the paired drop against float, on the selection images, kept below --max-drop (docs/selection.md; 0: none)' }))
      .option('eval', intOption('eval', { default: 1000, min: 2, describe: 'labelled images (the first N of the test data) for the search and the choice (split by --selection)' }))
      .option('selection', numberOption('selection', { default: 0.5, above: 0, below: 1, describe: 'fraction of the --eval images kept from the search to choose the formats on (docs/selection.md)' }))
      .option('holdout', intOption('holdout', { default: 5000, min: 0, describe: 'images after the --eval ones, used by neither the search nor the choice, for the final check' }))
      .option('calib', intOption('calib', { default: 500, min: 1, describe: 'calibration images for the range analysis' }))
      .option('rounding', { choices: ['truncate', 'half-up', 'half-even'] as const, default: 'half-even' as const, describe: 'fixed point: rounding of accumulators and activations' })
      .option('acc-overflow', { choices: ['wrap', 'saturate'] as const, default: 'wrap' as const, describe: 'fixed point: overflow of accumulators' })
      .option('simd', intOption('simd', { default: 1, min: 1, max: MAX_SIMD, describe: 'SIMD lanes S of the HLS tiles: each layer sums its terms in S lanes (taps split as emit --simd splits them) and then adds the lanes (ir/arithmetic.md 6); recorded in the tuned IR, and the search measures that order' }))
      .option('force', FORCE_OPTION)
      .option('json', { type: 'boolean', describe: 'print one JSON object' }) as never,
  handler: async (args) => {
    const out = claimOutput(args.out, { command: 'wordlength', inputs: [args.model, args.inputs, args.labels], force: args.force });
    if (!(args['max-drop'] >= 0)) throw userError('E_USAGE', `--max-drop ${args['max-drop']} must be a number >= 0 (accuracy points)`);
    if (!(args.confidence >= 0)) throw userError('E_USAGE', `--confidence ${args.confidence} must be a number >= 0 (standard errors)`);
    if (!(args.selection > 0 && args.selection < 1)) throw userError('E_USAGE', `--selection ${args.selection} must be a fraction between 0 and 1 (of the --eval images)`);
    for (const k of ['eval', 'calib'] as const) if (!(Number.isInteger(args[k]) && args[k] >= 1)) throw userError('E_USAGE', `--${k} ${args[k]} must be a positive integer`);
    const graph = loadModel(args.model, args);
    const input = graph.inputs[0];
    if (!input || graph.inputs.length !== 1) throw userError('E_CONFIG', `word-length tuning needs a one-input model; this one has ${graph.inputs.length} inputs`);
    const labelled = loadDatasetFor(args.model, { ...args, limit: args.eval }, input.shape, 'test');
    requireLabels(graph, labelled, 'word-length tuning (it measures accuracy)');
    if (labelled.count < 2) throw userError('E_DATASET', `word-length tuning needs at least 2 labelled images (some to search, some to choose); --eval gave ${labelled.count}`);
    const split = splitLabelled(labelled.count, args.selection);
    const tuning = sliceDataset(labelled, 0, split.search), selectionData = sliceDataset(labelled, split.search, labelled.count);
    const calib = calibrationData(args, input.shape, tuning);
    const calibration = startProgress('calibrate', 1);
    const stats = calibrate(graph, calib.inputs);
    calibration.end(`(${calib.count} samples)`);
    const reference = startProgress('float reference', 1);
    const oracleInput = { graph, kind: args.kind, stats, options: { rounding: args.rounding, accOverflow: args['acc-overflow'], simd: args.simd }, samples: tuning.inputs, labels: tuning.labels! };
    const queue = await openQueue(args);
    const evaluator = queue ? await queueOracle(queue, oracleInput) : await createOracle(oracleInput);
    reference.end(`(${tuning.count} tuning images, ${evaluator.workers} ${queue ? 'slice' : 'thread'}${evaluator.workers > 1 ? 's' : ''}${workersNote(queue)})`);
    const space = evaluator.space;
    // The number of evaluations is not known in advance (the searches stop when they converge): open-ended progress.
    const progress = startProgress(`${args.search} search`, 0);
    let result: SearchResult;
    try {
      // The search's own bound has no margin: the choice below keeps it on images the search did not use.
      result = await search(args.search, evaluator, {
        maxDrop: args['max-drop'],
        onEvaluation: (n, p) => progress.tick(n, `evaluations, last ${(100 * p.top1).toFixed(2)}% at cost ${(p.cost / 2).toFixed(3)}${workersNote(queue)}`),
      });
    } finally {
      await evaluator.close();
    }
    progress.end(`(${result.evaluations} evaluations)`);
    queueSummary(queue, 'wordlength');
    const tunedGraph = (p: TracePoint) => wordlengthPass.run(graph, formatsOf(space, p.config)).graph;
    const predict = async (g: Graph) => (await evaluateParallel(g, selectionData, { multiplierLibrary: undefined })).predictions;
    // The choice: every configuration the search met within the bound, most costly first, re-measured on the
    // selection images against float (src/dse/selection.ts); the reference formats when none passes. Not only the
    // front: on the search images the cheapest feasible configurations often match float and dominate every safer
    // one, and the sequence needs the safer ones before them.
    const widest = result.trace[0]!;
    const candidates = result.trace.filter((p) => p.feasible && p !== widest).sort((a, b) => b.cost - a.cost);
    const selectionOpts = { maxDrop: args['max-drop'], confidence: args.confidence };
    const selection = await chooseOnSelection(candidates, (p) => predict(tunedGraph(p)), await predict(graph), selectionData.labels!, selectionOpts);
    const chosenPoint = selection.chosen ?? widest;
    if (!selection.chosen) process.stderr.write(`wordlength: no tuned configuration keeps --max-drop ${args['max-drop']} with --confidence ${args.confidence} on the ${split.selection} selection images; the reference (widest) formats are chosen\n`);
    const chosen: SearchResult = { ...result, config: chosenPoint.config, cost: chosenPoint.cost, evaluation: { ...result.evaluation, top1: chosenPoint.top1, noise: chosenPoint.noise } };
    const tuned = tunedGraph(chosenPoint);
    const held = await heldOut(args, input.shape, labelled, graph, tuned);
    const trial = selection.trials.find((t) => t.candidate.config === chosenPoint.config);
    const selectionJson = selectionReport(split, selection, selectionOpts, (p) => ({ cost: +(p.cost / 2).toFixed(5), search_top1: p.top1 }));
    const report = { ...buildReport(args, graph, space, chosen, evaluator.floatTop1, tuning.count, held), selection: selectionJson, ...(trial ? { paired_drop: trial.paired.drop, bound: trial.paired.bound } : {}) };
    await writeDirAtomically(out, (tmp) => {
      saveIr(tmp, tuned);
      copyDatasetConfig(args.model, tmp);
      writeFileSync(join(tmp, 'wordlength.json'), JSON.stringify(report, null, 2) + '\n');
      writeFileSync(join(tmp, 'wordlength.svg'), searchSvg(graph, args, chosen, evaluator.floatTop1, tuning.count));
    });
    if (args.json) console.log(JSON.stringify(report, null, 2));
    else printReport(report);
  },
};

function calibrationData(args: Args, shape: readonly number[], tuning: Dataset): Dataset {
  if (args.inputs !== undefined) return loadDatasetFor(args.model, { ...args, limit: args.calib }, shape);
  try {
    // --offset skips tuning images; the calibration split has its own first images.
    return loadDatasetFor(args.model, { ...args, offset: undefined, limit: args.calib }, shape, 'calib');
  } catch {
    return tuning;
  }
}

interface HeldOut {
  readonly count: number;
  readonly float_top1: number;
  readonly tuned_top1: number;
  readonly drop_points: number;
}

async function heldOut(args: Args, shape: readonly number[], tuning: Dataset, graph: Graph, tuned: Graph): Promise<HeldOut | undefined> {
  if (args.holdout <= 0) return undefined;
  let data: Dataset;
  try {
    data = loadDatasetFor(args.model, { ...args, offset: (args.offset ?? 0) + tuning.count, limit: args.holdout }, shape, 'test');
  } catch {
    return undefined;
  }
  if (!data.labels || data.count === 0) return undefined;
  const progress = startProgress('held-out check', 2 * data.count);
  const f = await evaluateParallel(graph, data, { multiplierLibrary: undefined, onProgress: (d) => progress.tick(d) });
  const t = await evaluateParallel(tuned, data, { multiplierLibrary: undefined, onProgress: (d) => progress.tick(data.count + d) });
  progress.end();
  return { count: data.count, float_top1: f.top1, tuned_top1: t.top1, drop_points: +(100 * (f.top1 - t.top1)).toFixed(3) };
}

export function formatName(f: NumFormat): string {
  if (f.kind === 'fixed') return `${f.signed ? '' : 'u'}fixed<${f.width},${f.intBits}>`;
  return `float<${f.expBits},${f.mantBits}> bias ${f.bias}`;
}

function buildReport(args: Args, graph: Graph, space: Space, r: SearchResult, floatTop1: number, tuningCount: number, held: HeldOut | undefined) {
  const f = formatsOf(space, r.config);
  const c = costOf(space, r.config), ref = costOf(space, referenceConfig(space));
  const elements = (i: number) => space.variables[i]!.elements;
  const layers = space.layers.map((l) => {
    const lf = f.layers.get(l.name)!;
    const saved = (['weight', 'bias', 'activation'] as const).reduce((s, role) => s + elements(l.vars[role]) * (32 - formatBits(lf[role])), 0);
    return {
      layer: l.name, op: l.op, macs: l.macs,
      weight: formatName(lf.weight), bias: formatName(lf.bias), accumulator: formatName(lf.accumulator), activation: formatName(lf.activation),
      weight_bits: formatBits(lf.weight), activation_bits: formatBits(lf.activation), accumulator_bits: formatBits(lf.accumulator),
      bits_saved_vs_float32: saved,
    };
  });
  return {
    model: args.model,
    out: args.out,
    kind: space.kind,
    simd: space.reductionLanes ?? 1,
    search: r.method,
    max_drop: args['max-drop'],
    confidence: args.confidence,
    tuning_images: tuningCount,
    float_top1: floatTop1,
    tuned_top1: r.evaluation.top1,
    drop_points: +(100 * (floatTop1 - r.evaluation.top1)).toFixed(3),
    evaluations: r.evaluations,
    seconds: +r.seconds.toFixed(1),
    input: formatName(f.input),
    avg_bits_per_weight: +(c.weightBits / c.weightCount).toFixed(3),
    avg_bits_per_activation: +(c.activationBits / c.activationCount).toFixed(3),
    weight_bits: c.weightBits,
    bias_bits: c.biasBits,
    activation_bits: c.activationBits,
    relative_mac_area: +(c.area / ref.area).toFixed(4),
    mac_area_vs_reference: { tuned: c.area, reference: ref.area, unit: 'MACs x estimated CMOS transistors (data/operator-area.json)' },
    layers,
    ...(held ? { heldout: held } : {}),
    trace: r.trace.map((p) => ({ top1: p.top1, noise: p.noise, cost: +(p.cost / 2).toFixed(5), feasible: p.feasible })),
    name: graph.name,
  };
}

function searchSvg(graph: Graph, args: Args, r: SearchResult, floatTop1: number, count: number): string {
  const pts = r.trace.map((p) => ({ energy: p.cost / 2, top1: p.top1, objectives: [p.cost, -p.top1] }));
  const chosen = r.trace.find((p) => p.config.join(',') === r.config.join(','))!;
  return paretoSvg({
    title: `${graph.name}: ${args.kind} word lengths, ${r.method} search, ${r.evaluations} evaluations`,
    all: pts,
    front: paretoFront(pts),
    exact: { energy: 1, top1: floatTop1 },
    chosen: { energy: chosen.cost / 2, top1: chosen.top1 },
    xLabel: 'relative cost (MAC area + storage bits; widest formats = 1)',
    yLabel: `top-1 % on ${count} tuning images`,
  });
}

function printReport(rep: ReturnType<typeof buildReport>): void {
  console.log(formatTable(
    ['layer', 'weight', 'bias', 'accumulator', 'activation', 'bits saved'],
    rep.layers.map((l) => [l.layer, l.weight, l.bias, l.accumulator, l.activation, l.bits_saved_vs_float32.toLocaleString('en-US')]),
  ));
  console.log(`input ${rep.input}; ${rep.simd > 1 ? `layers summed in ${rep.simd} SIMD lanes; ` : ''}${rep.avg_bits_per_weight} bits per weight, ${rep.avg_bits_per_activation} bits per activation on average; MAC area ${(100 * rep.relative_mac_area).toFixed(1)}% of the widest formats`);
  console.log(`${rep.search} search: ${rep.evaluations} accuracy evaluations in ${rep.seconds}s; top-1 on ${rep.tuning_images} tuning images: float ${(100 * rep.float_top1).toFixed(2)}%, tuned ${(100 * rep.tuned_top1).toFixed(2)}% (drop ${rep.drop_points.toFixed(2)} points, bound ${rep.max_drop})`);
  if (rep.heldout) console.log(`held-out check on ${rep.heldout.count} images: float ${(100 * rep.heldout.float_top1).toFixed(2)}%, tuned ${(100 * rep.heldout.tuned_top1).toFixed(2)}% (drop ${rep.heldout.drop_points.toFixed(2)} points) -> ${rep.out}`);
}
