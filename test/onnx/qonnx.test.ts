/** QONNX import: Quant, BipolarQuant, Trunc and MultiThreshold in all three domains, against an independent NumPy
 *  reference written from the QONNX operator docs (test/qonnx/reference.py), bit for bit; the layout folding of
 *  QONNX exports; and the zoo's TFC_2W2A against its reference logits. */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { runOutputs } from '../../src/golden/evaluate.js';
import { readNpy } from '../../src/io/npy.js';
import { makeTensor, type Tensor } from '../../src/ir/types.js';
import { importOnnx, importOnnxFile } from '../../src/onnx/import.js';
import { REPO } from '../helpers/cli.js';
import { buildModel, DT, seeded, type NodeSpec } from '../helpers/onnx-builder.js';
import { tempDir } from '../helpers/tmp.js';
import { runPython, testWithNumpy } from '../io/python.js';
import { expectUserError } from '../helpers/user-error.js';
import { layerStats } from '../../src/ir/stats.js';

const DOMAINS = ['qonnx.custom_op.general', 'onnx.brevitas', 'finn.custom_op.general'];
const ROUNDINGS = ['ROUND', 'CEIL', 'FLOOR', 'ROUND_TO_ZERO', 'HALF_UP', 'HALF_DOWN', 'UP'];

interface Case {
  name: string;
  op: string;
  attrs: Record<string, number | string | boolean>;
  x: { shape: number[]; data: Float32Array };
  params: { name: string; shape: number[]; data: number[] }[];
  node: NodeSpec;
}

/** Inputs with exact ties of x / scale (k + 0.5), values beyond the clamp range, negative zero and zero. */
function inputs(shape: number[], scale: number, seed: number): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const r = seeded(seed, n);
  return Float32Array.from(r, (v, i) => (i % 5 === 0 ? (Math.round(v * 12) + 0.5) * scale : i % 7 === 0 ? -0 : v * 40 * scale));
}

function quantCases(): Case[] {
  const cases: Case[] = [];
  let k = 0;
  for (const bits of [1, 2, 3, 4, 8])
    for (const signed of [true, false])
      for (const narrow of [false, true])
        for (const rounding of ROUNDINGS) {
          const perChannel = k % 3 === 0;
          const domain = DOMAINS[k % 3]!;
          const scale = perChannel ? [0.25, 0.5, 0.125] : [0.0625];
          const zp = perChannel || !signed ? [signed ? 0 : k % 3] : [0];
          const name = `quant_${k++}`;
          const pshape = perChannel ? [1, 3, 1] : [];
          cases.push({
            name, op: 'Quant', attrs: { bits, signed, narrow, rounding }, x: { shape: [2, 3, 4], data: inputs([2, 3, 4], 0.125, k) },
            params: [{ name: 'scale', shape: pshape, data: scale }, { name: 'zp', shape: perChannel ? [1, 1, 1] : [], data: zp }, { name: 'bits', shape: [], data: [bits] }],
            node: { op: 'Quant', domain, inputs: ['x', 'scale', 'zp', 'bits'], outputs: ['y'], attrs: { signed: +signed, narrow: +narrow, rounding_mode: rounding } },
          });
        }
  return cases;
}

