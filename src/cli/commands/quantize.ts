/** `adequate quantize DIR|MODEL.onnx -o OUT --inputs X [--labels Y] [--calib N]`: calibrate on the first N samples,
 *  quantize (ir/arithmetic.md), save the integer IR, and report accuracy on samples calibration did not see. */
import { readFileSync } from 'node:fs';
import type { CommandModule } from 'yargs';
import { userError } from '../../errors.js';
import { evaluateParallel } from '../../golden/parallel.js';
import { saveIr } from '../../ir/serialize.js';
import type { Graph } from '../../ir/types.js';
import { writeDirAtomically } from '../../io/atomic-dir.js';
import { claimOutput } from '../../io/output-guard.js';
import { FORCE_OPTION, intOption } from '../options.js';
import { calibrate } from '../../passes/calibrate.js';
import { quantizeGraph } from '../../passes/quantize.js';
import { absorbQuant } from '../../passes/absorb-quant.js';
import { absorbQdq } from '../../passes/absorb-qdq.js';
import { biasCorrection } from '../../passes/bias-correction.js';
import { DEFAULT_CONFIG, parseQuantizeConfig, type QuantizeConfig } from '../../passes/quantize-config.js';
import { RANGE_METHODS, type RangeMethod } from '../../passes/range-methods.js';
import { loadDatasetFor, requireLabels, withDatasetOptions, type DatasetArgs } from '../dataset-options.js';
import { loadModel, withModelOptions, type ModelArgs } from '../load.js';
import { startProgress, type Progress } from '../progress.js';
import { formatTable } from '../table.js';
import type { Dataset } from '../../io/dataset.js';
import { copyDatasetConfig } from '../dataset-copy.js';

interface Args extends ModelArgs, DatasetArgs {
  model: string;
  out: string;
  calib: number;
  'eval-limit': number;
  scheme?: 'unsigned' | 'signed';
  bits?: number;
  'weight-bits'?: number;
  'activation-bits'?: number;
  'per-tensor'?: boolean;
  method?: RangeMethod;
  'weight-method'?: 'minmax' | 'mse';
  rounding?: 'half-away' | 'half-even';
  config?: string;
  'bias-correction'?: boolean;
  json?: boolean;
  force?: boolean;
}

export const quantizeCommand: CommandModule<object, Args> = {
  command: 'quantize <model>',
  describe: 'post-training quantization: calibrate, quantize, save the integer IR',
  builder: (y) =>
    withDatasetOptions(withModelOptions(y))
      .positional('model', { type: 'string', demandOption: true, describe: 'a .onnx file or a float IR folder' })
      .option('out', { alias: 'o', type: 'string', demandOption: true, describe: 'output IR folder' })
      .option('calib', intOption('calib', { default: 500, min: 1, describe: 'calibrate on the first N samples' }))
      .option('eval-limit', intOption('eval-limit', { default: 5000, min: 0, describe: 'with labels: measure accuracy on up to N samples calibration did not see (0: skip)' }))
      .option('scheme', { choices: ['unsigned', 'signed'] as const, describe: 'unsigned codes with zero points (mul8u_*), or signed symmetric (mul8s_*)' })
      .option('bits', intOption('bits', { min: 2, max: 16, describe: 'bits of weights and activations (default 8)' }))
      .option('weight-bits', intOption('weight-bits', { min: 2, max: 16, describe: 'bits of weights' }))
      .option('activation-bits', intOption('activation-bits', { min: 2, max: 16, describe: 'bits of activations' }))
      .option('per-tensor', { type: 'boolean', describe: 'one weight scale per layer instead of per output channel' })
      .option('method', { choices: RANGE_METHODS, describe: 'activation range: minmax (default), percentile, mse, kl' })
      .option('weight-method', { choices: ['minmax', 'mse'] as const, describe: 'weight range' })
      .option('rounding', { choices: ['half-away', 'half-even'] as const, describe: 'requantization rounding (default half-away)' })
      .option('bias-correction', { type: 'boolean', describe: 'shift each channel bias by the mean weight-quantization error on the calibration data' })
      .option('config', { type: 'string', describe: 'JSON file: {"defaults": {...}, "layers": {"<layer>": {...}}, "rounding": ...}' })
      .option('force', FORCE_OPTION)
      .option('json', { type: 'boolean', describe: 'print the result as JSON' }) as never,
  handler: async (args) => {
    const out = claimOutput(args.out, { command: 'quantize', inputs: [args.model, args.inputs, args.labels, args.config], force: args.force });
    const graph = absorbQuant.run(absorbQdq.run(loadModel(args.model, args)).graph).graph;
    const config = buildConfig(args);
    const input = graph.inputs[0];
    if (!input || graph.inputs.length !== 1) throw userError('E_QUANT', `quantization needs a one-input model; this one has ${graph.inputs.length} inputs`);
    if (!(Number.isInteger(args.calib) && args.calib >= 1)) throw userError('E_USAGE', `--calib ${args.calib} must be a positive integer`);
    const calibData = loadDatasetFor(args.model, { ...args, limit: args.calib }, input.shape, 'calib');
    if (calibData.count < Math.min(args.calib, 10))
      throw userError('E_DATASET', `only ${calibData.count} calibration samples in ${calibData.inputsFile} (--calib ${args.calib}); give at least 10 samples, or lower --calib to what the file holds`);
    let progress: Progress | undefined;
    const stats = calibrate(graph, calibData.inputs, (done, total) => (progress ??= startProgress('calibrate', total)).tick(done));
    progress?.end(`(${calibData.count} samples, two sweeps)`);
    const quantized = quantizeGraph(graph, { config, stats });
    const counts = quantized.stats;
    const qgraph = args['bias-correction'] ? biasCorrection.run(quantized.graph, { float: graph, samples: calibData.inputs }).graph : quantized.graph;
    // The output appears only when the whole command succeeded, accuracy measurement included.
    const accuracy = await measure(args, graph, qgraph, input.shape, calibData);
    await writeDirAtomically(out, (tmp) => {
      saveIr(tmp, qgraph);
      copyDatasetConfig(args.model, tmp);
    });
    report(args, qgraph, counts, accuracy, calibData.count, [...new Set(quantized.calibrated)]);
  },
};

