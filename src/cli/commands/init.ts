/** `adequate init MODEL.onnx [-o adequate.yaml]`: a commented starter config for `adequate compile`, with values that
 *  fit the model (tile count at most its conv/dense layers) and a dataset section when no dataset.json is found. */
import { rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import Handlebars from 'handlebars';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { CommandModule } from 'yargs';
import { readConfig } from '../../flow/config.js';
import { findDatasetConfig } from '../../io/dataset.js';
import { layerStats, totalsOf } from '../../ir/stats.js';
import { formatShape } from '../../ir/types.js';
import { packagePath } from '../../paths.js';
import { loadModel } from '../load.js';
import { writeFileAtomically } from '../../io/atomic-dir.js';
import { claimOutputFile } from '../../io/output-guard.js';

interface Args {
  model: string;
  out?: string;
  force?: boolean;
}

export const initCommand: CommandModule<object, Args> = {
  command: 'init <model>',
  describe: 'write a commented starter config (adequate.yaml) for adequate compile',
  builder: (y) =>
    y
      .positional('model', { type: 'string', demandOption: true, describe: 'an .onnx file' })
      .option('out', { alias: 'o', type: 'string', describe: 'config file to write (default adequate.yaml beside the model)' })
      .option('force', { type: 'boolean', describe: 'overwrite an existing file (never the model)' }) as never,
  handler: (args) => {
    const out = args.out ?? join(dirname(args.model), 'adequate.yaml');
    const claim = claimOutputFile(out, { command: 'init', inputs: [args.model], force: args.force }, args.out === undefined ? 'the config' : '-o');
    const graph = loadModel(args.model);
    const stats = layerStats(graph);
    const macLayers = stats.filter((s) => s.macs > 0).length;
    const dataset = findDatasetConfig(args.model);
    const template = Handlebars.compile(readFileSync(packagePath('templates', 'config', 'adequate.yaml.hbs'), 'utf8'), { strict: true });
    const text = template({
      model: args.model,
      layers: stats.length,
      macLayers,
      macs: totalsOf(stats).macs.toLocaleString('en-US'),
      inputShape: graph.inputs.map((i) => `${i.name} ${formatShape(i.shape)}`).join(', '),
      datasetFound: Boolean(dataset),
      datasetFile: dataset?.file ?? '',
      tiles: Math.max(1, Math.min(2, macLayers)),
    });
    // What init writes must be a valid config: checked on a scratch copy (the temporary folder), then written.
    const scratch = join(tmpdir(), `adequate-init-${process.pid}-${basename(out)}`);
    writeFileSync(scratch, text);
    try {
      readConfig(scratch);
    } catch (e) {
      throw new Error(`internal error: the starter config does not validate: ${(e as Error).message}`);
    } finally {
      rmSync(scratch, { force: true });
    }
    writeFileAtomically(claim, text);
    console.log(`wrote ${out}; edit it, then: adequate compile ${args.model}${args.out ? ` --config ${out}` : ''}`);
  },
};
