/** `adequate verify BUILD [--hls] --inputs X [--labels Y] [--count N]`: runs a build (Verilator, or with --hls the
 *  g++ C simulation) on N inputs and compares every output bit for bit with the golden model (integer, or for a
 *  word-length-tuned HLS build the word-length golden model). Exit code 3 when it ran and found mismatches. */
import type { CommandModule } from 'yargs';
import { userError } from '../../errors.js';
import { readBuild } from '../../emit/build-dir.js';
import { verifyHls } from '../../verify/hls.js';
import { verifyRtl } from '../../verify/rtl.js';
import { EXIT_MISMATCH } from '../../verify/request.js';
import { loadDatasetFor, withDatasetOptions, type DatasetArgs } from '../dataset-options.js';
import { startProgress } from '../progress.js';
import { intOption, toolTimeoutOption } from '../options.js';
import { DEFAULT_TOOL_TIMEOUT_SECONDS, setToolTimeout } from '../../verify/tool-run.js';
import { openQueue, queueSummary, withQueueOptions, workersNote, type QueueArgs } from '../queue-options.js';
import { verifyOnQueue } from '../../verify/shards.js';

interface Args extends DatasetArgs, QueueArgs {
  build: string;
  hls?: boolean;
  count: number;
  layers?: boolean;
  trace?: boolean;
  json?: boolean;
  'tool-timeout': number;
}

export const verifyCommand: CommandModule<object, Args> = {
  command: 'verify <build>',
  describe: 'run a build (Verilator, or g++ C simulation with --hls) and compare it bit for bit with the golden model',
  builder: (y) =>
    withQueueOptions(withDatasetOptions(y))
      .positional('build', { type: 'string', demandOption: true, describe: 'a build folder from adequate emit' })
      .option('hls', { type: 'boolean', describe: 'verify an HLS build by C simulation (g++)' })
      .option('count', intOption('count', { default: 100, min: 1, describe: 'inferences to run' }))
      .option('tool-timeout', toolTimeoutOption(DEFAULT_TOOL_TIMEOUT_SECONDS))
      .option('layers', { type: 'boolean', describe: 'compare every intermediate layer too (on the debug build, which then also gives the outputs and cycles)' })
      .option('trace', { type: 'boolean', describe: 'write an FST waveform (Verilog builds)' })
      .option('json', { type: 'boolean', describe: 'print one JSON object (count, mismatches, top1, ...)' }) as never,
  handler: async (args) => {
    if (!(Number.isInteger(args.count) && args.count >= 1)) throw userError('E_USAGE', `--count ${args.count} must be a positive integer`);
    setToolTimeout(args['tool-timeout']);
    const { manifest, graph, irDir } = readBuild(args.build, args.hls ? 'hls' : 'verilog');
    const data = loadDatasetFor(irDir, { ...args, limit: Math.min(args.count, args.limit ?? Infinity) }, graph.inputs[0]!.shape);
    const count = Math.min(args.count, data.count);
    const progress = startProgress(args.hls ? 'csim' : 'verilator', count);
    const request = { build: args.build, manifest, graph, data, count, layers: !!args.layers, trace: !!args.trace, onProgress: (done: number) => progress.tick(done) };
    if (args.queue !== undefined && args.trace) throw userError('E_USAGE', '--trace writes one waveform of one run; verify without --queue to trace');
    const queue = await openQueue(args);
    const outcome = queue
      ? await verifyOnQueue(queue, args.build, args.hls ? 'hls' : 'verilog', data, count, !!args.layers, (done) => progress.tick(done, workersNote(queue))).finally(() => queue.close())
      : args.hls ? await verifyHls(request) : await verifyRtl(request);
    progress.end();
    queueSummary(queue, 'verify');
    console.log(args.json ? JSON.stringify(outcome.json, null, 2) : outcome.text);
    if (!outcome.passed) process.exitCode = EXIT_MISMATCH;
  },
};
