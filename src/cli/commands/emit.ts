/** `adequate emit hls|verilog DIR -o BUILD [--lanes N | --pe P --simd S] [--window-taps W] [--eltwise-lanes E] [--window-lanes V]`: the accelerator of a quantized IR as HLS C++ or Verilog (or of
 *  a word-length-tuned IR as HLS C++, at the SIMD lanes S it was tuned for), in a self-contained build folder (sources, a copy of the IR, build.json) that
 *  `adequate verify BUILD` checks. */
import type { Argv, CommandModule } from 'yargs';
import { userError } from '../../errors.js';
import { emitHls, emitTunedHls } from '../../emit/hls/index.js';
import { emitVerilog } from '../../emit/verilog/index.js';
import { tileMultipliers } from '../../emit/multiplier-impl.js';
import { bindsApproximateMultiplier, withExactMultipliers } from '../../passes/bind-multipliers.js';
import { writeBuildBase, type BuildKind, type MultiplierImpl } from '../../emit/build-dir.js';
import { hostInterface } from '../../hw/interface.js';
import { planAccelerator } from '../../hw/plan.js';
import { solveFoldPlan } from '../../hw/fold-plan.js';
import { foldPlanJson, foldPlanTable, foldTargetOf } from '../fold-target.js';
import { foldingRecord, MAX_ELEMENTWISE, MAX_PE, MAX_SIMD, MAX_WINDOW, MAX_WINDOW_LANES, multiplierCount, uniformFolding } from '../../hw/fold.js';
import { memoryRecords, scheduleAccelerator, verilogStream } from '../../hw/schedule.js';
import { parseStreamWidth } from '../../hw/stream.js';
import { hlsStream, tunedHlsStream } from '../../emit/hls/view.js';
import { isTuned, planTunedAccelerator, recordedReductionLanes } from '../../hw/plan-tuned.js';
import type { Graph } from '../../ir/types.js';
import { writeDirAtomically, yieldToSignals } from '../../io/atomic-dir.js';
import { claimOutput } from '../../io/output-guard.js';
import { requireLibraryDir } from '../../multipliers/store.js';
import { FORCE_OPTION, intOption, numberOption } from '../options.js';
import { loadModel } from '../load.js';

interface Args {
  model: string;
  out: string;
  lanes: number;
  pe?: number;
  /** Absent: 1, or a tuned IR's recorded S. */
  simd?: number;
  'window-taps': number;
  'eltwise-lanes': number;
  'window-lanes': number;
  'target-cycles'?: number;
  'target-latency-us'?: number;
  'min-utilization': number;
  'max-dsps'?: number;
  'max-luts'?: number;
  library?: string;
  part: string;
  clock: number;
  'mult-impl': MultiplierImpl;
  'exact-multipliers'?: boolean;
  'stream-width'?: number;
  'wide-write'?: boolean;
  overlap?: boolean;
  json?: boolean;
  force?: boolean;
}

