/** Scale: a torchvision ResNet-18 at 224x224 (random weights, exported with the system Python's torch into the
 *  gitignored tmp/zoo/) through `import`, `quantize` (4 random calibration images), `emit hls` and `emit verilog`, as
 *  a user runs them: wall seconds, CPU seconds (user + system, GNU time: independent of other load on a shared
 *  machine, and the wall time on an idle one for these single-threaded commands) and peak memory (GNU time's maximum
 *  resident set) of each command, and their sums.
 *  Opt-in extras (slow): BENCH_SCALE_VERIFY=1 runs one inference of the ResNet-18 Verilog build in Verilator;
 *  BENCH_SCALE_VGG=1 also emits a VGG-19 (144 M parameters) both ways, and ResNet-18's emit time per parameter
 *  beside VGG-19's shows whether emission grows linearly with the parameters. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../src/paths.js';
import type { Benchmark } from './types.js';

const ZOO = join(PACKAGE_ROOT, 'tmp', 'zoo');
const CLI = join(PACKAGE_ROOT, 'dist', 'src', 'cli', 'main.js');

const EXPORT = `
import sys, numpy, torch, torchvision
name, out = sys.argv[1], sys.argv[2]
torch.manual_seed(0)
m = getattr(torchvision.models, name)(weights=None).eval()
torch.onnx.export(m, torch.randn(1, 3, 224, 224), out, opset_version=13, input_names=['x'], output_names=['y'])
numpy.save(sys.argv[3], numpy.random.RandomState(0).uniform(-1, 1, (4, 3, 224, 224)).astype(numpy.float32))
`;

/** A torchvision model with random weights as ONNX (exported once, kept in tmp/zoo/). */
function exported(name: string): { onnx: string; inputs: string } {
  mkdirSync(ZOO, { recursive: true });
  const onnx = join(ZOO, `${name}.onnx`), inputs = join(ZOO, 'x224.npy');
  if (!existsSync(onnx) || !existsSync(inputs)) {
    const r = spawnSync('/usr/bin/python3', ['-c', EXPORT, name, onnx, inputs], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`exporting ${name} with /usr/bin/python3 (torch, torchvision) failed: ${r.stderr}`);
  }
  return { onnx, inputs };
}

/** Runs one adequate command under GNU time: wall seconds, CPU seconds (user + system) and peak resident memory in MB. */
function timed(args: readonly string[]): { seconds: number; cpu_seconds: number; peak_mb: number } {
  const t0 = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', 'ADQ_TIME %M %U %S', process.execPath, CLI, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const seconds = +((performance.now() - t0) / 1000).toFixed(1);
  if (r.status !== 0) throw new Error(`adequate ${args.join(' ')} failed: ${r.stderr}`);
  const [kb, user, sys] = (/ADQ_TIME (\d+) ([\d.]+) ([\d.]+)/.exec(r.stderr)?.slice(1) ?? []).map(Number);
  return { seconds, cpu_seconds: +(user! + sys!).toFixed(1), peak_mb: Math.round(kb! / 1024) };
}

function flow(name: string, verify: boolean): Record<string, number> {
  const { onnx, inputs } = exported(name);
  const dir = join(ZOO, `${name}-run`);
  rmSync(dir, { recursive: true, force: true });
  const steps: [string, string[]][] = [
    ['import', ['import', onnx, '-o', join(dir, 'ir')]],
    ['quantize', ['quantize', join(dir, 'ir'), '-o', join(dir, 'q'), '--inputs', inputs, '--calib', '4']],
    ['emit_hls', ['emit', 'hls', join(dir, 'q'), '-o', join(dir, 'hls')]],
    ['emit_verilog', ['emit', 'verilog', join(dir, 'q'), '-o', join(dir, 'v')]],
  ];
  const out: Record<string, number> = {};
  let total = 0, cpu = 0, peak = 0;
  for (const [key, args] of steps) {
    const t = timed(args);
    out[`${key}_seconds`] = t.seconds;
    out[`${key}_cpu_seconds`] = t.cpu_seconds;
    out[`${key}_peak_mb`] = t.peak_mb;
    total += t.seconds;
    cpu += t.cpu_seconds;
    peak = Math.max(peak, t.peak_mb);
  }
  out.total_seconds = +total.toFixed(1);
  out.total_cpu_seconds = +cpu.toFixed(1);
  out.peak_mb = peak;
  if (verify) {
    const t = timed(['verify', join(dir, 'v'), '--inputs', inputs, '--count', '1']);
    out.verify_one_inference_seconds = t.seconds;
    out.verify_one_inference_cpu_seconds = t.cpu_seconds;
    out.verify_peak_mb = t.peak_mb;
  }
  return out;
}

export const scaleBench: Benchmark = {
  name: 'scale',
  summary: 'ResNet-18 224x224 (11.7 M parameters): import, quantize, emit hls, emit verilog: seconds and peak MB (opt-in: Verilator inference, VGG-19)',
  async run() {
    // The machine's load beside the wall times (the CPU times do not depend on it).
    const result: Record<string, number | string> = { load_average_1min_start: +loadavg()[0]!.toFixed(2) };
    for (const [k, v] of Object.entries(flow('resnet18', process.env.BENCH_SCALE_VERIFY === '1'))) result[`resnet18_${k}`] = v;
    if (process.env.BENCH_SCALE_VGG === '1') {
      for (const [k, v] of Object.entries(flow('vgg19', false))) result[`vgg19_${k}`] = v;
      const perParam = (s: number, mParams: number) => +(s / mParams).toFixed(3);
      result.resnet18_emit_seconds_per_m_params = perParam(Number(result.resnet18_emit_hls_seconds) + Number(result.resnet18_emit_verilog_seconds), 11.69);
      result.vgg19_emit_seconds_per_m_params = perParam(Number(result.vgg19_emit_hls_seconds) + Number(result.vgg19_emit_verilog_seconds), 143.67);
      result.resnet18_emit_cpu_seconds_per_m_params = perParam(Number(result.resnet18_emit_hls_cpu_seconds) + Number(result.resnet18_emit_verilog_cpu_seconds), 11.69);
      result.vgg19_emit_cpu_seconds_per_m_params = perParam(Number(result.vgg19_emit_hls_cpu_seconds) + Number(result.vgg19_emit_verilog_cpu_seconds), 143.67);
    }
    result.load_average_1min_end = +loadavg()[0]!.toFixed(2);
    return result;
  },
};
