/** The accelerator plan of word-length-tuned IRs (src/hw/plan-tuned.ts): layers, tiles per distinct set of formats,
 *  buffer formats, value/code conversions, and the E_HW cases with their messages. */
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadModel } from '../../src/cli/load.js';
import { codeOfValue, planTunedAccelerator, valueOfCode } from '../../src/hw/plan-tuned.js';
import { planAccelerator } from '../../src/hw/plan.js';
import { tunedReferenceBuffers } from '../../src/hw/reference.js';
import { fixedFormat, floatFormat } from '../../src/ir/numformats.js';
import type { Graph, LayerFormats, Tensor } from '../../src/ir/types.js';
import { makeTensor } from '../../src/ir/types.js';
import { wordlengthPass } from '../../src/passes/wordlength.js';
import { writeFileSync } from 'node:fs';
import { buildModel, seeded } from '../helpers/onnx-builder.js';
import { tempDir } from '../helpers/tmp.js';
import { expectUserError } from '../helpers/user-error.js';

const REPO = join(import.meta.dirname, '../..');
const fx = (w: number, i: number) => fixedFormat(w, i);
const SAME: LayerFormats = { weight: fx(8, 1), bias: fx(8, 2), accumulator: fx(20, 8), activation: fx(10, 5) };

function tunedMlp(layer: (name: string, i: number) => LayerFormats): Graph {
  const g = loadModel(join(REPO, 'examples/mlp-mnist/model.onnx'));
  const names = g.nodes.filter((n) => n.op === 'Gemm').map((n) => n.name);
  return wordlengthPass.run(g, { input: fx(9, 1), layers: new Map(names.map((n, i) => [n, layer(n, i)])) }).graph;
}

describe('plan of a word-length-tuned IR', () => {
  test('layers up to the host Softmax, one tile per distinct set of formats, buffer formats', () => {
    const plan = planTunedAccelerator(tunedMlp((_, i) => (i === 0 ? { ...SAME, weight: fx(6, 1) } : SAME)));
    expect(plan.arithmetic).toBe('fixed-point');
    expect(plan.layers.map((l) => l.node.op)).toEqual(['Gemm', 'Relu', 'Gemm', 'Relu', 'Gemm']);
    // The second and third Gemm have equal formats and read fx(10,5) activations: one tile; the first is alone.
    expect(plan.tiles.map((t) => t.layers)).toEqual([[0], [2, 4]]);
    expect(plan.layers.map((l) => l.tile)).toEqual([0, undefined, 1, undefined, 1]);
    expect(plan.buffers.get(plan.layers[1]!.output)!.format).toEqual(SAME.activation);
    expect(plan.input.format).toEqual(fx(9, 1));
    expect(plan.output.format).toEqual(SAME.activation);
    expect(plan.input).toMatchObject({ min: -256, max: 255, size: 784 });
    // Every buffer of one inference is a value of its format.
    const bufs = tunedReferenceBuffers(plan, seeded(1, 784));
    for (const [name, t] of bufs) for (const v of t.data) expect(codeOfValue(v, plan.buffers.get(name)!.format), name).toBeDefined();
  });

  test('codes: fixed value * 2^F, float codes keep the sign of zero; values outside the format have none', () => {
    const f = fixedFormat(8, 3), e = floatFormat(4, 3);
    expect(codeOfValue(-1.25, f)).toBe(-40);
    expect(valueOfCode(-40, f)).toBe(-1.25);
    expect(codeOfValue(1 / 64, f)).toBeUndefined();
    expect(codeOfValue(-0, e)).toBe(128);
    expect(codeOfValue(0, e)).toBe(0);
    expect(codeOfValue(1.0625, e)).toBeUndefined();
    expect(valueOfCode(codeOfValue(-3.5, e)!, e)).toBe(-3.5);
  });

  test('E_HW: mixed number systems, weights outside their format, unsupported ops; Verilog refuses tuned IRs', () => {
    const mixed = tunedMlp((_, i) => (i === 1 ? { ...SAME, accumulator: floatFormat(5, 10) } : SAME));
    expectUserError(() => planTunedAccelerator(mixed), 'E_HW', /layer '.+' mixes fixed-point and float formats/, /give all of them fixed or all float formats/);
    const g = tunedMlp(() => SAME);
    const gemm = g.nodes.find((n) => n.op === 'Gemm')!;
    const w = g.constants.get(gemm.inputs[1]!)!;
    const bad: Tensor = makeTensor('float32', w.shape, Float32Array.from(w.data, (v, i) => (i === 3 ? v + 2 ** -9 : v)));
    const off = { ...g, constants: new Map([...g.constants, [gemm.inputs[1]!, bad]]) };
    expectUserError(() => planTunedAccelerator(off), 'E_HW', new RegExp(`layer '${gemm.name}': weight 3 = .* is not a value of its weight format`), /adequate wordlength/);
    expectUserError(() => planAccelerator(g), 'E_HW', /is word-length tuned \(fixed-point formats, e\.g\. on layer '.+'\)/, /adequate emit hls/);

    const onnx = join(tempDir(), 't.onnx');
    writeFileSync(onnx, buildModel({
      inputs: [{ name: 'x', shape: [1, 2, 4, 4] }],
      outputs: ['y'],
      initializers: [{ name: 'w', shape: [3, 2, 1, 1], data: seeded(2, 6) }],
      nodes: [
        { op: 'Conv', inputs: ['x', 'w'], outputs: ['a'], attrs: { kernel_shape: [1, 1] } },
        { op: 'Transpose', inputs: ['a'], outputs: ['y'], attrs: { perm: [0, 1, 3, 2] } },
      ],
    }));
    const t = loadModel(onnx);
    const tuned = wordlengthPass.run(t, { input: fx(8, 2), layers: new Map([[t.nodes[0]!.name, SAME]]) }).graph;
    expectUserError(() => planTunedAccelerator(tuned), 'E_HW', /node '.+' \(Transpose\) has no hardware implementation in a word-length-tuned accelerator; it supports Conv, Gemm, Relu, Clip, MaxPool, GlobalMaxPool, Reshape/);
  });
});
