import { describe, expect, test } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importOnnxFile } from '../../src/onnx/import.js';
import { importPipeline, runPipeline } from '../../src/passes/pipeline.js';
import { wordlengthPass } from '../../src/passes/wordlength.js';
import { castValue } from '../../src/golden/wordlength/cast.js';
import { runOutputs } from '../../src/golden/evaluate.js';
import { loadIr, saveIr } from '../../src/ir/serialize.js';
import { fixedFormat, floatFormat, type FixedFormat } from '../../src/ir/numformats.js';
import { layerStats, totalsOf, arithmeticOf } from '../../src/ir/stats.js';
import { makeTensor, type Graph, type LayerFormats, type NumFormat } from '../../src/ir/types.js';
import { REPO } from '../helpers/cli.js';
import { expectUserError } from '../helpers/user-error.js';

const lenet = (): Graph => runPipeline(importOnnxFile(join(REPO, 'examples/lenet5-mnist/model.onnx')), importPipeline);
const layersOf = (g: Graph) => g.nodes.filter((n) => n.op === 'Conv' || n.op === 'Gemm');

function uniform(g: Graph, f: LayerFormats): Map<string, LayerFormats> {
  return new Map(layersOf(g).map((n) => [n.name, f]));
}

const FIXED: LayerFormats = { weight: fixedFormat(8, 1), bias: fixedFormat(12, 4), accumulator: fixedFormat(20, 8, { rounding: 'truncate', overflow: 'wrap' }), activation: fixedFormat(10, 5) };
const FLOAT: LayerFormats = { weight: floatFormat(4, 3), bias: floatFormat(5, 6), accumulator: floatFormat(6, 10, { specials: 'none' }), activation: floatFormat(5, 4) };

function image(seed: number): Map<string, ReturnType<typeof makeTensor>> {
  const t = makeTensor('float32', [1, 1, 28, 28]);
  for (let i = 0; i < t.data.length; i++) t.data[i] = ((i * 7919 + seed * 104729) % 256) / 255;
  return new Map([['input', t]]);
}

describe('wordlength pass', () => {
  test.each([['fixed', FIXED, fixedFormat(9, 1, { signed: false })], ['float', FLOAT, floatFormat(4, 5)]] as const)('%s: formats set, weights in their formats, IR round trip runs bit-identically', (_, f, input: NumFormat) => {
    const g = lenet();
    const { graph: t } = wordlengthPass.run(g, { input, layers: uniform(g, f) });
    for (const n of layersOf(t)) {
      expect(n.attrs.formats).toEqual(f);
      for (const [slot, fmt] of [[1, f.weight], [2, f.bias]] as const) {
        const w = t.constants.get(n.inputs[slot]!)!;
        expect(Array.from(w.data).every((v) => castValue(v, fmt) === v)).toBe(true);
        const before = g.constants.get(g.nodes.find((m) => m.name === n.name)!.inputs[slot]!)!;
        expect(Array.from(w.data).every((v, i) => v === castValue(before.data[i]!, fmt))).toBe(true);
      }
    }
    expect(t.values.get(t.inputs[0]!.name)!.format).toEqual(input);
    expect(arithmeticOf(t)).toBe(f.accumulator.kind === 'fixed' ? 'fixed-point' : 'custom-float');
    // Storage counts the formats' bits: 61,706 parameters, of which 236 biases.
    const bits = totalsOf(layerStats(t)).weight_bits;
    const w = (x: NumFormat) => (x.kind === 'fixed' ? x.width : 1 + x.expBits + x.mantBits);
    expect(bits).toBe((61706 - 236) * w(f.weight) + 236 * w(f.bias));
    const dir = mkdtempSync(join(tmpdir(), 'wl-pass-'));
    saveIr(dir, t);
    const back = loadIr(dir);
    for (const seed of [1, 2, 3]) {
      const feeds = image(seed);
      const a = runOutputs(t, new Map([[t.inputs[0]!.name, feeds.get('input')!]]))[0]!;
      const b = runOutputs(back, new Map([[back.inputs[0]!.name, feeds.get('input')!]]))[0]!;
      expect(Array.from(b.data)).toEqual(Array.from(a.data));
      // the graph input is cast on entry: an input off the format's grid gives the same logits as its cast
      const cast = makeTensor('float32', [1, 1, 28, 28], Float32Array.from(feeds.get('input')!.data, (v) => castValue(v, input)));
      expect(Array.from(runOutputs(t, new Map([[t.inputs[0]!.name, cast]]))[0]!.data)).toEqual(Array.from(a.data));
    }
  });

  test('bad formats are E_CONFIG with the layer and the fix', () => {
    const g = lenet();
    const input = fixedFormat(9, 1, { signed: false });
    const bad = (patch: Partial<LayerFormats>) => () => wordlengthPass.run(g, { input, layers: uniform(g, { ...FIXED, ...patch }) });
    // W < I and E < 2 cannot even be built ...
    expectUserError(() => fixedFormat(4, 6), 'E_CONFIG', 'W >= I');
    expectUserError(() => floatFormat(1, 3), 'E_CONFIG', 'exponent bits 1');
    // ... and hand-made objects that bypass the constructors are caught by the pass
    const wLessI = { kind: 'fixed', width: 4, intBits: 6, signed: true, rounding: 'half-even', overflow: 'saturate' } as FixedFormat;
    expectUserError(bad({ weight: wLessI }), 'E_CONFIG', /features\.0\/Conv' weight/, 'W >= I');
    const e1 = { ...floatFormat(2, 3), expBits: 1 };
    expectUserError(bad({ activation: e1 }), 'E_CONFIG', 'exponent bits 1');
    expectUserError(bad({ activation: fixedFormat(25, 5) }), 'E_CONFIG', 'wider than 24 bits', 'W <= 24');
    expectUserError(bad({ weight: floatFormat(2, 25, { specials: 'none' }) }), 'E_CONFIG', 'more than 23 mantissa bits');
    expectUserError(bad({ accumulator: floatFormat(2, 26, { specials: 'none' }) }), 'E_CONFIG', 'more than 24 mantissa bits');
    expectUserError(() => wordlengthPass.run(g, { input: fixedFormat(30, 2), layers: uniform(g, FIXED) }), 'E_CONFIG', 'graph input');
    const missing = uniform(g, FIXED);
    missing.delete(layersOf(g)[2]!.name);
    expectUserError(() => wordlengthPass.run(g, { input, layers: missing }), 'E_CONFIG', 'has no formats');
  });

  test('an op that computes between layers is E_CONFIG naming it', () => {
    const g = lenet();
    const relu = g.nodes.find((n) => n.op === 'Relu')!;
    const sig: Graph = { ...g, nodes: g.nodes.map((n) => (n === relu ? { ...relu, op: 'Sigmoid' as const, attrs: {} } : n)) };
    expectUserError(() => wordlengthPass.run(sig, { input: fixedFormat(9, 1, { signed: false }), layers: uniform(g, FIXED) }), 'E_CONFIG', relu.name, 'Sigmoid');
  });
});
