/** `adequate emit hls` + `adequate verify --hls` on word-length-tuned IRs (ir/arithmetic.md section 6): both example
 *  models tuned by `adequate wordlength` in fixed point and in custom float, hand-set formats that exercise
 *  accumulator saturation, truncation, subnormals and IEEE infinities, and a small model with every op a tuned
 *  accelerator runs (padded and grouped Conv, Clip, padded MaxPool, Relu, GlobalMaxPool, Flatten, Gemm without
 *  transB). Every build is compiled with g++ -Wall -Wextra -Werror and compared bit for bit with the word-length
 *  golden model on 100 inputs in every layer. A corrupted weight code must fail naming the layer; emit verilog of a
 *  tuned IR is one E_HW line. */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { runGraph } from '../../src/golden/evaluate.js';
import { loadDatasetFor } from '../../src/cli/dataset-options.js';
import { loadModel } from '../../src/cli/load.js';
import { encodeFloat, fixedFormat, fixedRange, floatFormat, floatMaxFinite } from '../../src/ir/numformats.js';
import { loadIr, saveIr } from '../../src/ir/serialize.js';
import type { Graph, LayerFormats, NumFormat } from '../../src/ir/types.js';
import { makeTensor } from '../../src/ir/types.js';
import { readNpy, writeNpy } from '../../src/io/npy.js';
import { wordlengthPass } from '../../src/passes/wordlength.js';
import { buildModel, seeded } from '../helpers/onnx-builder.js';
import { REPO, runCliAsync } from '../helpers/cli.js';
import { staticChecks } from '../helpers/hls-static.js';
import { tempDir } from '../helpers/tmp.js';
import { testWithTool } from '../helpers/tools.js';

const EXAMPLES = { lenet: join(REPO, 'examples/lenet5-mnist/model.onnx'), mlp: join(REPO, 'examples/mlp-mnist/model.onnx') };
const work = tempDir('adequate-hls-wl-');
const tuned: Record<string, string> = {};
const builds: { dir: string; kind: 'fixed' | 'float' }[] = [];

interface VerifyJson {
  count: number;
  mismatches: number;
  top1?: number;
  passed: boolean;
  layers_compared?: number;
  first_mismatching_layer?: string | null;
}

