/** `adequate emit hls` + `adequate verify --hls` end to end: every example model with exact, table and netlist
 *  multipliers (unsigned and signed codes), shared weights, and a small model with every other accelerator op
 *  (grouped conv, QSum, QTable, QAveragePool, MaxPool with padding); each build compiled with g++ -Wall -Wextra
 *  -Werror and compared bit for bit with the integer golden model on 100 inputs (every layer with --layers).
 *  A corrupted build must fail, naming the first wrong layer. */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { loadIr, saveIr } from '../../src/ir/serialize.js';
import type { Graph, Node } from '../../src/ir/types.js';
import { makeTensor } from '../../src/ir/types.js';
import { writeNpy } from '../../src/io/npy.js';
import { bindMultipliers, type LayerBinding } from '../../src/passes/bind-multipliers.js';
import { buildModel, seeded } from '../helpers/onnx-builder.js';
import { REPO, runCliAsync } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { staticChecks } from '../helpers/hls-static.js';
import { testWithTool } from '../helpers/tools.js';
import { TABLE_ONLY } from '../helpers/hw-models.js';

const EXAMPLES = { lenet: join(REPO, 'examples/lenet5-mnist/model.onnx'), mlp: join(REPO, 'examples/mlp-mnist/model.onnx') };
const work = tempDir('adequate-hls-');
const q: Record<string, string> = {};

interface VerifyJson {
  count: number;
  mismatches: number;
  top1?: number;
  ms_per_inference: number;
  passed: boolean;
  first_mismatching_layer?: string | null;
}

