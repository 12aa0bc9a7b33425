/** Integer golden model throughput: multiply-accumulates per second through a multiplier table (the inner loop of
 *  every approximate-multiplier exploration) and with exact multiplication, for one conv layer and for the whole
 *  quantized LeNet-5, on one core, one image per run and BATCH images per run (the graph rebatched, as the
 *  exploration evaluators run it: small layers get long loops); against a native C++ table loop over the same layers
 *  (bench/native-table-loop.cpp, g++ -O2, compiled in this run); and samples per second on all cores. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rebatch } from '../src/ir/rebatch.js';
import { packagePath } from '../src/paths.js';
import { runOutputs, type EvalContext } from '../src/golden/evaluate.js';
import { qconv } from '../src/golden/integer/qlinear.js';
import { evaluateParallel } from '../src/golden/parallel.js';
import { layerStats, totalsOf } from '../src/ir/stats.js';
import type { Graph, QConvNode } from '../src/ir/types.js';
import { makeTensor, sizeOf } from '../src/ir/types.js';
import { getMultiplier } from '../src/multipliers/index.js';
import type { Benchmark } from './types.js';
import { quantizedLenet, quantizedResidual } from './fixtures.js';

const MULTIPLIER = 'mul8u_FTA';
/** Images per run of the batched whole-network figure (the approx evaluator runs 250). */
const BATCH = 64;

/** The conv/dense layers of a graph as the native loop's input lines (C H W M KH KW STRIDE PADTOP PADLEFT GROUP OH OW). */
function nativeLayers(g: Graph): string[] {
  return g.nodes.flatMap((n) => {
    if (n.op === 'QConv') {
      const x = g.values.get(n.inputs[0]!)!.shape, w = g.constants.get(n.inputs[1]!)!.shape, y = g.values.get(n.outputs[0]!)!.shape;
      if (x.length !== 4) return [];
      const a = n.attrs;
      return [[x[1], x[2], x[3], w[0], w[2], w[3], a.strides[0], a.pads[0], a.pads[1], a.group, y[2], y[3]].join(' ')];
    }
    if (n.op === 'QGemm') {
      const w = g.constants.get(n.inputs[1]!)!.shape, y = g.values.get(n.outputs[0]!)!.shape;
      const M = y[y.length - 1]!, K = w[0] === M ? w[1]! : w[0]!;
      return [[K, 1, 1, M, 1, 1, 1, 0, 0, 1, 1, 1].join(' ')];
    }
    return [];
  });
}

/** G table-MAC/s of the native loop over the graph's layers (undefined without g++). */
function nativeTableLoop(g: Graph, images: number): { gmacs: number; macs: number } | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'adequate-bench-native-'));
  try {
    const exe = join(dir, 'loop');
    const cc = spawnSync('g++', ['-O2', '-o', exe, packagePath('bench', 'native-table-loop.cpp')], { encoding: 'utf8' });
    if (cc.status !== 0) return undefined;
    const run = spawnSync(exe, [], { input: `${images}\n${nativeLayers(g).join('\n')}\n`, encoding: 'utf8' });
    const [gmacs, macs] = run.stdout.trim().split(' ').map(Number);
    return { gmacs: gmacs!, macs: macs! };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function timeIt(fn: () => void, minSeconds: number): number {
  fn();
  let runs = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < minSeconds * 1000) {
    fn();
    runs++;
  }
  return (performance.now() - t0) / 1000 / runs;
}

/** conv 32 -> 32, 3x3, pad 1, on 16x16: K = 288, 256 positions, 2.36 M MACs. */
function convLayer() {
  const [C, M, H] = [32, 32, 16];
  const attrs: QConvNode['attrs'] = {
    kernelShape: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1], dilations: [1, 1], group: 1,
    aZeroPoint: 3, wZeroPoint: Array.from({ length: M }, (_, m) => 120 + (m % 9)), mantissa: Array<number>(M).fill(1 << 30), shift: Array<number>(M).fill(12),
    rounding: 'half-away', outZeroPoint: 0, lo: 0, hi: 255, accBits: 24, wBits: 8, aScale: 1, wScale: Array<number>(M).fill(1), outScale: 1, outType: 'uint8',
  };
  const node: QConvNode = { name: 'conv', op: 'QConv', inputs: [], outputs: [], attrs };
  const x = makeTensor('uint8', [1, C, H, H]), w = makeTensor('uint8', [M, C, 3, 3]), b = makeTensor('int32', [M]);
  x.data.forEach((_, i) => (x.data[i] = (i * 37) % 256));
  w.data.forEach((_, i) => (w.data[i] = (i * 91) % 256));
  return { node, x, w, b, shape: [1, M, H, H], macs: M * H * H * C * 9 };
}

/** The straightforward JavaScript loop the kernel is measured against: the same conv, one table lookup per MAC. */
function naiveTableConv(x: ArrayLike<number>, w: ArrayLike<number>, table: Int32Array): number {
  const [C, M, H] = [32, 32, 16];
  let total = 0;
  for (let m = 0; m < M; m++)
    for (let oy = 0; oy < H; oy++)
      for (let ox = 0; ox < H; ox++) {
        let s = 0;
        for (let c = 0; c < C; c++)
          for (let ky = 0; ky < 3; ky++)
            for (let kx = 0; kx < 3; kx++) {
              const iy = oy + ky - 1, ix = ox + kx - 1;
              const a = iy < 0 || iy >= H || ix < 0 || ix >= H ? 3 : x[(c * H + iy) * H + ix]!;
              s += table[a * 256 + w[((m * C + c) * 3 + ky) * 3 + kx]!]!;
            }
        total += s;
      }
  return total;
}