function builder(y: Argv): Argv<Args> {
  return y
    .positional('model', { type: 'string', demandOption: true, describe: 'a quantized IR folder; for hls also a word-length-tuned one' })
    .option('out', { alias: 'o', type: 'string', demandOption: true, describe: 'build folder to write' })
    .option('lanes', intOption('lanes', { default: 4, min: 1, max: 256, describe: 'multiply-accumulate lanes per tile (= --pe L --simd 1)' }))
    .option('pe', intOption('pe', { min: 1, max: MAX_PE, describe: 'output channels per tile computed at once (P; overrides --lanes)' }))
    .option('simd', intOption('simd', { min: 1, max: MAX_SIMD, describe: 'products per lane per cycle (S): each output\'s taps walked in S chunks side by side, S replicas of the input memory [default: 1; a word-length-tuned IR: the S it was tuned for (wordlength --simd)]' }))
    .option('window-taps', intOption('window-taps', { default: 1, min: 1, max: MAX_WINDOW, describe: 'window-unit (pooling) taps per cycle, Verilog (W replicas of its input memory; the HLS pooling loops keep one tap per cycle)' }))
    .option('eltwise-lanes', intOption('eltwise-lanes', { default: 1, min: 1, max: MAX_ELEMENTWISE, describe: 'elementwise-unit (QSum, QMul, Clip, QTable, QThreshold) elements per cycle: E pipelines, E replicas of their input memories, the output memory interleaved by address (Verilog; HLS: UNROLL factor E on the elementwise loops)' }))
    .option('window-lanes', intOption('window-lanes', { default: 1, min: 1, max: MAX_WINDOW_LANES, describe: 'window-unit (MaxPool, QAveragePool) output planes per cycle: V pipelines of --window-taps taps each, pipeline v walking planes [v*G, (v+1)*G) (G = ceil(C/V)), V*W replicas of the pooled memory, the output memory split by plane region (Verilog; HLS: UNROLL factor V on the pooling loops\' planes)' }))
    .option('library', { type: 'string', describe: 'multiplier library folder (for multipliers that are not built in)' })
    .option('part', { type: 'string', default: 'xc7z020clg400-1', describe: 'FPGA part (Vitis HLS script, synthesis)' })
    .option('clock', { ...numberOption('clock', { default: 10, above: 0, describe: 'clock period in ns' }), alias: 'clock-ns' })
    .option('target-cycles', intOption('target-cycles', { min: 1, describe: 'choose P and S per tile, the tiles\' sharing of layers and the window taps (the folding solver, from the cycle model): the fewest multipliers that meet N cycles per inference' }))
    .option('target-latency-us', numberOption('target-latency-us', { above: 0, describe: 'the same, as a latency in microseconds at --clock-ns' }))
    .option('min-utilization', numberOption('min-utilization', { default: 0.7, min: 0, max: 1, describe: 'with a target: each tile keeps at least this share of its multipliers busy while it runs (0 = the fewest multipliers regardless)' }))
    .option('max-dsps', intOption('max-dsps', { min: 0, describe: 'with a target: at most this many DSP slices (one per exact multiplier); checked again by adequate synth' }))
    .option('max-luts', intOption('max-luts', { min: 1, describe: 'a LUT bound, recorded in build.json and checked by adequate synth' }))
    .option('exact-multipliers', { type: 'boolean', describe: 'every tile with the exact multiplier (same tiles, lanes and weights): the exact twin of an approximate design' })
    .option('stream-width', { type: 'number', describe: 'bits per stream beat, 8, 32 or 64: an input beat carries width/8 codes; an output beat one 8-bit code (8), one code in 32 bits (32) or two (64) [default: one code per beat]' })
    .option('wide-write', { type: 'boolean', describe: 'Verilog: each tile writes its P lanes\' outputs in one cycle (P post-processing pipelines, output memory split in P banks by channel region), for group-1 conv and dense layers whose output memory allows it; with a target the solver plans for it' })
    .option('overlap', { type: 'boolean', describe: 'Verilog: a step starts before the previous one has finished where it runs on another unit and the data allow it (the offset computed from both steps\' address walks; docs/hardware.md)' })
    .option('mult-impl', { choices: ['auto', 'table', 'netlist'] as const, default: 'auto' as const, describe: 'approximate multipliers as gate-level netlists or lookup tables (auto: the netlist when the library has one)' })
    .option('force', FORCE_OPTION)
    .option('json', { type: 'boolean', describe: 'print one JSON object' }) as unknown as Argv<Args>;
}

