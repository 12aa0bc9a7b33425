/** `adequate run MODEL|DIR --input X.npy --output Y.npy`: the float golden model on NumPy files. */
import { join } from 'node:path';
import type { CommandModule } from 'yargs';
import { userError } from '../../errors.js';
import { runBatched } from '../../golden/batch.js';
import type { Tensor } from '../../ir/types.js';
import { encodeNpy, readNpy, writeNpy } from '../../io/npy.js';
import { writeDirAtomically, writeFileAtomically } from '../../io/atomic-dir.js';
import { claimOutput, claimOutputFile } from '../../io/output-guard.js';
import { requireLibraryDir } from '../../multipliers/store.js';
import { FORCE_OPTION } from '../options.js';
import { loadModel, withModelOptions, type ModelArgs } from '../load.js';
import { startProgress, type Progress } from '../progress.js';
import { libraryContext as evalContext } from '../../golden/parallel.js';

/** A tensor name as a file name: path separators and other odd characters become '_'. */
function safeName(name: string): string {
  return name.replace(/[^\w.-]/g, '_').replace(/^\.+/, '_');
}

interface Args extends ModelArgs {
  'dump-layers'?: string;
  library?: string;
  model: string;
  input: string[];
  output?: string;
  'output-dir'?: string;
  force?: boolean;
}

export const runCommand: CommandModule<object, Args> = {
  command: 'run <model>',
  describe: 'run the float golden model on .npy inputs',
  builder: (y) =>
    withModelOptions(y)
      .positional('model', { type: 'string', demandOption: true, describe: 'a .onnx file or an IR folder' })
      .option('input', { alias: 'i', type: 'string', array: true, demandOption: true, describe: 'X.npy for a one-input model, or NAME=X.npy per input; N samples along dimension 0' })
      .option('output', { alias: 'o', type: 'string', describe: 'write the first output here (.npy)' })
      .option('output-dir', { type: 'string', describe: 'write every output as NAME.npy in this folder' })
      .option('dump-layers', { type: 'string', describe: 'write every layer output (integer codes in a quantized IR) as NAME.npy in this folder' })
      .option('library', { type: 'string', describe: 'multiplier library folder (for approximate multipliers not built in)' })
      .option('force', FORCE_OPTION)
      .check((a) => {
        // A string (not a thrown Error) is a usage error for yargs: exit 2, not an internal fault.
        return a.output || a['output-dir'] || a['dump-layers'] ? true : 'give --output Y.npy, --output-dir DIR or --dump-layers DIR';
      }) as never,
  handler: async (args) => {
    if (args.library !== undefined) requireLibraryDir(args.library);
    const inputs = [args.model, ...args.input.map((s) => s.slice(s.indexOf('=') + 1))];
    const claim = { command: 'run', inputs, force: args.force };
    const outFile = args.output !== undefined ? claimOutputFile(args.output, claim) : undefined;
    const outDir = args['output-dir'] !== undefined ? claimOutput(args['output-dir'], claim, '--output-dir') : undefined;
    const dumpDir = args['dump-layers'] !== undefined ? claimOutput(args['dump-layers'], claim, '--dump-layers') : undefined;
    const graph = loadModel(args.model, args);
    const feeds = new Map<string, Tensor>();
    for (const spec of args.input) {
      const eq = spec.indexOf('=');
      const [name, file] = eq > 0 ? [spec.slice(0, eq), spec.slice(eq + 1)] : [graph.inputs[0]?.name ?? '', spec];
      if (eq < 0 && graph.inputs.length !== 1)
        throw userError('E_USAGE', `the model has ${graph.inputs.length} inputs (${graph.inputs.map((i) => i.name).join(', ')}): give --input NAME=FILE.npy for each`);
      if (!graph.inputs.some((i) => i.name === name))
        throw userError('E_USAGE', `--input ${spec}: the model has no input '${name}' (inputs: ${graph.inputs.map((i) => i.name).join(', ')})`);
      const x = readNpy(file);
      if (x.shape.length === 0 || x.shape[0] === 0) throw userError('E_NPY', `${file} holds no samples (shape [${x.shape.join(', ')}]); give at least one sample along dimension 0`);
      const bad = x.dtype === 'float32' ? (x.data as Float32Array).findIndex((v) => !Number.isFinite(v)) : -1;
      if (bad >= 0) throw userError('E_NPY', `${file}: value ${bad} is ${x.data[bad]}; the model takes finite numbers: clean the input`);
      feeds.set(name, x);
    }
    let progress: Progress | undefined;
    const dump = args['dump-layers'];
    const { outputs: outs, layers } = runBatched(graph, feeds, (k, n) => {
      if (n > 1) (progress ??= startProgress('run', n)).tick(k);
    }, evalContext(args.library), dump !== undefined);
    progress?.end();
    if (dumpDir !== undefined) {
      // One file per layer, named after the node (the RTL and HLS debug flows compare layer by layer).
      await writeDirAtomically(dumpDir, (tmp) => {
        for (const n of graph.nodes)
          n.outputs.forEach((o, k) => writeNpy(join(tmp, `${safeName(n.name)}${n.outputs.length > 1 ? `.${k}` : ''}.npy`), layers.get(o)!));
      });
    }
    if (outFile !== undefined) writeFileAtomically(outFile, encodeNpy(outs[0]!));
    if (outDir !== undefined) await writeDirAtomically(outDir, (tmp) => graph.outputs.forEach((o, k) => writeNpy(join(tmp, `${safeName(o)}.npy`), outs[k]!)));
  },
};
