import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { importOnnxFile } from '../../src/onnx/import.js';
import { importPipeline, runPipeline } from '../../src/passes/pipeline.js';
import { loadIr } from '../../src/ir/serialize.js';
import { planAccelerator } from '../../src/hw/plan.js';
import { scheduleAccelerator } from '../../src/hw/schedule.js';
import { predictCycles } from '../../src/hw/cycles.js';
import { quantizeSample, referenceBuffers } from '../../src/hw/reference.js';
import { runOutputs } from '../../src/golden/evaluate.js';
import { makeTensor, type Graph } from '../../src/ir/types.js';
import { expectUserError } from '../helpers/user-error.js';
import { tempDir } from '../helpers/tmp.js';
import { runCli } from '../helpers/cli.js';

const REPO = join(import.meta.dirname, '../..');

describe('accelerator plan of the quantized LeNet-5', () => {
  let q: Graph;
  beforeAll(() => {
    const out = join(tempDir(), 'q');
    runCli(['quantize', join(REPO, 'examples/lenet5-mnist/model.onnx'), '-o', out, '--count', '64']);
    q = loadIr(out);
  }, 120_000);

  test('layers, buffers and one exact tile', () => {
    const plan = planAccelerator(q);
    expect(plan.layers.map((l) => l.node.op)).toEqual(['QConv', 'MaxPool', 'QConv', 'MaxPool', 'Reshape', 'QGemm', 'QGemm', 'QGemm']);
    expect(plan.input).toMatchObject({ shape: [1, 1, 28, 28], size: 784, dtype: 'uint8' });
    expect(plan.output).toMatchObject({ shape: [1, 10], size: 10 });
    expect(plan.tiles).toEqual([{ index: 0, signed: false, layers: [0, 2, 5, 6, 7] }]);
    // LeNet-5 MACs worked by hand: 28*28*6*25 + 10*10*16*150 + 400*120 + 120*84 + 84*10.
    expect(plan.layers.reduce((s, l) => s + l.macs, 0)).toBe(117600 + 240000 + 48000 + 10080 + 840);
  });

  test('tiles follow recorded tile attributes, else multipliers', () => {
    const bind = (tiles: (number | undefined)[], mults: (string | undefined)[]): Graph => {
      let i = 0;
      return { ...q, nodes: q.nodes.map((n) => {
        if (n.op !== 'QConv' && n.op !== 'QGemm') return n;
        const k = i++;
        return { ...n, attrs: { ...n.attrs, ...(mults[k] ? { multiplier: mults[k] } : {}), ...(tiles[k] !== undefined ? { tile: tiles[k] } : {}) } } as typeof n;
      }) };
    };
    const byMult = planAccelerator(bind([], [undefined, 'mul8u_1AGV', undefined, 'mul8u_1AGV', 'mul8u_DM1']));
    expect(byMult.tiles.map((t) => [t.multiplier, t.layers])).toEqual([[undefined, [0, 5]], ['mul8u_1AGV', [2, 6]], ['mul8u_DM1', [7]]]);
    const byTile = planAccelerator(bind([2, 2, 0, 0, 0], ['mul8u_DM1', 'mul8u_DM1', undefined, undefined, undefined]));
    expect(byTile.tiles.map((t) => [t.index, t.multiplier, t.layers])).toEqual([[0, 'mul8u_DM1', [0, 2]], [1, undefined, [5, 6, 7]]]);
    expectUserError(() => planAccelerator(bind([0, 0, 0, 0, 0], ['mul8u_DM1', undefined, undefined, undefined, undefined])), 'E_HW', /different multipliers/);
  });

  test('tileOf reassigns layers to tiles (the folding solver\'s sharing); mixed multipliers on one tile are refused', () => {
    const macs = q.nodes.filter((n) => n.op === 'QConv' || n.op === 'QGemm').map((n) => n.name);
    // conv layers on one tile, dense layers on another (numbered in order of first use: 7 -> 0, 3 -> 1).
    const plan = planAccelerator(q, { tileOf: new Map(macs.map((m, i) => [m, i < 2 ? 7 : 3])) });
    expect(plan.tiles.map((t) => [t.index, t.layers])).toEqual([[0, [0, 2]], [1, [5, 6, 7]]]);
    // Each tile its own P x S: the steps and the cycle model follow the tile's fold.
    const s = scheduleAccelerator(plan, { tiles: [{ pe: 6, simd: 5 }, { pe: 4, simd: 2 }], window: 1 });
    expect(s.steps.filter((st) => st.unit === 'tile').map((st) => [st.tile, st.pe, st.simd])).toEqual([[0, 6, 5], [0, 6, 5], [1, 4, 2], [1, 4, 2], [1, 4, 2]]);
    expect(predictCycles(s).multipliers).toBe(38);
    const mixed = { ...q, nodes: q.nodes.map((n) => (n.name === macs[1] ? { ...n, attrs: { ...n.attrs, multiplier: 'mul8u_DM1' } } as typeof n : n)) };
    expectUserError(() => planAccelerator(mixed, { tileOf: new Map(macs.map((m) => [m, 0])) }), 'E_HW', /different multipliers/);
    expectUserError(() => planAccelerator(q, { tileOf: new Map([[macs[0]!, 0]]) }), 'E_HW', /no tile/);
  });

  test('the reference buffers end in the codes the whole graph dequantizes', () => {
    const plan = planAccelerator(q);
    const sample = new Float32Array(784).map((_, i) => ((i * 37) % 255) / 255);
    const bufs = referenceBuffers(plan, quantizeSample(plan, sample));
    const logits = runOutputs(q, new Map([[q.inputs[0]!.name, makeTensor('float32', [1, 1, 28, 28], sample)]]))[0]!;
    const { scale, zeroPoint } = plan.dequantize.attrs.quant;
    const codes = bufs.get(plan.output.name)!.data;
    expect(new Set(codes).size).toBeGreaterThan(3); // a real output, not a constant one
    expect(Array.from(logits.data)).toEqual(Array.from(codes, (c) => Math.fround(scale[0]! * (c - zeroPoint[0]!))));
  });

  test('float IRs are refused with a clear error', () => {
    const g = runPipeline(importOnnxFile(join(REPO, 'examples/lenet5-mnist/model.onnx')), importPipeline);
    expectUserError(() => planAccelerator(g), 'E_HW', /quantize first/);
  });
});