async function emit(kind: BuildKind, args: Args): Promise<void> {
  if (!(Number.isInteger(args.lanes) && args.lanes >= 1 && args.lanes <= 256)) throw userError('E_USAGE', `--lanes ${args.lanes} must be an integer from 1 to 256`);
  if (!(args.clock > 0)) throw userError('E_USAGE', `--clock ${args.clock} must be a positive period in ns`);
  if (args.library !== undefined) requireLibraryDir(args.library);
  const out = claimOutput(args.out, { command: `emit ${kind}`, inputs: [args.model, args.library], force: args.force });
  const loaded = loadModel(args.model);
  // Word-length-tuned IRs have their own plan (formats instead of integer codes) and HLS datapaths; planAccelerator
  // rejects them for Verilog with E_HW.
  // A target: the folding solver chooses the tiles (recorded in the IR, so the build's copy plans the same) and P x S.
  const allExact = !bindsApproximateMultiplier(loaded);
  const streamWidth = parseStreamWidth(args['stream-width']);
  if (args['wide-write'] && kind !== 'verilog') throw userError('E_USAGE', '--wide-write is a Verilog tile option; drop it for emit hls');
  if (args.overlap && kind !== 'verilog') throw userError('E_USAGE', '--overlap is a Verilog option (the HLS accelerator runs its layers one after another); drop it for emit hls');
  const target = foldTargetOf(args, allExact, streamWidth);
  if (target && (args.pe !== undefined || (args.simd ?? 1) !== 1 || args['window-taps'] !== 1 || args['eltwise-lanes'] !== 1 || args['window-lanes'] !== 1)) throw userError('E_USAGE', 'a target (--target-cycles, --target-latency-us) chooses P, S, the window taps and lanes and the elementwise lanes itself; drop --pe, --simd, --window-taps, --window-lanes and --eltwise-lanes');
  if (target && kind === 'hls' && isTuned(loaded)) throw userError('E_USAGE', `'${args.model}' is word-length tuned; the folding solver plans integer accelerators (quantized IRs): drop the target`);
  // A tuned layer's accumulator rounds or saturates in its recorded order (S reduction lanes, ir/arithmetic.md 6):
  // the build runs the S the IR was tuned for, and another S would give other results than the golden model.
  if (kind === 'hls' && isTuned(loaded)) checkTunedSimd(args.model, loaded, args.simd);
  if (kind === 'hls' && isTuned(loaded) && args['eltwise-lanes'] > 1) throw userError('E_USAGE', `'${args.model}' is word-length tuned: its HLS build has one elementwise lane; drop --eltwise-lanes`);
  if (kind === 'hls' && isTuned(loaded) && args['window-lanes'] > 1) throw userError('E_USAGE', `'${args.model}' is word-length tuned: its HLS build pools one plane at a time; drop --window-lanes`);
  const folded = target ? solveFoldPlan(loaded, target) : undefined;
  // --exact-multipliers: the same accelerator (tiles, P x S, weights) with every multiplier exact: the exact twin
  // the compile flow synthesizes next to an approximate design. With a target it is folded as the approximate design
  // is (solved on the approximate IR, then made exact), so that the two builds differ only in their multipliers.
  const chosen = folded ? folded.graph : loaded;
  const graph = args['exact-multipliers'] ? withExactMultipliers(chosen) : chosen;
  const plan = folded && !args['exact-multipliers'] ? folded.plan : kind === 'hls' && isTuned(graph) ? planTunedAccelerator(graph) : planAccelerator(graph);
  // S: the flag, else a tuned IR's recorded S (its tiles'), else 1.
  const simd = args.simd ?? ('arithmetic' in plan ? Math.max(1, ...plan.tiles.map((t) => t.simd)) : 1);
  const pe = folded ? Math.max(...folded.folding.tiles.map((t) => t.pe)) : args.pe ?? args.lanes;
  const folding = folded ? folded.folding : 'arithmetic' in plan ? undefined : uniformFolding(plan, pe, simd, args['window-taps'], args['wide-write'] === true, args['eltwise-lanes'], args['window-lanes']);
  if (folded && !args.json) process.stdout.write(foldPlanTable(folded, args.clock));
  const options = { lanes: pe, ...(folding ? { folding } : {}), part: args.part, clockNs: args.clock, multiplierImpl: args['mult-impl'], ...(args.library !== undefined ? { library: args.library } : {}), ...(streamWidth !== undefined ? { streamWidth } : {}), ...(args.overlap ? { overlap: true } : {}) };
  // The beats each emitter streams (E_USAGE when the codes do not fit the width).
  const stream = 'arithmetic' in plan ? tunedHlsStream(plan, streamWidth) : kind === 'hls' ? hlsStream(plan, streamWidth) : verilogStream(plan, streamWidth);
  // Each tile's multiplier as hardware; product-table ROMs say what they cost (src/emit/multiplier-impl.ts).
  const multipliers = 'arithmetic' in plan ? [] : tileMultipliers(plan.tiles, args['mult-impl'], args.library);
  const files = await writeDirAtomically(out, async (tmp) => {
    const io = 'arithmetic' in plan ? {} : { interface: hostInterface(plan, stream) };
    const memories = kind === 'verilog' && !('arithmetic' in plan) ? { memories: memoryRecords(scheduleAccelerator(plan, folding ?? pe, streamWidth)) } : {};
    writeBuildBase(tmp, { kind, source: args.model, model: plan.name, lanes: pe, ...(folding ? { folding: foldingRecord(folding) } : {}), ...(args.library !== undefined ? { library: args.library } : {}), options: { part: args.part, clockNs: args.clock, multiplierImpl: args['mult-impl'], multipliers, ...(streamWidth !== undefined ? { streamWidth } : {}), ...(args.overlap ? { overlap: true } : {}), ...(target ? { targetCycles: target.cycles, minUtilization: target.minUtilization } : {}), ...(args['max-dsps'] !== undefined ? { maxDsps: args['max-dsps'] } : {}), ...(args['max-luts'] !== undefined ? { maxLuts: args['max-luts'] } : {}) }, ...io, ...memories }, plan.graph);
    if ('arithmetic' in plan) return emitTunedHls(plan, options, tmp);
    await yieldToSignals();
    return kind === 'hls' ? emitHls(plan, options, tmp) : emitVerilog(plan, options, tmp);
  }, { cleanupOnSignal: true });
  for (const m of multipliers) if (m.rom) process.stderr.write(`emit: ${m.rom.note}\n`);
  const summary = { kind, build: args.out, model: plan.name, lanes: pe, ...('arithmetic' in plan ? { simd, multipliers_total: plan.tiles.reduce((n, t) => n + pe * t.simd, 0) } : {}), ...(folding ? { folding: foldingRecord(folding), multipliers_total: multiplierCount(folding) } : {}), ...(folded ? { fold_plan: foldPlanJson(folded) } : {}), stream_width: streamWidth ?? null, ...(kind === 'verilog' ? { overlap: args.overlap === true } : {}), tiles: plan.tiles.length, layers: plan.layers.length, multipliers, files };
  if (args.json) console.log(JSON.stringify(summary, null, 2));
  else console.log(`wrote ${kind === 'hls' ? 'HLS C++' : 'Verilog'} for ${plan.name} to ${args.out}: ${plan.layers.length} layers on ${plan.tiles.length} tile(s), ${folded ? `${folded.multipliers} multipliers (P x S per tile above)` : `${pe} lanes${simd > 1 ? ` x ${simd} SIMD` : ''}`}${folding && folding.window > 1 ? `, ${folding.window} window taps` : ''}${folding && (folding.elementwise ?? 1) > 1 ? `, ${folding.elementwise} elementwise lanes` : ''}${folding && (folding.windowLanes ?? 1) > 1 ? `, ${folding.windowLanes} window lanes` : ''}, ${files.length} files`);
}

