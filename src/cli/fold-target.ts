/** `--target-cycles N` / `--target-latency-us U --clock-ns C` on `adequate emit`: the folding solver's target from the
 *  command line, and its plan as a table (per layer: tile, P, S, cycles, utilization). */
import { userError } from '../errors.js';
import type { FoldedPlan, FoldTarget } from '../hw/fold-plan.js';
import type { StreamWidth } from '../hw/stream.js';
import { formatTable, groupDigits } from './table.js';

export interface FoldArgs {
  'target-cycles'?: number;
  'target-latency-us'?: number;
  'min-utilization': number;
  'max-dsps'?: number;
  'wide-write'?: boolean;
  overlap?: boolean;
  clock: number;
}

/** The solver's target, or undefined when no target flag is given. `--max-dsps` bounds the multipliers when every
 *  tile is exact (an exact 8-bit product takes one DSP48 slice); netlist and table multipliers take LUTs or BRAM,
 *  so for them the bound is checked only against `adequate synth`. */
export function foldTargetOf(args: FoldArgs, allExact: boolean, streamWidth?: StreamWidth): FoldTarget | undefined {
  const cycles = args['target-cycles'], us = args['target-latency-us'];
  if (cycles !== undefined && us !== undefined) throw userError('E_USAGE', '--target-cycles and --target-latency-us both given; give one (the latency is converted with --clock-ns)');
  if (cycles === undefined && us === undefined) return undefined;
  if (!(args['min-utilization'] >= 0 && args['min-utilization'] <= 1)) throw userError('E_USAGE', `--min-utilization ${args['min-utilization']} must be from 0 to 1`);
  const target = cycles ?? Math.floor((us! * 1000) / args.clock);
  if (!(target >= 1)) throw userError('E_USAGE', `--target-latency-us ${us} at --clock-ns ${args.clock} is less than one cycle`);
  return { cycles: target, minUtilization: args['min-utilization'], ...(allExact && args['max-dsps'] !== undefined ? { maxMultipliers: args['max-dsps'] } : {}), ...(streamWidth !== undefined ? { streamWidth } : {}), ...(args['wide-write'] ? { wideWrite: true } : {}), ...(args.overlap ? { overlap: true } : {}) };
}

export function foldPlanTable(f: FoldedPlan, clockNs: number): string {
  const rows = f.layers.map((l) => [l.name, l.tile, l.pe, l.simd, l.pe * l.simd, groupDigits(l.cycles), `${(l.utilization * 100).toFixed(1)} %`]);
  const us = (f.cycles.total * clockNs) / 1000;
  return (
    `folding for a target of ${groupDigits(f.target)} cycles: ${groupDigits(f.cycles.total)} cycles per inference${f.cycles.overlap ? ' with overlapped steps' : ''} (${us.toFixed(1)} us at ${clockNs} ns), ${f.multipliers} multipliers on ${f.folding.tiles.length} tile(s), window unit ${f.folding.window} tap(s) and ${f.folding.windowLanes ?? 1} plane(s) per cycle, elementwise unit ${f.folding.elementwise ?? 1} element(s) per cycle, MAC utilization ${(f.cycles.macUtilization * 100).toFixed(1)} %\n` +
    formatTable(['layer', 'tile', 'P', 'S', 'mults', 'cycles', 'utilization'], rows)
  );
}

export function foldPlanJson(f: FoldedPlan): object {
  return {
    target_cycles: f.target,
    cycles: f.cycles.total,
    multipliers: f.multipliers,
    mac_utilization: +f.cycles.macUtilization.toFixed(4),
    window_taps: f.folding.window,
    eltwise_lanes: f.folding.elementwise ?? 1,
    window_lanes: f.folding.windowLanes ?? 1,
    tiles: f.folding.tiles.map((t, i) => ({ tile: i, pe: t.pe, simd: t.simd })),
    layers: f.layers.map((l) => ({ name: l.name, tile: l.tile, pe: l.pe, simd: l.simd, cycles: l.cycles, macs: l.macs, utilization: +l.utilization.toFixed(4) })),
  };
}
