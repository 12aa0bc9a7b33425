/** The float golden model against ONNX Runtime on every model the repository ships (examples/ and test/models/),
 *  and on generated single-op models over a spread of attributes. Tolerance: TOL (1e-4 relative + 1e-5 absolute). */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { runOutputs } from '../../src/golden/evaluate.js';
import type { Tensor } from '../../src/ir/types.js';
import { readNpy } from '../../src/io/npy.js';
import { importOnnx } from '../../src/onnx/import.js';
import { onnx } from '../../src/onnx/proto.js';
import { importPipeline, runPipeline } from '../../src/passes/pipeline.js';
import { REPO } from '../helpers/cli.js';
import { buildModel, seeded, type ModelSpec } from '../helpers/onnx-builder.js';
import { closeTo, runOrt } from '../helpers/ort.js';

function shippedModels(): string[] {
  const examples = readdirSync(join(REPO, 'examples')).map((d) => join(REPO, 'examples', d, 'model.onnx')).filter(existsSync);
  const models = readdirSync(join(REPO, 'test/models')).filter((f) => f.endsWith('.onnx')).map((f) => join(REPO, 'test/models', f));
  return [...examples, ...models];
}

/** Inputs for a shipped model: NAME.<input>.npy per input, or NAME.input.npy for a one-input model; examples get a
 *  seeded sample. */
function inputsFor(file: string, inputNames: string[], shapes: number[][]): Map<string, Tensor> {
  const stem = file.endsWith('model.onnx') ? '' : file.slice(0, -'.onnx'.length);
  return new Map(
    inputNames.map((name, k) => {
      const own = `${stem}.${name}.npy`, single = `${stem}.input.npy`;
      if (stem && existsSync(own)) return [name, readNpy(own)];
      if (stem && inputNames.length === 1 && existsSync(single)) return [name, readNpy(single)];
      const shape = shapes[k]!.map((d) => (d > 0 ? d : 1));
      const t: Tensor = { dtype: 'float32', shape, data: seeded(7 + k, shape.reduce((a, b) => a * b, 1)).map((v) => (v + 1) / 2) };
      return [name, t];
    }),
  );
}

async function compareWithOrt(bytes: Uint8Array, file: string, onDisk = false): Promise<void> {
  const m = onnx.ModelProto.decode(bytes);
  const inits = new Set((m.graph?.initializer ?? []).map((t) => t.name));
  const graphInputs = (m.graph?.input ?? []).filter((i) => !inits.has(i.name));
  const names = graphInputs.map((i) => i.name ?? '');
  const shapes = graphInputs.map((i) => (i.type?.tensorType?.shape?.dim ?? []).map((d) => Number(d.dimValue ?? 0)));
  const feeds = inputsFor(file, names, shapes);
  const graph = runPipeline(
    importOnnx(bytes, file, { inputShapes: new Map([...feeds].map(([n, t]) => [n, t.shape])) }),
    importPipeline,
  );
  const want = await runOrt(onDisk ? file : bytes, feeds);
  const got = runOutputs(graph, feeds);
  graph.outputs.forEach((o, k) => {
    const ref = want.get(m.graph!.output![k]!.name!)!;
    expect(closeTo(got[k]!.data, ref), `${basename(file)} output ${o}`).toBeUndefined();
  });
}

describe('float golden model = ONNX Runtime', () => {
  for (const file of shippedModels()) {
    test(`${file.slice(REPO.length)}`, async () => {
      await compareWithOrt(readFileSync(file), file, true);
    });
  }

  const conv = (attrs: ModelSpec['nodes'][number]['attrs'], c: number, m: number, g: number, k: number[], hw = [9, 11], bn = false): ModelSpec => ({
    inputs: [{ name: 'x', shape: [2, c, ...hw] }],
    outputs: ['y'],
    initializers: [
      { name: 'w', shape: [m, c / g, ...k], data: seeded(1, (m * c * k.reduce((a, b) => a * b, 1)) / g) },
      { name: 'b', shape: [m], data: seeded(2, m) },
      ...(bn ? ['s', 'sh', 'mu'].map((n, i) => ({ name: n, shape: [m], data: seeded(3 + i, m) })).concat([{ name: 'v', shape: [m], data: seeded(9, m).map((v) => v * v + 0.5) }]) : []),
    ],
    nodes: [
      { op: 'Conv', inputs: ['x', 'w', 'b'], outputs: [bn ? 'c' : 'y'], attrs: { ...attrs, kernel_shape: k } },
      ...(bn ? [{ op: 'BatchNormalization', inputs: ['c', 's', 'sh', 'mu', 'v'], outputs: ['y'], attrs: { epsilon: { f: 1e-3 } } }] : []),
    ],
  });
  const cases: [string, ModelSpec][] = [
    ['conv strides+pads', conv({ strides: [2, 1], pads: [1, 0, 2, 1] }, 3, 4, 1, [3, 3])],
    ['conv dilations', conv({ dilations: [2, 3] }, 2, 3, 1, [3, 2])],
    ['conv depthwise', conv({ group: 6, pads: [1, 1, 1, 1] }, 6, 6, 6, [3, 3])],
    ['conv groups', conv({ group: 2 }, 4, 6, 2, [1, 3])],
    ['conv SAME_UPPER', conv({ auto_pad: 'SAME_UPPER', strides: [2, 2] }, 2, 2, 1, [4, 3])],
    ['conv SAME_LOWER', conv({ auto_pad: 'SAME_LOWER', strides: [3, 2] }, 2, 2, 1, [2, 3])],
    ['conv 1-D', conv({ pads: [2, 1] }, 3, 2, 1, [4], [13])],
    ['conv + batchnorm folded', conv({}, 3, 5, 1, [3, 3], [7, 7], true)],
  ];
  for (const [name, spec] of cases)
    test(name, async () => {
      await compareWithOrt(buildModel(spec), `${name}.onnx`);
    });
});