async function cli(args: string[]): Promise<string> {
  const r = await runCliAsync(args);
  if (r.code !== 0) throw new Error(`adequate ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

async function emitAndVerify(ir: string, name: string, lanes: number, kind: 'fixed' | 'float', verifyFlags: string[] = []): Promise<{ v: VerifyJson; build: string }> {
  const build = join(work, name);
  await cli(['emit', 'hls', ir, '-o', build, '--lanes', String(lanes)]);
  builds.push({ dir: build, kind });
  const v = JSON.parse(await cli(['verify', build, '--hls', '--count', '100', '--layers', '--json', ...verifyFlags])) as VerifyJson;
  return { v, build };
}

const formatsOf = (g: Graph) => new Map(g.nodes.flatMap((n) => ((n.op === 'Conv' || n.op === 'Gemm') && n.attrs.formats ? [[n.name, n.attrs.formats] as [string, LayerFormats]] : [])));
const inputFormat = (g: Graph) => g.values.get(g.inputs[0]!.name)!.format!;

/** The float IR of a model with other formats: the wordlength pass run again on the imported graph. */
function retune(float: Graph, input: NumFormat, change: (layer: string, f: LayerFormats, i: number) => LayerFormats, from: Graph): Graph {
  const layers = new Map([...formatsOf(from)].map(([name, f], i) => [name, change(name, f, i)]));
  return wordlengthPass.run(float, { input, layers }).graph;
}

function saveTuned(name: string, g: Graph, datasetFrom: string): string {
  const dir = join(work, name);
  mkdirSync(dir);
  saveIr(dir, g);
  writeFileSync(join(dir, 'dataset.json'), readFileSync(join(datasetFrom, 'dataset.json')));
  return dir;
}

/** Every value the golden model computes on the first `count` samples of an IR's test data. */
function goldenRuns(g: Graph, irDir: string, count: number): Map<string, Float32Array>[] {
  const data = loadDatasetFor(irDir, { limit: count }, g.inputs[0]!.shape, 'test');
  const per = data.inputs.data.length / data.count, info = g.inputs[0]!;
  return Array.from({ length: data.count }, (_, n) => {
    const x = makeTensor('float32', info.shape, data.inputs.data.slice(n * per, (n + 1) * per) as Float32Array);
    const env = runGraph(g, new Map([[info.name, x]]));
    return new Map(g.nodes.map((node) => [node.outputs[0]!, env.get(node.outputs[0]!)!.data as Float32Array]));
  });
}
/** The graph outputs of goldenRuns (for "this path matters" checks). */
function goldenOutputs(g: Graph, irDir: string, count: number): Float32Array[] {
  return goldenRuns(g, irDir, count).map((env) => env.get(g.outputs[0]!)!);
}
const differ = (a: Float32Array[], b: Float32Array[]) => a.some((x, n) => x.some((v, i) => !Object.is(v, b[n]![i])));

describe('HLS C++ of word-length-tuned IRs, verified by C simulation', () => {
  const float: Record<string, Graph> = {};
  beforeAll(async () => {
    for (const [model, onnx] of Object.entries(EXAMPLES)) {
      float[model] = loadModel(onnx);
      for (const kind of ['fixed', 'float'] as const) {
        tuned[`${model}-${kind}`] = join(work, `${model}-${kind}`);
        await cli(['wordlength', onnx, '-o', tuned[`${model}-${kind}`]!, '--kind', kind, '--eval', '100', '--holdout', '0', '--calib', '64', '--confidence', '0', '--max-drop', '1']);
      }
    }
  }, 600_000);

  for (const model of ['lenet', 'mlp'] as const)
    for (const kind of ['fixed', 'float'] as const) {
      testWithTool('g++', `${model}, ${kind} formats from adequate wordlength: 100 inputs bit for bit in every layer`, async () => {
        const ir = tuned[`${model}-${kind}`]!;
        const g = loadIr(ir);
        const { v, build } = await emitAndVerify(ir, `${model}-${kind}-build`, model === 'lenet' ? 4 : 3, kind);
        expect(v).toMatchObject({ count: 100, mismatches: 0, passed: true, first_mismatching_layer: null, layers_compared: g.nodes.filter((n) => n.op !== 'Softmax').length });
        expect(v.top1).toBeGreaterThan(0.85);
        const mult = readFileSync(join(build, 'adequate_multipliers.h'), 'utf8');
        expect(mult).toMatch(kind === 'fixed' ? /typedef adq::fixed_code<\d+, -?\d+, (true|false), adq::FX_\w+, adq::FX_\w+> tile0_acc;/ : /typedef adq::float_format<\d+, \d+, -?\d+, true, adq::FP_NONE, adq::FP_SAT> tile0_acc;/);
        // One tile per distinct set of layer formats.
        const distinct = new Set([...formatsOf(g).values()].map((f) => JSON.stringify(f))).size;
        expect(readFileSync(join(build, 'adequate_top.cpp'), 'utf8').match(/^static void tile_\d+\(/gm)).toHaveLength(distinct);
      }, 300_000);
    }

  testWithTool('g++', 'fixed point: saturating, truncating accumulators two bits short, truncating activations (LeNet-5)', async () => {
    const from = loadIr(tuned['lenet-fixed']!);
    const variant = (overflow: 'wrap' | 'saturate', rounding: 'truncate' | 'half-even') =>
      retune(float.lenet!, inputFormat(from), (_, f) => {
        if (f.accumulator.kind !== 'fixed' || f.activation.kind !== 'fixed') throw new Error('fixed formats expected');
        return { ...f, accumulator: { ...f.accumulator, intBits: f.accumulator.intBits - 2, width: f.accumulator.width - 2, overflow, rounding }, activation: { ...f.activation, rounding } };
      }, from);
    const g = variant('saturate', 'truncate');
    const ir = saveTuned('lenet-fixed-sat-trn', g, tuned['lenet-fixed']!);
    // The paths matter: wrapping instead of saturating, or rounding instead of truncating, changes outputs.
    const out = goldenOutputs(g, ir, 100);
    expect(differ(out, goldenOutputs(variant('wrap', 'truncate'), ir, 100))).toBe(true);
    expect(differ(out, goldenOutputs(variant('saturate', 'half-even'), ir, 100))).toBe(true);
    const { v, build } = await emitAndVerify(ir, 'lenet-fixed-sat-trn-build', 2, 'fixed');
    expect(v).toMatchObject({ count: 100, mismatches: 0, passed: true, first_mismatching_layer: null });
    expect(readFileSync(join(build, 'adequate_multipliers.h'), 'utf8')).toMatch(/adq::FX_TRN, adq::FX_SAT> tile0_acc;/);
  }, 300_000);

  testWithTool('g++', 'custom float: subnormals that matter (LeNet-5), and IEEE infinities and NaN from overflow (MLP)', async () => {
    const from = loadIr(tuned['lenet-float']!);
    const variant = (subnormals: boolean) =>
      retune(float.lenet!, inputFormat(from), (_, f) => {
        const s = (x: NumFormat): NumFormat => (x.kind === 'float' ? { ...x, subnormals } : x);
        return { weight: s(f.weight), bias: s(f.bias), accumulator: s(f.accumulator), activation: s(f.activation) };
      }, from);
    const g = variant(true);
    const ir = saveTuned('lenet-float-sub', g, tuned['lenet-float']!);
    expect(differ(goldenOutputs(g, ir, 100), goldenOutputs(variant(false), ir, 100))).toBe(true);
    const { v } = await emitAndVerify(ir, 'lenet-float-sub-build', 4, 'float');
    expect(v).toMatchObject({ count: 100, mismatches: 0, passed: true, first_mismatching_layer: null });

    // MLP: accumulators and activations float<3,2> with IEEE specials, overflowing to infinity above 1.75 (bias 6):
    // sums overflow to +-inf, Relu passes +inf, inf * 0 and inf - inf make NaN in the next layers.
    const mlp = loadIr(tuned['mlp-float']!);
    const ieee = floatFormat(3, 2, { bias: 6, overflow: 'inf' });
    const gi = retune(float.mlp!, inputFormat(mlp), (_, f) => ({ ...f, accumulator: ieee, activation: ieee }), mlp);
    const iri = saveTuned('mlp-float-ieee', gi, tuned['mlp-float']!);
    const values = goldenRuns(gi, iri, 100).flatMap((env) => gi.nodes.filter((n) => n.op === 'Gemm').map((n) => env.get(n.outputs[0]!)!));
    expect(values.some((o) => o.some((x) => Number.isNaN(x)))).toBe(true);
    expect(values.some((o) => o.some((x) => x === Infinity)) && values.some((o) => o.some((x) => x === -Infinity))).toBe(true);
    const r = await emitAndVerify(iri, 'mlp-float-ieee-build', 8, 'float');
    expect(r.v).toMatchObject({ count: 100, mismatches: 0, passed: true, first_mismatching_layer: null });
  }, 300_000);

  for (const kind of ['fixed', 'float'] as const)
    testWithTool('g++', `${kind}: a small model with grouped padded Conv, Clip, padded MaxPool, Relu, GlobalMaxPool, Flatten, Gemm without transB`, async () => {
      const { ir, x } = smallModel(kind);
      const { v, build } = await emitAndVerify(ir, `small-${kind}-build`, 3, kind, ['--inputs', x]);
      expect(v).toMatchObject({ count: 100, mismatches: 0, passed: true, first_mismatching_layer: null, layers_compared: 8 });
      const top = readFileSync(join(build, 'adequate_top.cpp'), 'utf8');
      for (const call of [/max_pool<adq::\w+<[^>]*> >\(mem, LAYER\d+\);/, /fmt::min_of\(-?\d+, fmt::max_of\(-?\d+, v\)\)/, /fmt::max_of\(best, mem\[/]) expect(top).toMatch(call);
      // 64-bit stream beats (--stream-width 64): 8 input codes (8-bit formats) per beat, two 12-bit output codes in
      // 32-bit lanes per beat, the second beat half empty; an 8-bit output beat cannot carry 12-bit codes.
      const wide = join(work, `small-${kind}-build-64`);
      await cli(['emit', 'hls', ir, '-o', wide, '--lanes', '3', '--stream-width', '64']);
      builds.push({ dir: wide, kind });
      expect(readFileSync(join(wide, 'adequate.h'), 'utf8')).toMatch(/#define ADQ_IN_BITS 64\n#define ADQ_IN_LANES 8\n[^]*#define ADQ_OUT_BITS 64\n#define ADQ_OUT_LANES 2\n#define ADQ_OUT_LANE_BITS 32\n#define ADQ_OUT_BEATS 2\n/);
      const w = JSON.parse(await cli(['verify', wide, '--hls', '--count', '100', '--layers', '--json', '--inputs', x])) as VerifyJson;
      expect(w).toMatchObject({ count: 100, mismatches: 0, passed: true, first_mismatching_layer: null, layers_compared: 8 });
      const narrow = await runCliAsync(['emit', 'hls', ir, '-o', join(work, `small-${kind}-build-8`), '--stream-width', '8']);
      expect(narrow.code).toBe(2);
      expect(narrow.stderr).toMatch(/--stream-width 8: the output codes are 12-bit, wider than an 8-bit output beat/);
    }, 300_000);

  testWithTool('g++', 'a corrupted weight code makes verify fail with exit code 3, naming the first layer', async () => {
    for (const kind of ['fixed', 'float'] as const) {
      const build = join(work, `lenet-${kind}-build`);
      const g = loadIr(join(build, 'ir'));
      const first = g.nodes.find((n) => n.op === 'Conv')!;
      const wf = (first.op === 'Conv' ? first.attrs.formats! : undefined)!.weight;
      // A code far from the original: the largest (or smallest) code of the weight format.
      const big = wf.kind === 'fixed' ? fixedRange(wf).max : encodeFloat(floatMaxFinite(wf), wf);
      const small = wf.kind === 'fixed' ? fixedRange(wf).min : encodeFloat(-floatMaxFinite(wf), wf);
      const weights = readFileSync(join(build, 'adequate_weights.h'), 'utf8');
      const corrupted = weights.replace(/(TILE0_W\[ADQ_LANES\]\[1\]\[\d+\] = \{\n  \{\n    \{\n  )(-?\d+)/, (_, head: string, w: string) => `${head}${Number(w) === big ? small : big}`);
      expect(corrupted).not.toBe(weights);
      writeFileSync(join(build, 'adequate_weights.h'), corrupted);
      try {
        const r = await runCliAsync(['verify', build, '--hls', '--count', '20', '--layers', '--json']);
        expect(r.code).toBe(3);
        const v = JSON.parse(r.stdout) as VerifyJson;
        expect(v).toMatchObject({ passed: false, first_mismatching_layer: first.name });
        expect(v.mismatches).toBeGreaterThan(0);
        const text = await runCliAsync(['verify', build, '--hls', '--count', '5', '--layers']);
        expect(text.stdout).toMatch(new RegExp(`FAIL: \\d+ of 5 inference\\(s\\) differ from the word-length golden model, first in layer '${first.name}'`));
      } finally {
        writeFileSync(join(build, 'adequate_weights.h'), weights);
      }
    }
  }, 300_000);

  test('every tuned build: no dynamic allocation, recursion, unbounded loop, or floating point anywhere the design runs', () => {
    expect(builds.length).toBeGreaterThanOrEqual(9);
    for (const { dir, kind } of builds) {
      const reached = staticChecks(dir, kind === 'fixed' ? ['scale', 'add', 'cast', 'fx_round_shift', 'overflow'] : ['mul', 'add', 'cast', 'round', 'unpack', 'pack']);
      // The host conversions with doubles exist in adequate_types.h but the design never calls them.
      for (const host of ['encode', 'decode', 'from_double', 'to_double']) expect(reached.has(host), `${dir}: ${host}`).toBe(false);
    }
  });

  test('emit hls --simd other than the tuned S is one E_USAGE line (the order of the additions defines the sums)', async () => {
    const r = await runCliAsync(['emit', 'hls', tuned['mlp-fixed']!, '-o', join(work, 'never-s'), '--simd', '2']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^adequate: error\[E_USAGE\]: '.+' is word-length tuned for S = 1 .*not --simd 2; emit it with --simd 1 or without --simd, or re-run adequate wordlength --simd 2$/)]);
    expect(existsSync(join(work, 'never-s'))).toBe(false);
    const e = await runCliAsync(['emit', 'hls', tuned['mlp-fixed']!, '-o', join(work, 'never-e'), '--eltwise-lanes', '2']);
    expect(e.code).toBe(2);
    expect(e.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^adequate: error\[E_USAGE\]: '.+' is word-length tuned: .*drop --eltwise-lanes$/)]);
    const v = await runCliAsync(['emit', 'hls', tuned['mlp-fixed']!, '-o', join(work, 'never-v'), '--window-lanes', '2']);
    expect(v.code).toBe(2);
    expect(v.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^adequate: error\[E_USAGE\]: '.+' is word-length tuned: .*drop --window-lanes$/)]);
  });

  test('emit verilog of a word-length-tuned IR is one E_HW line: what, where, how to fix', async () => {
    const r = await runCliAsync(['emit', 'verilog', tuned['mlp-fixed']!, '-o', join(work, 'never-v')]);
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^adequate: error\[E_HW\]: '.+' is word-length tuned \(fixed-point formats, e\.g\. on layer '.+'\); the Verilog accelerator implements quantized \(integer\) IRs only: emit it as HLS C\+\+ \(adequate emit hls\), or quantize the float model \(adequate quantize\) for Verilog$/);
  });
});

describe('HLS C++ of word-length-tuned IRs at P x S (reduction lanes, ir/arithmetic.md 6)', () => {
  // P = 2 output channels x S = 3 taps per cycle; K = 18, 6 and 5 (the Gemm's last lane holds one term).
  for (const kind of ['fixed', 'float'] as const)
    testWithTool('g++', `${kind}${kind === 'fixed' ? ', saturating accumulators' : ''}: S = 3 recorded in the IR, built without --simd, bit for bit in every layer`, async () => {
      const { ir, x, graph } = smallModel(kind, { lanes: 3, saturating: kind === 'fixed', name: `small-${kind}-s3` });
      expect(graph.nodes.filter((n) => n.op === 'Conv' || n.op === 'Gemm').map((n) => (n.op === 'Conv' || n.op === 'Gemm' ? n.attrs.reductionLanes : 0))).toEqual([3, 3, 3]);
      // The order matters here: the same formats at S = 1 give other values in some layer (so S = 1 hardware fails).
      const one = smallModel(kind, { saturating: kind === 'fixed', name: `small-${kind}-s1` }).graph;
      const xs = readNpy(x);
      const per = xs.data.length / xs.shape[0]!, info = graph.inputs[0]!;
      const layerValues = (g: Graph, n: number) => {
        const env = runGraph(g, new Map([[info.name, makeTensor('float32', info.shape, (xs.data as Float32Array).slice(n * per, (n + 1) * per))]]));
        return g.nodes.filter((node) => node.op !== 'Softmax').map((node) => Array.from(env.get(node.outputs[0]!)!.data));
      };
      expect(Array.from({ length: 20 }, (_, n) => n).some((n) => JSON.stringify(layerValues(graph, n)) !== JSON.stringify(layerValues(one, n)))).toBe(true);
      const build = join(work, `small-${kind}-s3-build`);
      const emitted = JSON.parse(await cli(['emit', 'hls', ir, '-o', build, '--pe', '2', '--json'])) as { lanes: number; simd: number; multipliers_total: number };
      expect(emitted).toMatchObject({ lanes: 2, simd: 3, multipliers_total: 3 * 2 * 3 });
      const top = readFileSync(join(build, 'adequate_top.cpp'), 'utf8');
      expect(top.match(/^#define TILE\d+_SIMD 3$/gm)).toHaveLength(3);
      // SIMD lanes 1 and 2 read the activation memory's replicas (a stale replica would fail the C simulation).
      expect(top.match(/^#define TILE\d+_REPLICAS 2$/gm)).toHaveLength(3);
      expect(top).toMatch(/adq_load_0\(mem, s, /);
      const reached = staticChecks(build, kind === 'fixed' ? ['scale', 'add', 'cast', 'fx_round_shift', 'overflow'] : ['mul', 'add', 'cast', 'round', 'unpack', 'pack']);
      for (const host of ['encode', 'decode', 'from_double', 'to_double']) expect(reached.has(host), host).toBe(false);
      expect(readFileSync(join(build, 'adequate_weights.h'), 'utf8')).toMatch(/TILE0_W\[ADQ_LANES\]\[3\]\[\d+\] = \{/);
      const v = JSON.parse(await cli(['verify', build, '--hls', '--count', '100', '--layers', '--json', '--inputs', x])) as VerifyJson;
      expect(v).toMatchObject({ count: 100, mismatches: 0, passed: true, first_mismatching_layer: null, layers_compared: 8 });
      // --simd equal to the recorded S is accepted; another is one E_USAGE line.
      await cli(['emit', 'hls', ir, '-o', join(work, `small-${kind}-s3-again`), '--pe', '2', '--simd', '3']);
      const r = await runCliAsync(['emit', 'hls', ir, '-o', join(work, `small-${kind}-never`), '--simd', '2']);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^adequate: error\[E_USAGE\]: '.+' is word-length tuned for S = 3 .*not --simd 2; emit it with --simd 3 or without --simd, or re-run adequate wordlength --simd 2$/)]);
    }, 300_000);
});

/** A model with every op of a tuned accelerator, tuned by hand (the wordlength pass) in fixed point or custom float,
 *  with random inputs of both signs (so -0, padding with +0, negative sums and every rounding mode occur).
 *  `lanes`: the reduction lanes S recorded on its layers; `saturating`: fixed accumulators that saturate (narrow,
 *  so that they do) in every layer, where the order of the additions, and so S, matters. */
function smallModel(kind: 'fixed' | 'float', variant: { lanes?: number; saturating?: boolean; name?: string } = {}): { ir: string; x: string; graph: Graph } {
  const onnxFile = join(work, 'small.onnx');
  writeFileSync(onnxFile, buildModel({
    inputs: [{ name: 'x', shape: [1, 4, 9, 9] }],
    outputs: ['y'],
    initializers: [
      { name: 'c1.w', shape: [6, 2, 3, 3], data: seeded(1, 108) },
      { name: 'c1.b', shape: [6], data: seeded(2, 6) },
      { name: 'c2.w', shape: [5, 6, 1, 1], data: seeded(3, 30) },
      { name: 'lo', shape: [], data: [-0.5] },
      { name: 'hi', shape: [], data: [0.75] },
      { name: 'fc.w', shape: [5, 3], data: seeded(5, 15) },
      { name: 'fc.b', shape: [3], data: seeded(6, 3) },
    ],
    nodes: [
      { op: 'Conv', inputs: ['x', 'c1.w', 'c1.b'], outputs: ['a'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [2, 1], group: 2 } },
      { op: 'Clip', inputs: ['a', 'lo', 'hi'], outputs: ['ac'] },
      { op: 'MaxPool', inputs: ['ac'], outputs: ['m'], attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] } },
      { op: 'Conv', inputs: ['m', 'c2.w'], outputs: ['b'], attrs: { kernel_shape: [1, 1] } },
      { op: 'Relu', inputs: ['b'], outputs: ['br'] },
      { op: 'GlobalMaxPool', inputs: ['br'], outputs: ['g'] },
      { op: 'Flatten', inputs: ['g'], outputs: ['f'] },
      { op: 'Gemm', inputs: ['f', 'fc.w', 'fc.b'], outputs: ['z'] },
      { op: 'Softmax', inputs: ['z'], outputs: ['y'] },
    ],
  }));
  const g = loadModel(onnxFile);
  const [c1, c2, fc] = g.nodes.filter((n) => n.op === 'Conv' || n.op === 'Gemm').map((n) => n.name);
  const fx = (w: number, i: number, rounding: 'truncate' | 'half-up' | 'half-even' = 'half-even', overflow: 'wrap' | 'saturate' = 'saturate', signed = true) => fixedFormat(w, i, { rounding, overflow, signed });
  const fl = (e: number, m: number, bias: number, subnormals = true) => floatFormat(e, m, { bias, subnormals, specials: 'none' });
  const layers = new Map<string, LayerFormats>(kind === 'fixed' && variant.saturating
    ? [
        [c1!, { weight: fx(6, 1), bias: fx(6, 1), accumulator: fx(8, 3, 'half-up', 'saturate'), activation: fx(8, 3) }],
        [c2!, { weight: fx(5, 1), bias: fx(4, 1), accumulator: fx(9, 3, 'truncate', 'saturate'), activation: fx(7, 2, 'truncate') }],
        [fc!, { weight: fx(7, 1), bias: fx(8, 2), accumulator: fx(10, 3, 'half-even', 'saturate'), activation: fx(12, 6, 'half-up', 'saturate') }],
      ]
    : kind === 'fixed'
    ? [
        [c1!, { weight: fx(6, 1), bias: fx(6, 1), accumulator: fx(12, 5, 'half-up', 'wrap'), activation: fx(8, 3) }],
        [c2!, { weight: fx(5, 1), bias: fx(4, 1), accumulator: fx(9, 3, 'truncate', 'saturate'), activation: fx(7, 2, 'truncate') }],
        [fc!, { weight: fx(7, 1), bias: fx(8, 2), accumulator: fx(20, 6, 'half-even', 'wrap'), activation: fx(12, 6, 'half-up', 'saturate') }],
      ]
    : [
        [c1!, { weight: fl(3, 3, 4), bias: fl(3, 2, 3), accumulator: fl(5, 4, 12), activation: fl(4, 3, 7) }],
        [c2!, { weight: fl(3, 2, 5), bias: fl(3, 2, 5), accumulator: fl(3, 5, 4, false), activation: fl(4, 2, 8) }],
        [fc!, { weight: fl(4, 4, 7), bias: fl(4, 1, 7), accumulator: fl(6, 10, 31), activation: fl(5, 6, 15) }],
      ]);
  const input = kind === 'fixed' ? fx(8, 3) : fl(4, 3, 6);
  const dir = join(work, variant.name ?? `small-${kind}`);
  mkdirSync(dir);
  const graph = wordlengthPass.run(g, { input, layers, reductionLanes: variant.lanes ?? 1 }).graph;
  saveIr(dir, graph);
  const x = join(work, 'small-x.npy');
  writeNpy(x, makeTensor('float32', [100, 4, 9, 9], seeded(9, 100 * 4 * 81).map((v) => 3 * v)));
  return { ir: dir, x, graph };
}
