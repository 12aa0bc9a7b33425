/** `adequate synth BUILD [--json]`: Yosys synth_xilinx of a Verilog build (its synth.ys); prints LUTs, flip-flops,
 *  DSP slices and block RAMs per tile and in total, and fails when synthesis inferred a latch. */
import type { CommandModule } from 'yargs';
import { userError } from '../../errors.js';
import { readBuild } from '../../emit/build-dir.js';
import type { TileMultiplier } from '../../emit/multiplier-impl.js';
import { NODSP_SCRIPT, TOP_MODULE } from '../../emit/verilog/index.js';
import { weightRomBits } from '../../emit/verilog/index.js';
import { planAccelerator } from '../../hw/plan.js';
import { synthesize, type Resources } from '../../verify/synth.js';
import { formatTable, groupDigits } from '../table.js';
import { toolTimeoutOption } from '../options.js';
import { DEFAULT_TOOL_TIMEOUT_SECONDS, setToolTimeout } from '../../verify/tool-run.js';

interface Args {
  build: string;
  dsp: boolean;
  json?: boolean;
  'tool-timeout': number;
}

const cells = (r: Resources) => [groupDigits(r.luts), groupDigits(r.ffs), groupDigits(r.dsps), String(r.brams), groupDigits(r.lutrams)];

export const synthCommand: CommandModule<object, Args> = {
  command: 'synth <build>',
  describe: 'synthesize a Verilog build with Yosys (synth_xilinx): LUT, FF, DSP and BRAM per tile; fails on latches',
  builder: (y) =>
    y
      .positional('build', { type: 'string', demandOption: true, describe: 'a build folder from adequate emit verilog' })
      .option('tool-timeout', toolTimeoutOption(DEFAULT_TOOL_TIMEOUT_SECONDS))
      .option('dsp', { type: 'boolean', default: true, describe: 'let synth_xilinx use DSP48 cells (--no-dsp: every multiplier in LUTs, the build\'s synth-nodsp.ys)' })
      .option('json', { type: 'boolean', describe: 'print one JSON object' }) as never,
  handler: async (args) => {
    setToolTimeout(args['tool-timeout']);
    const { manifest, graph } = readBuild(args.build, 'verilog');
    const roms = weightRomBits(planAccelerator(graph), manifest.folding ?? manifest.lanes);
    const script = args.dsp ? 'synth.ys' : NODSP_SCRIPT;
    process.stderr.write(`yosys synth_xilinx${args.dsp ? '' : ' -nodsp'} on ${args.build} (log: ${args.build}/${script.replace(/\.ys$/, '.log')})...\n`);
    const r = await synthesize(args.build, TOP_MODULE, undefined, script);
    const multipliers = (manifest.options['multipliers'] ?? []) as readonly TileMultiplier[];
    for (const m of multipliers) if (m.rom) process.stderr.write(`synth: ${m.rom.note}\n`);
    if (r.latches.length > 0) {
      throw new Error(`synthesis of ${args.build} inferred latch(es): ${r.latches.slice(0, 5).join('; ')} (see ${r.log}); the emitted Verilog must be fully synchronous`);
    }
    // Bounds given to `adequate emit` (--max-luts, --max-dsps), checked against what synthesis measured.
    const over = exceeded(r.total, manifest.options['maxLuts'] as number | undefined, manifest.options['maxDsps'] as number | undefined);
    const bounds = { ...(manifest.options['maxLuts'] !== undefined ? { max_luts: manifest.options['maxLuts'] } : {}), ...(manifest.options['maxDsps'] !== undefined ? { max_dsps: manifest.options['maxDsps'] } : {}) };
    if (args.json) {
      console.log(JSON.stringify({ build: args.build, model: manifest.model, lanes: manifest.lanes, ...(manifest.folding ? { folding: manifest.folding } : {}), part: manifest.options['part'], dsp: args.dsp, multipliers, units: r.units, total: r.total, weight_roms: roms, ...(Object.keys(bounds).length ? { bounds: { ...bounds, within: over.length === 0 } } : {}), latches: 0, seconds: Number(r.seconds.toFixed(1)) }, null, 2));
    }
    if (over.length > 0) throw userError('E_HW', `${args.build} synthesizes to ${over.join(' and ')} given to adequate emit; emit again with a looser --target-cycles (fewer multipliers) or raise the bound`);
    if (args.json) return;
    const rows = r.units.map((u) => [u.module, ...cells(u.resources)]);
    process.stdout.write(formatTable(['unit', 'LUT', 'FF', 'DSP', 'BRAM (36 Kb)', 'LUTRAM'], rows, ['total', ...cells(r.total)]));
    console.log(`weight ROMs: ${roms.map((w) => `tile ${w.tile} ${groupDigits(w.bits)} bits (${w.wb}-bit weights)`).join(', ')}`);
    if (Object.keys(bounds).length) console.log(`within the bounds given to adequate emit (${[bounds.max_luts !== undefined ? `${groupDigits(Number(bounds.max_luts))} LUTs` : '', bounds.max_dsps !== undefined ? `${groupDigits(Number(bounds.max_dsps))} DSPs` : ''].filter(Boolean).join(', ')})`);
    console.log(`no latches; synth_xilinx for ${String(manifest.options['part'])} took ${r.seconds.toFixed(1)} s`);
  },
};

/** What exceeds the bounds, as phrases ("60,123 LUTs, over the --max-luts 50,000"); empty when within. */
function exceeded(total: Resources, maxLuts: number | undefined, maxDsps: number | undefined): string[] {
  const out: string[] = [];
  if (maxLuts !== undefined && total.luts > maxLuts) out.push(`${groupDigits(total.luts)} LUTs, over the --max-luts ${groupDigits(maxLuts)}`);
  if (maxDsps !== undefined && total.dsps > maxDsps) out.push(`${groupDigits(total.dsps)} DSPs, over the --max-dsps ${groupDigits(maxDsps)}`);
  return out;
}
