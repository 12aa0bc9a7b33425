/** `adequate inspect MODEL.onnx|DIR`: one row per layer (op, shapes, parameters, MACs, weight bits), totals below. */
import type { CommandModule } from 'yargs';
import { layerStats, totalsOf } from '../../ir/stats.js';
import { formatShape, type Node } from '../../ir/types.js';
import { isShareable, sharingOf, weightMemory } from '../../ir/sharing.js';
import { formatTable, groupDigits } from '../table.js';
import { loadModel, withModelOptions, type ModelArgs } from '../load.js';

interface Args extends ModelArgs {
  model: string;
  json?: boolean;
}

export const inspectCommand: CommandModule<object, Args> = {
  command: 'inspect <model>',
  describe: 'list the layers of a model or IR folder: shapes, parameters, MACs, weight bits',
  builder: (y) =>
    withModelOptions(y)
      .positional('model', { type: 'string', demandOption: true, describe: 'a .onnx file or an IR folder' })
      .option('json', { type: 'boolean', describe: 'print rows and totals as JSON' }) as never,
  handler: (args) => {
    const graph = loadModel(args.model, args);
    const rows = layerStats(graph);
    const totals = totalsOf(rows);
    if (args.json) {
      console.log(JSON.stringify({
        model: args.model,
        inputs: graph.inputs,
        outputs: graph.outputs.map((o) => graph.values.get(o)),
        rows: rows.map((r, i) => ({ layer: r.name, op: r.op, input_shapes: r.inputShapes, output_shape: r.outputShape, params: r.params, macs: r.macs, weight_bits: r.weightBits, ...sharingSummary(graph.nodes[i]!) })),
        totals,
      }, null, 2));
      return;
    }
    const table = formatTable(
      ['layer', 'op', 'input', 'output', 'params', 'MACs', 'weight bits'],
      rows.map((r) => [r.name, r.op, r.inputShapes.map(formatShape).join(', '), formatShape(r.outputShape), groupDigits(r.params), groupDigits(r.macs), groupDigits(r.weightBits)]),
      ['total', `${totals.layers} layers`, '', '', groupDigits(totals.params), groupDigits(totals.macs), groupDigits(totals.weight_bits)],
    );
    console.log(table);
    console.log(`weight storage: ${groupDigits(totals.weight_bits)} bits (${(totals.weight_bits / 8 / 1024).toFixed(1)} KiB)`);
    const shared = graph.nodes.filter(isShareable).filter((n) => n.attrs.sharing);
    if (shared.length > 0) {
      const memory = weightMemory(graph).filter((m) => shared.some((n) => n.name === m.name));
      const granularities = [...new Set(shared.map((n) => n.attrs.sharing!.granularity))].join(', ');
      console.log(`weight sharing: ${shared.length} layers (${granularities}), ${groupDigits(memory.reduce((s, m) => s + m.bits, 0))} bits of indices and codebooks for ${groupDigits(memory.reduce((s, m) => s + m.weights, 0))} weights`);
    }
  },
};

/** JSON fields of a shared layer: granularity, index width, codebook count and entries. */
function sharingSummary(n: Node) {
  const s = sharingOf(n);
  return s ? { sharing: { granularity: s.granularity, index_bits: s.indexBits, codebooks: s.codebooks.length, codebook_entries: s.codebooks.reduce((a, c) => a + c.length, 0), ...(s.pruned !== undefined ? { pruned: s.pruned } : {}) } } : {};
}
