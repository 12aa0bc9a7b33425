/** `adequate import MODEL.onnx -o DIR`: ONNX -> IR folder (model.ir.json + weights.bin), validated on write. */
import type { CommandModule } from 'yargs';
import { saveIr } from '../../ir/serialize.js';
import { layerStats, totalsOf } from '../../ir/stats.js';
import { formatShape } from '../../ir/types.js';
import { writeDirAtomically } from '../../io/atomic-dir.js';
import { claimOutput } from '../../io/output-guard.js';
import { FORCE_OPTION } from '../options.js';
import { groupDigits } from '../table.js';
import { copyDatasetConfig } from '../dataset-copy.js';
import { loadModel, withModelOptions, type ModelArgs } from '../load.js';

interface Args extends ModelArgs {
  model: string;
  out: string;
  json?: boolean;
  force?: boolean;
}

export const importCommand: CommandModule<object, Args> = {
  command: 'import <model>',
  describe: 'import an ONNX model into an IR folder',
  builder: (y) =>
    withModelOptions(y)
      .positional('model', { type: 'string', demandOption: true, describe: 'the .onnx file' })
      .option('out', { alias: 'o', type: 'string', demandOption: true, describe: 'output IR folder' })
      .option('force', FORCE_OPTION)
      .option('json', { type: 'boolean', describe: 'print a JSON summary' }) as never,
  handler: async (args) => {
    const out = claimOutput(args.out, { command: 'import', inputs: [args.model], force: args.force });
    const graph = loadModel(args.model, args);
    await writeDirAtomically(out, (tmp) => {
      saveIr(tmp, graph);
      copyDatasetConfig(args.model, tmp);
    });
    const totals = totalsOf(layerStats(graph));
    const summary = {
      out: args.out,
      name: graph.name,
      opset: graph.source.opset,
      inputs: graph.inputs.map((i) => ({ name: i.name, dtype: i.dtype, shape: i.shape })),
      outputs: graph.outputs,
      nodes: graph.nodes.length,
      totals,
    };
    if (args.json) console.log(JSON.stringify(summary, null, 2));
    else {
      const ins = graph.inputs.map((i) => `${i.name} ${i.dtype} ${formatShape(i.shape)}`).join(', ');
      console.log(`imported ${args.model} (opset ${graph.source.opset}) -> ${args.out}`);
      console.log(`  ${graph.nodes.length} nodes, ${groupDigits(totals.params)} parameters, ${groupDigits(totals.macs)} MACs; input ${ins}`);
    }
  },
};