function otherCases(): Case[] {
  const x = (seed: number, shape = [2, 3, 4]) => ({ shape, data: inputs(shape, 0.25, seed) });
  return [
    { name: 'bipolar_tensor', op: 'BipolarQuant', attrs: {}, x: x(1), params: [{ name: 'scale', shape: [], data: [0.75] }], node: { op: 'BipolarQuant', domain: DOMAINS[0], inputs: ['x', 'scale'], outputs: ['y'] } },
    { name: 'bipolar_channel', op: 'BipolarQuant', attrs: {}, x: x(2), params: [{ name: 'scale', shape: [3, 1], data: [0.5, 1, 2] }], node: { op: 'BipolarQuant', domain: DOMAINS[1], inputs: ['x', 'scale'], outputs: ['y'] } },
    ...['FLOOR', 'ROUND', 'CEIL'].map((rounding, i): Case => ({
      name: `trunc_v1_${rounding}`, op: 'TruncV1', attrs: { in_bits: 8, out_bits: 4 + i, rounding }, x: x(3 + i),
      params: [{ name: 'scale', shape: [], data: [0.25] }, { name: 'zp', shape: [], data: [0] }, { name: 'in_bits', shape: [], data: [8] }, { name: 'out_bits', shape: [], data: [4 + i] }],
      node: { op: 'Trunc', domain: DOMAINS[i], inputs: ['x', 'scale', 'zp', 'in_bits', 'out_bits'], outputs: ['y'], attrs: { rounding_mode: rounding } },
    })),
    ...[[true, false, 'FLOOR'], [false, false, 'ROUND'], [true, true, 'ROUND_TO_ZERO']].map(([signed, narrow, rounding], i): Case => ({
      name: `trunc_v2_${i}`, op: 'TruncV2', attrs: { in_bits: 8, out_bits: 4, signed: signed as boolean, narrow: narrow as boolean, rounding: rounding as string }, x: x(7 + i),
      params: [{ name: 'scale', shape: [], data: [0.25] }, { name: 'zp', shape: [], data: [0] }, { name: 'in_bits', shape: [], data: [8] }, { name: 'out_scale', shape: [], data: [4] }, { name: 'out_zp', shape: [], data: [0] }, { name: 'out_bits', shape: [], data: [4] }],
      node: { op: 'Trunc', domain: DOMAINS[i], inputs: ['x', 'scale', 'zp', 'in_bits', 'out_scale', 'out_zp', 'out_bits'], outputs: ['y'], attrs: { rounding_mode: rounding as string, signed: +(signed as boolean), narrow: +(narrow as boolean) } },
    })),
    ...([['NCHW', [2, 3, 2, 2], 1, 3], ['NHWC', [2, 2, 2, 3], 3, 3], ['NCHW', [4, 3], 1, 3], ['NCHW', [2, 3, 4], 2, 1]] as const).map(([layout, shape, axis, rows], i): Case => ({
      name: `multithreshold_${i}`, op: 'MultiThreshold', attrs: { axis, out_scale: i === 1 ? 2 : 1, out_bias: i === 1 ? -3 : i === 2 ? -1.5 : 0 }, x: { shape: [...shape], data: Float32Array.from(seeded(20 + i, shape.reduce((a, b) => a * b, 1)), (v) => Math.round(v * 8) / 2) },
      params: [{ name: 'thresholds', shape: [rows, 3], data: Array.from({ length: rows * 3 }, (_, j) => (j % 3) - 1 + Math.floor(j / 3) * 0.5) }],
      node: { op: 'MultiThreshold', domain: DOMAINS[i % 3], inputs: ['x', 'thresholds'], outputs: ['y'], attrs: { data_layout: layout, out_dtype: 'INT2', ...(i === 1 ? { out_scale: { f: 2 }, out_bias: { f: -3 } } : i === 2 ? { out_bias: { f: -1.5 } } : {}) } },
    })),
  ];
}

function run(c: Case): Tensor {
  const model = buildModel({
    inputs: [{ name: 'x', shape: c.x.shape }],
    outputs: ['y'],
    initializers: c.params.map((p) => ({ name: p.name, shape: p.shape, data: p.data })),
    nodes: [c.node],
  });
  const g = importOnnx(model, `${c.name}.onnx`);
  return runOutputs(g, new Map([['x', makeTensor('float32', c.x.shape, c.x.data)]]))[0]!;
}

describe('QONNX ops against the NumPy reference', () => {
  const cases = [...quantCases(), ...otherCases()];
  testWithNumpy(`${cases.length} cases: every rounding mode, signed/unsigned, narrow, 1 to 8 bits, per-channel scales, bipolar, Trunc v1/v2, MultiThreshold layouts`, () => {
    const dir = tempDir();
    const spec = cases.map((c) => ({
      name: c.name, op: c.op, attrs: c.attrs,
      inputs: Object.fromEntries([['x', [c.x.shape, Array.from(c.x.data)]], ...c.params.map((p) => [p.name, [p.shape, p.data]])]),
    }));
    writeFileSync(join(dir, 'cases.json'), JSON.stringify(spec));
    runPython([join(REPO, 'test/qonnx/reference.py'), join(dir, 'cases.json'), dir]);
    for (const c of cases) {
      const want = readNpy(join(dir, `${c.name}.npy`));
      const got = run(c);
      expect(got.shape, c.name).toEqual(want.shape);
      expect(Array.from(got.data).map((v) => v + 0), c.name).toEqual(Array.from(want.data).map((v) => v + 0));
    }
  }, 60_000);
});