async function cli(args: string[]): Promise<string> {
  const r = await runCliAsync(args);
  if (r.code !== 0) throw new Error(`adequate ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

/** Emits a build and verifies it on `count` inputs; returns the verify JSON and the build folder. */
async function emitAndVerify(ir: string, name: string, emitFlags: string[], verifyFlags: string[] = [], count = 100): Promise<{ v: VerifyJson; build: string }> {
  const build = join(work, name);
  await cli(['emit', 'hls', ir, '-o', build, ...emitFlags]);
  const v = JSON.parse(await cli(['verify', build, '--hls', '--count', String(count), '--layers', '--json', ...verifyFlags])) as VerifyJson;
  return { v, build };
}

/** Writes a changed graph as an IR folder next to its source, with the source's dataset.json. */
function saveVariant(src: string, name: string, graph: Graph): string {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  saveIr(dir, graph);
  if (existsSync(join(src, 'dataset.json'))) copyFileSync(join(src, 'dataset.json'), join(dir, 'dataset.json'));
  return dir;
}

function bind(src: string, name: string, layers: (LayerBinding | undefined)[]): string {
  const g = loadIr(src);
  const macs = g.nodes.filter((n) => n.op === 'QConv' || n.op === 'QGemm');
  const map = new Map(macs.flatMap((n, i) => (layers[i] ? [[n.name, layers[i]]] : [])));
  return saveVariant(src, name, bindMultipliers.run(g, { layers: map }).graph);
}

const read = (build: string, file: string) => readFileSync(join(build, file), 'utf8');

describe('HLS C++ of the example models, verified by C simulation', () => {
  beforeAll(async () => {
    for (const [name, model] of Object.entries(EXAMPLES)) {
      q[name] = join(work, `${name}-q`);
      await cli(['quantize', model, '-o', q[name], '--eval-limit', '100']);
    }
    q['mlp-signed'] = join(work, 'mlp-signed-q');
    await cli(['quantize', EXAMPLES.mlp, '-o', q['mlp-signed'], '--scheme', 'signed', '--eval-limit', '100']);
  }, 600_000);

  for (const model of ['lenet', 'mlp'] as const) {
    testWithTool('g++', `${model}: exact multipliers, 4 lanes, 100 inputs bit for bit in every layer`, async () => {
      const { v, build } = await emitAndVerify(q[model]!, `${model}-exact`, ['--lanes', '4']);
      expect(v).toMatchObject({ count: 100, mismatches: 0, passed: true, first_mismatching_layer: null });
      expect(v.top1).toBeGreaterThan(0.9);
      expect(read(build, 'adequate_multipliers.h')).toMatch(/return \(tile0_prod_t\)a \* \(tile0_prod_t\)w;/);
      // The same build also passes its own sample data with make's flags (the Makefile path).
      expect(readdirSync(join(build, 'tb_data')).sort()).toEqual(['expected.txt', 'inputs.txt']);
    }, 300_000);

    testWithTool('g++', `${model}: exact, table (EvoApprox ROM) and netlist tiles, 3 lanes, 100 inputs bit for bit`, async () => {
      const exact = { multiplier: undefined, tile: 0 }, table = { multiplier: TABLE_ONLY, tile: 1 };
      const layers: LayerBinding[] = model === 'lenet'
        ? [exact, table, table, { multiplier: 'bam-u8-v8h3', tile: 2 }, { multiplier: 'bam-u8-v8h3', tile: 2 }]
        : [exact, table, { multiplier: 'trunc-u8-k8', tile: 2 }];
      const ir = bind(q[model]!, `${model}-approx-q`, layers);
      const { v, build } = await emitAndVerify(ir, `${model}-approx`, ['--lanes', '3']);
      expect(v).toMatchObject({ count: 100, mismatches: 0, passed: true });
      const mult = read(build, 'adequate_multipliers.h');
      expect(mult).toMatch(/tile1_prod_t rom\[65536\]/);
      expect(mult).toMatch(/const bool n\d+ = adq_gate_\w+\(/);
      expect(read(build, 'adequate_top.cpp').match(/ADQ_HLS\(ALLOCATION function instances=tile_\d limit=1\)/g)).toHaveLength(3);
    }, 300_000);
  }

  testWithTool('g++', 'mlp with signed codes: netlist and table realisations of signed multipliers', async () => {
    const ir = bind(q['mlp-signed']!, 'mlp-signed-approx-q', [{ multiplier: 'trunc-s8-k8', tile: 0 }, { multiplier: undefined, tile: 1 }, { multiplier: 'bam-s8-v8h3', tile: 2 }]);
    for (const impl of ['auto', 'table'] as const) {
      const { v, build } = await emitAndVerify(ir, `mlp-signed-${impl}`, ['--lanes', '8', '--mult-impl', impl]);
      expect(v).toMatchObject({ count: 100, mismatches: 0, passed: true });
      expect(read(build, 'adequate_multipliers.h').includes('rom[65536]')).toBe(impl === 'table');
    }
  }, 300_000);

  testWithTool('g++', 'shared weights: kernel-granularity codebooks, and a tile mixing shared and unshared layers', async () => {
    const shared = join(work, 'lenet-shared-q');
    await cli(['share', q.lenet!, '-o', shared, '-k', '8', '--granularity', 'kernel', '--eval-limit', '0']);
    const g = loadIr(shared);
    const lastGemm = g.nodes.filter((n) => n.op === 'QGemm').at(-1)!;
    const mixed = saveVariant(shared, 'lenet-mixed-q', {
      ...g,
      nodes: g.nodes.map((n): Node => (n === lastGemm && n.op === 'QGemm' ? { ...n, attrs: (({ sharing: _s, ...rest }) => rest)(n.attrs) } : n)),
    });
    for (const [ir, name] of [[shared, 'lenet-shared'], [mixed, 'lenet-mixed']] as const) {
      const { v, build } = await emitAndVerify(ir, name, ['--lanes', '4']);
      expect(v).toMatchObject({ count: 100, mismatches: 0, passed: true });
      expect(read(build, 'adequate_weights.h')).toMatch(/static const tile0_w_t TILE0_CB\[4\]\[1\]/);
      // 8 clusters: 3-bit indices; the unshared layer of the mixed tile indexes the codebook of its distinct weights.
      expect(read(build, 'adequate_weights.h')).toMatch(name === 'lenet-shared' ? /typedef adq::uint_t<3>::type tile0_index_t;/ : /typedef adq::uint_t<[4-8]>::type tile0_index_t;/);
    }
  }, 300_000);

  testWithTool('g++', 'a corrupted weight makes verify fail with exit code 3, naming the first wrong layer', async () => {
    const build = join(work, 'lenet-exact');
    const weights = read(build, 'adequate_weights.h');
    // The first row of TILE0_W is lane 0 (SIMD lane 0) of conv1's first block: its first weight feeds output channel 0.
    const corrupted = weights.replace(/(TILE0_W\[\d+\]\[1\]\[\d+\] = \{\n  \{\n    \{\n  )(\d+)/, (_, head: string, w: string) => `${head}${(Number(w) + 37) % 256}`);
    expect(corrupted).not.toBe(weights);
    writeFileSync(join(build, 'adequate_weights.h'), corrupted);
    try {
      const r = await runCliAsync(['verify', build, '--hls', '--count', '20', '--layers', '--json']);
      expect(r.code).toBe(3);
      const v = JSON.parse(r.stdout) as VerifyJson;
      expect(v.passed).toBe(false);
      expect(v.mismatches).toBeGreaterThan(0);
      expect(v.first_mismatching_layer).toBe(loadIr(q.lenet!).nodes.find((n) => n.op === 'QConv')!.name);
      const text = await runCliAsync(['verify', build, '--hls', '--count', '5']);
      expect(text.stdout).toMatch(/FAIL: \d+ of 5 inference\(s\) differ/);
      expect(text.stdout).toMatch(/^mismatch: inference \d+, output \d+ = -?\d+, expected -?\d+$/m);
    } finally {
      writeFileSync(join(build, 'adequate_weights.h'), weights);
    }
    // Back to the original sources: the cached binary of the first run is used again, and passes.
    const cached = readdirSync(join(build, '.csim')).filter((f) => f.startsWith('tb-'));
    expect(cached.length).toBe(2);
    const r = await runCliAsync(['verify', build, '--hls', '--count', '10', '--json']);
    expect(r.code).toBe(0);
    expect(readdirSync(join(build, '.csim')).filter((f) => f.startsWith('tb-'))).toEqual(cached);
  }, 300_000);

  testWithTool('g++', 'a small model with grouped conv, residual add, sigmoid, padded max and average pools', async () => {
    const dir = join(work, 'mixed');
    const onnxFile = join(work, 'mixed.onnx');
    const conv = (name: string, c: number, m: number, k: number, group: number, seed: number) => [
      { name: `${name}.w`, shape: [m, c / group, k, k], data: seeded(seed, (m * c * k * k) / group) },
      { name: `${name}.b`, shape: [m], data: seeded(seed + 1, m) },
    ];
    writeFileSync(onnxFile, buildModel({
      inputs: [{ name: 'x', shape: [1, 4, 9, 9] }],
      outputs: ['y'],
      initializers: [...conv('c1', 4, 6, 3, 2, 1), ...conv('c2', 6, 6, 1, 1, 3), { name: 'fc.w', shape: [5, 6], data: seeded(5, 30) }, { name: 'fc.b', shape: [5], data: seeded(6, 5) }],
      nodes: [
        { op: 'Conv', inputs: ['x', 'c1.w', 'c1.b'], outputs: ['a'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1], group: 2 } },
        { op: 'Relu', inputs: ['a'], outputs: ['ar'] },
        { op: 'AveragePool', inputs: ['ar'], outputs: ['p'], attrs: { kernel_shape: [2, 2], strides: [1, 1], pads: [0, 0, 1, 1], count_include_pad: 1 } },
        { op: 'Conv', inputs: ['p', 'c2.w', 'c2.b'], outputs: ['b'], attrs: { kernel_shape: [1, 1] } },
        { op: 'Add', inputs: ['b', 'p'], outputs: ['s'] },
        { op: 'Sigmoid', inputs: ['s'], outputs: ['sg'] },
        { op: 'MaxPool', inputs: ['sg'], outputs: ['m'], attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] } },
        { op: 'AveragePool', inputs: ['m'], outputs: ['ap'], attrs: { kernel_shape: [2, 2], strides: [2, 2], pads: [0, 0, 1, 1], count_include_pad: 0 } },
        { op: 'GlobalAveragePool', inputs: ['ap'], outputs: ['g'] },
        { op: 'Flatten', inputs: ['g'], outputs: ['f'] },
        { op: 'Gemm', inputs: ['f', 'fc.w', 'fc.b'], outputs: ['y'], attrs: { transB: 1 } },
      ],
    }));
    const x = join(work, 'mixed-x.npy');
    writeNpy(x, makeTensor('float32', [200, 4, 9, 9], seeded(9, 200 * 4 * 81).map((v) => 2 * v)));
    await cli(['quantize', onnxFile, '-o', dir, '--inputs', x, '--calib', '100']);
    const ops = loadIr(dir).nodes.map((n) => n.op);
    for (const op of ['QConv', 'QSum', 'QTable', 'QAveragePool', 'MaxPool', 'Reshape', 'QGemm']) expect(ops).toContain(op);
    const { v, build } = await emitAndVerify(dir, 'mixed-build', ['--lanes', '2'], ['--inputs', x]);
    expect(v).toMatchObject({ count: 100, mismatches: 0, passed: true, first_mismatching_layer: null });
    expect(read(build, 'adequate_top.cpp')).toMatch(/static void average_pool\(/);
  }, 300_000);

  test('every emitted source: no dynamic allocation, recursion, unbounded loop, or floating point in integer layers', () => {
    const builds = readdirSync(work).filter((d) => existsSync(join(work, d, 'adequate_top.cpp')));
    expect(builds.length).toBeGreaterThanOrEqual(8);
    for (const b of builds) staticChecks(join(work, b), ['requantize', 'round_shift', 's32_from_u32']);
  });

  test('--mult-impl netlist on a multiplier that has only a table is E_HW', async () => {
    const ir = bind(q.mlp!, 'mlp-evo-q', [{ multiplier: TABLE_ONLY }, undefined, undefined]);
    const r = await runCliAsync(['emit', 'hls', ir, '-o', join(work, 'never'), '--mult-impl', 'netlist']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`error\\[E_HW\\]: tile \\d uses ${TABLE_ONLY}, which has no gate-level netlist`));
    expect(existsSync(join(work, 'never'))).toBe(false);
  });
});