/** Whole-network G table-MAC/s of a graph one image per run and BATCH per run, and the native loop's, on one core. */
function wholeNetwork(graph: Graph, samples: Float32Array, table: Int32Array) {
  const approx = withMultiplier(graph, MULTIPLIER);
  const macs = totalsOf(layerStats(graph)).macs;
  const ctx: EvalContext = { productTable: () => table };
  const per = sizeOf(graph.inputs[0]!.shape);
  const one = new Map([[graph.inputs[0]!.name, makeTensor('float32', graph.inputs[0]!.shape, samples.slice(0, per))]]);
  const batched = rebatch(approx, BATCH)!;
  const many = new Map([[graph.inputs[0]!.name, makeTensor('float32', batched.inputs[0]!.shape, samples.slice(0, BATCH * per))]]);
  const single = timeIt(() => runOutputs(approx, one, ctx), 2);
  const batch = timeIt(() => runOutputs(batched, many, ctx), 2) / BATCH;
  const native = nativeTableLoop(graph, Math.max(20, Math.round(1e9 / macs)));
  if (native && native.macs !== macs) throw new Error(`internal error: the native loop counts ${native.macs} MACs, the graph ${macs}`);
  return { macs, single: macs / single / 1e9, batch: macs / batch / 1e9, native: native?.gmacs };
}

function withMultiplier(g: Graph, id: string): Graph {
  return { ...g, nodes: g.nodes.map((n) => (n.op === 'QConv' || n.op === 'QGemm' ? { ...n, attrs: { ...n.attrs, multiplier: id } } : n)) as Graph['nodes'] };
}

/** The whole-network figures of one model, keyed by its name. */
function figures(name: string, r: ReturnType<typeof wholeNetwork>): Record<string, number> {
  return {
    [`${name}_macs`]: r.macs,
    [`${name}_table_gmacs_one_image`]: +r.single.toFixed(3),
    [`${name}_table_gmacs_batch${BATCH}`]: +r.batch.toFixed(3),
    ...(r.native !== undefined ? {
      [`${name}_native_cpp_table_gmacs`]: +r.native.toFixed(3),
      [`${name}_one_image_vs_native`]: +(r.single / r.native).toFixed(3),
      [`${name}_batch${BATCH}_vs_native`]: +(r.batch / r.native).toFixed(3),
    } : {}),
  };
}

export const goldenInteger: Benchmark = {
  name: 'golden-integer',
  summary: `integer golden model: table-MAC/s (${MULTIPLIER}) and exact MAC/s, conv layer and LeNet-5; batch samples/s on all cores`,
  async run() {
    const table = getMultiplier(MULTIPLIER).table;
    const c = convLayer();
    const convTable = timeIt(() => qconv(c.node, c.x, c.w, c.b, c.shape, table), 2);
    const convExact = timeIt(() => qconv(c.node, c.x, c.w, c.b, c.shape, undefined), 2);
    const naive = timeIt(() => naiveTableConv(c.x.data, c.w.data, table), 2);
    const { graph, samples } = quantizedLenet();
    const approx = withMultiplier(graph, MULTIPLIER);
    const macs = totalsOf(layerStats(graph)).macs;
    const ctx: EvalContext = { productTable: () => table };
    const one = makeTensor('float32', graph.inputs[0]!.shape, samples.inputs.data.slice(0, 784));
    const feeds = new Map([[graph.inputs[0]!.name, one]]);
    const lenetTable = timeIt(() => runOutputs(approx, feeds, ctx), 2);
    const lenetExact = timeIt(() => runOutputs(graph, feeds), 2);
    const lenet = wholeNetwork(graph, samples.inputs.data as Float32Array, table);
    const residual = quantizedResidual(BATCH);
    const res = residual ? wholeNetwork(residual.graph, residual.samples.inputs.data as Float32Array, table) : undefined;
    const t0 = performance.now();
    const par = await evaluateParallel(approx, samples, { multiplierLibrary: undefined });
    const parSeconds = (performance.now() - t0) / 1000;
    return {
      conv_table_gmacs: +(c.macs / convTable / 1e9).toFixed(3),
      conv_exact_gmacs: +(c.macs / convExact / 1e9).toFixed(3),
      conv_naive_js_table_gmacs: +(c.macs / naive / 1e9).toFixed(3),
      lenet5_table_gmacs: +(macs / lenetTable / 1e9).toFixed(3),
      lenet5_exact_gmacs: +(macs / lenetExact / 1e9).toFixed(3),
      ...figures('lenet5', lenet),
      ...(res ? figures('residual', res) : {}),
      lenet5_table_samples_per_second_one_core: +(1 / lenetTable).toFixed(0),
      lenet5_table_samples_per_second_all_cores: +(samples.count / parSeconds).toFixed(0),
      workers: par.workers,
      lenet5_table_top1: par.top1,
    };
  },
};