describe('QONNX layout folding at import', () => {
  test('a channels-last Transpose pair vanishes; a weight quantizer absorbs the Transpose after it', () => {
    const g = importOnnx(buildModel({
      inputs: [{ name: 'x', shape: [1, 4] }],
      outputs: ['y'],
      initializers: [{ name: 'w', shape: [3, 4], data: seeded(5, 12) }, { name: 's', shape: [], data: [0.5] }, { name: 'z', shape: [], data: [0] }, { name: 'b', shape: [], data: [2] }],
      nodes: [
        { op: 'Transpose', inputs: ['x'], outputs: ['t1'], attrs: { perm: [1, 0] } },
        { op: 'Transpose', inputs: ['t1'], outputs: ['t2'], attrs: { perm: [1, 0] } },
        { op: 'Quant', domain: DOMAINS[1], inputs: ['w', 's', 'z', 'b'], outputs: ['wq'], attrs: { signed: 1, narrow: 1, rounding_mode: 'ROUND' } },
        { op: 'Transpose', inputs: ['wq'], outputs: ['wt'], attrs: { perm: [1, 0] } },
        { op: 'MatMul', inputs: ['t2', 'wt'], outputs: ['y'] },
      ],
    }), 'm.onnx');
    expect(g.nodes.map((n) => n.op)).toEqual(['Quant', 'MatMul']);
    expect(g.constants.get(g.nodes[0]!.inputs[0]!)!.shape).toEqual([4, 3]);
    const x = makeTensor('float32', [1, 4], Float32Array.of(1, -2, 0.5, 3));
    const y = runOutputs(g, new Map([['x', x]]))[0]!;
    const w = seeded(5, 12);
    const q = (v: number) => Math.max(-1, Math.min(1, Math.round(v / 0.5))) * 0.5; // 2-bit narrow: codes -1..1, no ties in this data
    const want = [0, 1, 2].map((j) => [0, 1, 2, 3].reduce((s, k) => s + x.data[k]! * q(w[j * 4 + k]!), 0));
    expect(Array.from(y.data)).toEqual(want.map(Math.fround));
  });

  test('an unknown op of a QONNX domain and a per-channel bit width are clear errors', () => {
    const model = (node: NodeSpec) => buildModel({ inputs: [{ name: 'x', shape: [1, 2] }], outputs: ['y'], initializers: [{ name: 's', shape: [], data: [1] }, { name: 'z', shape: [], data: [0] }, { name: 'b', shape: [2], data: [2, 3] }], nodes: [node] });
    expectUserError(() => importOnnx(model({ op: 'FloatQuant', domain: DOMAINS[0], inputs: ['x'], outputs: ['y'] }), 'm.onnx'), 'E_ONNX_UNSUPPORTED_OP', /FloatQuant' of domain 'qonnx.custom_op.general'/);
    expectUserError(() => importOnnx(model({ op: 'Quant', domain: DOMAINS[0], inputs: ['x', 's', 'z', 'b'], outputs: ['y'] }), 'm.onnx'), 'E_ONNX_ATTRIBUTE', /bit width must be one number/);
  });
});

/** The zoo model and its first 20 reference rows are in the repository (test/models/qonnx); the shared data folder
 *  of the project holds all 100. */
const TFC_REPO = { dir: join(REPO, 'test/models/qonnx'), x: 'tfc_x20.npy', want: 'tfc_expected20.npy', n: 20 };
const TFC_SHARED = { dir: '/work/shared/data/qonnx', x: 'mnist_t10k_first100_x01.npy', want: 'TFC_2W2A.expected_qonnx.npy', n: 100 };
describe('TFC_2W2A from the QONNX model zoo', () => {
  test.each([TFC_REPO, ...(existsSync(join(TFC_SHARED.dir, 'TFC_2W2A.onnx')) ? [TFC_SHARED] : [])])('imports without its shape subgraph or Transposes and equals the reference logits ($n images)', ({ dir, x: xFile, want: wantFile, n }) => {
    const x = readNpy(join(dir, xFile));
    const want = readNpy(join(dir, wantFile));
    const g = importOnnxFile(join(dir, 'TFC_2W2A.onnx'), { inputShapes: new Map([['0', [n, 1, 28, 28]]]) });
    for (const op of ['Shape', 'Gather', 'Concat', 'Transpose']) expect(g.nodes.map((n) => n.op)).not.toContain(op);
    const y = runOutputs(g, new Map([[g.inputs[0]!.name, x]]))[0]!;
    expect(y.shape).toEqual([n, 10]);
    expect(Array.from(y.data)).toEqual(Array.from(want.data));
    // inspect counts the quantized weights at 2 bits (59,008 weights), their scales, zero points and the rest in float.
    const quantizers = layerStats(g).filter((r) => r.op === 'Quant' && r.params > 2);
    expect(quantizers.reduce((s, r) => s + r.weightBits, 0)).toBe(2 * 59008 + 4 * 2 * 32);
  });
});
