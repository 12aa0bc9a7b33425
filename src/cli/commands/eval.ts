/** `adequate eval MODEL|DIR --inputs X --labels Y`: top-1 accuracy of the golden model on a labelled dataset. */
import type { CommandModule } from 'yargs';
import { loadDatasetFor, requireLabels, withDatasetOptions, type DatasetArgs } from '../dataset-options.js';
import { requireLibraryDir } from '../../multipliers/store.js';
import { loadModel, withModelOptions, type ModelArgs } from '../load.js';
import { startProgress } from '../progress.js';
import { evaluateParallel } from '../../golden/parallel.js';
import { arithmeticOf } from '../../ir/stats.js';

interface Args extends ModelArgs, DatasetArgs {
  model: string;
  library?: string;
  json?: boolean;
}

export const evalCommand: CommandModule<object, Args> = {
  command: 'eval <model>',
  describe: 'top-1 accuracy of a model or IR folder on a labelled dataset',
  builder: (y) =>
    withDatasetOptions(withModelOptions(y))
      .positional('model', { type: 'string', demandOption: true, describe: 'a .onnx file or an IR folder' })
      .option('library', { type: 'string', describe: 'multiplier library folder (for approximate multipliers not built in)' })
      .option('json', { type: 'boolean', describe: 'print one JSON object (top1, count, ...)' }) as never,
  handler: async (args) => {
    const graph = loadModel(args.model, args);
    const input = graph.inputs[0]!;
    if (args.library !== undefined) requireLibraryDir(args.library);
    const data = loadDatasetFor(args.model, args, input.shape);
    requireLabels(graph, data, 'eval (top-1 accuracy)');
    const progress = startProgress('eval', data.count);
    const t0 = performance.now();
    const r = await evaluateParallel(graph, data, { multiplierLibrary: args.library, onProgress: (done) => progress.tick(done) });
    const seconds = (performance.now() - t0) / 1000;
    progress.end();
    const result = {
      model: args.model,
      arithmetic: arithmeticOf(graph),
      inputs: data.inputsFile,
      labels: data.labelsFile,
      top1: r.top1,
      correct: r.correct,
      count: r.count,
      samples_per_second: +(r.count / seconds).toFixed(1),
      workers: r.workers,
    };
    if (args.json) console.log(JSON.stringify(result, null, 2));
    else console.log(`top-1 accuracy ${(100 * r.top1).toFixed(2)}% (${r.correct}/${r.count}) on ${data.inputsFile}, ${result.arithmetic} golden model, ${result.samples_per_second} samples/s`);
  },
};