function buildConfig(args: Args): QuantizeConfig {
  let cfg = DEFAULT_CONFIG;
  if (args.config) {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(args.config, 'utf8'));
    } catch (e) {
      throw userError('E_CONFIG', `${args.config}: cannot read it as JSON (${e instanceof Error ? e.message : e})`);
    }
    cfg = parseQuantizeConfig(json, args.config);
  }
  const flags = {
    ...(args.scheme ? { scheme: args.scheme } : {}),
    ...(args.bits !== undefined ? { weightBits: args.bits, activationBits: args.bits } : {}),
    ...(args['weight-bits'] !== undefined ? { weightBits: args['weight-bits'] } : {}),
    ...(args['activation-bits'] !== undefined ? { activationBits: args['activation-bits'] } : {}),
    ...(args['per-tensor'] ? { perChannel: false } : {}),
    ...(args.method ? { activationRange: args.method } : {}),
    ...(args['weight-method'] ? { weightRange: args['weight-method'] } : {}),
  };
  return parseQuantizeConfig({ defaults: flags, ...(args.rounding ? { rounding: args.rounding } : {}) }, 'command-line flags', cfg);
}

interface Accuracy {
  readonly float: number;
  readonly quantized: number;
  readonly count: number;
  readonly source: string;
}

/** Float and integer top-1 on held-out samples: the dataset's test split, or the samples after the calibration ones. */
async function measure(args: Args, graph: Graph, qgraph: Graph, shape: readonly number[], calib: Dataset): Promise<Accuracy | undefined> {
  let data: Dataset;
  if (args['eval-limit'] === 0) return undefined;
  if (args.inputs === undefined) data = loadDatasetFor(args.model, { ...args, limit: args['eval-limit'] }, shape, 'test');
  else if (args.labels === undefined) return undefined;
  else {
    // Held-out samples are the ones after the calibration samples; when calibration used them all there are none.
    const offset = (args.offset ?? 0) + calib.count;
    if (calib.total !== undefined && offset >= calib.total) {
      process.stderr.write(`quantize: no accuracy measured: calibration used every sample of ${args.inputs}; lower --calib to keep some for it\n`);
      return undefined;
    }
    data = loadDatasetFor(args.model, { ...args, offset, limit: args['eval-limit'] }, shape);
  }
  if (!data.labels) return undefined;
  requireLabels(graph, data, 'the accuracy measurement');
  const progress = startProgress('evaluate', 2 * data.count);
  const f = await evaluateParallel(graph, data, { multiplierLibrary: undefined, onProgress: (d) => progress.tick(d) });
  const q = await evaluateParallel(qgraph, data, { multiplierLibrary: undefined, onProgress: (d) => progress.tick(data.count + d) });
  progress.end();
  return { float: f.top1, quantized: q.top1, count: data.count, source: data.inputsFile };
}

function report(args: Args, qgraph: Graph, counts: Readonly<Record<string, number>>, acc: Accuracy | undefined, calibCount: number, calibrated: readonly string[]): void {
  const layers = qgraph.nodes.flatMap((n) =>
    n.op === 'QConv' || n.op === 'QGemm'
      ? [{ layer: n.name, op: n.op, weight_bits: n.attrs.wBits, activation_bits: qgraph.values.get(n.outputs[0]!)!.quant!.bits, scheme: qgraph.values.get(n.outputs[0]!)!.quant!.scheme, acc_bits: n.attrs.accBits, a_scale: n.attrs.aScale, out_scale: n.attrs.outScale, out_zero_point: n.attrs.outZeroPoint }]
      : [],
  );
  const result = { out: args.out, calibration_samples: calibCount, ...counts, calibrated_tensors: calibrated, layers_detail: layers, ...(acc ? { accuracy: { float_top1: acc.float, quantized_top1: acc.quantized, drop_points: +(100 * (acc.float - acc.quantized)).toFixed(3), count: acc.count } } : {}) };
  if (args.json) {
    console.log(JSON.stringify(result, null, 2));
    return;
  }
  console.log(formatTable(['layer', 'op', 'scheme', 'acc bits', 'input scale', 'output scale', 'output zp'], layers.map((l) => [l.layer, l.op, l.scheme, l.acc_bits, l.a_scale.toPrecision(4), l.out_scale.toPrecision(4), l.out_zero_point])));
  if (counts.kept)
    console.log(`kept the model's own quantization: ${counts.kept} activation quantizers (${counts.thresholds} threshold activations, QThreshold), weight bit widths, scales and zero points; calibrated only what it leaves in float: ${calibrated.length ? calibrated.map((c) => `'${c}'`).join(', ') : 'nothing'}`);
  console.log(`quantized ${counts.layers} layers (${counts.fused} with ReLU/Clip folded), ${counts.tables} lookup tables, ${counts.rescales} rescales, ${counts.products} products -> ${args.out}`);
  if (acc) console.log(`top-1 on ${acc.count} held-out samples: float ${(100 * acc.float).toFixed(2)}%, quantized ${(100 * acc.quantized).toFixed(2)}% (drop ${(100 * (acc.float - acc.quantized)).toFixed(2)} points)`);
}