/** E_USAGE when --simd asks a tuned IR for another S than the one its layers record (wordlength --simd). */
function checkTunedSimd(model: string, graph: Graph, simd: number | undefined): void {
  if (simd === undefined) return;
  const recorded = recordedReductionLanes(graph);
  if (recorded.length === 1 && recorded[0] === simd) return;
  const said = recorded.length === 1 ? `S = ${recorded[0]}` : `S = ${recorded.join(', ')} (per layer)`;
  const fix = recorded.length === 1 ? `emit it with --simd ${recorded[0]} or without --simd` : 'emit it without --simd';
  throw userError('E_USAGE', `'${model}' is word-length tuned for ${said} (its layers sum their terms in that order, ir/arithmetic.md 6), not --simd ${simd}; ${fix}, or re-run adequate wordlength --simd ${simd}`);
}

export const emitCommand: CommandModule<object, Args> = {
  command: 'emit <kind>',
  describe: 'emit an accelerator as HLS C++ (hls: quantized or word-length-tuned IR) or Verilog (verilog)',
  builder: (y) =>
    y
      .command({ command: 'hls <model>', describe: 'synthesizable HLS C++ (Vitis HLS), testbench, run_hls.tcl, Makefile', builder, handler: (a) => emit('hls', a as unknown as Args) })
      .command({ command: 'verilog <model>', describe: 'a tiled Verilog accelerator, Verilator testbench, FuseSoC core, synth.ys', builder, handler: (a) => emit('verilog', a as unknown as Args) })
      .demandCommand(1, 'say which: adequate emit hls DIR -o BUILD, or adequate emit verilog DIR -o BUILD') as never,
  handler: () => undefined,
};
