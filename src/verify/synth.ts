/** Yosys synthesis of a Verilog build (`adequate synth BUILD`): runs the build's synth.ys (synth_xilinx, hierarchy
 *  kept) in the build folder and reads its `stat` into resources per tile and for the whole design: LUTs,
 *  flip-flops, DSP48E1 slices and block RAMs (RAMB36E1 + RAMB18E1 / 2, in 36 Kb units), from the log's `stat`. A latch anywhere in the design
 *  fails the run: the emitted Verilog must be purely synchronous. */
import { runTool } from './tool-run.js';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { userError } from '../errors.js';

export interface Resources {
  readonly luts: number;
  readonly ffs: number;
  readonly dsps: number;
  /** Block RAM in RAMB36 units (a RAMB18 counts half). */
  readonly brams: number;
  /** LUTs used as distributed RAM/ROM (RAM32M, RAM64M, RAM128X1D, ...). */
  readonly lutrams: number;
}

export interface SynthReport {
  /** Per top-level unit instance type: adq_tile_N, adq_window, adq_eltwise, and the rest of the top (memories,
   *  controller). */
  readonly units: readonly { readonly module: string; readonly resources: Resources }[];
  readonly total: Resources;
  readonly latches: readonly string[];
  readonly seconds: number;
  readonly log: string;
}

/** Cell counts by type of every module, from the last `stat` of a Yosys log. (Yosys 0.23's `stat -json` is not
 *  valid JSON for a hierarchical design, so the text is read.) */
interface StatJson {
  readonly modules: Record<string, { readonly num_cells_by_type?: Record<string, number> }>;
}

export function parseStatText(log: string): StatJson {
  const at = log.lastIndexOf('Printing statistics.');
  if (at < 0) throw new Error('internal error: the Yosys log has no statistics (stat did not run)');
  const modules: Record<string, { num_cells_by_type: Record<string, number> }> = {};
  let current: Record<string, number> | undefined;
  let inCells = false;
  for (const line of log.slice(at).split('\n')) {
    const head = /^=== (.+) ===$/.exec(line.trim());
    if (head) {
      current = head[1] === 'design hierarchy' ? undefined : (modules[head[1]!] = { num_cells_by_type: {} }).num_cells_by_type;
      inCells = false;
    } else if (current && /^\s*Number of cells:/.test(line)) inCells = true;
    else if (current && inCells) {
      const cell = /^\s+(\S+)\s+(\d+)$/.exec(line);
      if (cell) current[cell[1]!] = Number(cell[2]);
      else inCells = false;
    }
  }
  return { modules };
}

/** Cell counts of a module including its submodules (instances appear as cells whose type is a module name). */
function flatCells(stat: StatJson, module: string, memo = new Map<string, Map<string, number>>()): Map<string, number> {
  const hit = memo.get(module);
  if (hit) return hit;
  const out = new Map<string, number>();
  for (const [type, n] of Object.entries(stat.modules[module]?.num_cells_by_type ?? {})) {
    if (stat.modules[type]) for (const [t, k] of flatCells(stat, type, memo)) out.set(t, (out.get(t) ?? 0) + n * k);
    else out.set(type, (out.get(type) ?? 0) + n);
  }
  memo.set(module, out);
  return out;
}

function resourcesOf(cells: ReadonlyMap<string, number>): Resources {
  let luts = 0, ffs = 0, dsps = 0, brams = 0, lutrams = 0;
  for (const [type, n] of cells) {
    if (/^LUT[1-6]$/.test(type)) luts += n;
    else if (/^FD[RSCP]E$/.test(type)) ffs += n;
    else if (type.startsWith('DSP48')) dsps += n;
    else if (type === 'RAMB36E1') brams += n;
    else if (type === 'RAMB18E1') brams += n / 2;
    else if (/^RAM(32|64|128|256)/.test(type)) lutrams += n;
  }
  return { luts, ffs, dsps, brams, lutrams };
}

const LATCH = /^(LD[CP]E?|\$_DLATCH_.*|\$dlatch.*|\$adlatch)$/;

/** Reads the statistics of a synth_xilinx run whose top is `top` from its Yosys log. */
export function parseSynthStat(log: string, top: string): Omit<SynthReport, 'seconds' | 'log'> {
  const stat = parseStatText(log);
  const name = (m: string) => m.replace(/^\\/, '');
  const topKey = Object.keys(stat.modules).find((m) => name(m) === top);
  if (!topKey) throw new Error(`internal error: the synthesis statistics have no module ${top}`);
  const latches = Object.entries(stat.modules).flatMap(([m, s]) => Object.keys(s.num_cells_by_type ?? {}).filter((t) => LATCH.test(t)).map((t) => `${name(m)}: ${t}`));
  const units: { module: string; resources: Resources }[] = [];
  const own = new Map<string, number>();
  for (const [type, n] of Object.entries(stat.modules[topKey]!.num_cells_by_type ?? {})) {
    if (stat.modules[type] && /adq_(tile_\d+|window|eltwise)/.test(type)) {
      const cells = new Map([...flatCells(stat, type)].map(([t, k]) => [t, k * n]));
      units.push({ module: name(type).replace(/^\$paramod.*\\/, ''), resources: resourcesOf(cells) });
    } else if (stat.modules[type]) for (const [t, k] of flatCells(stat, type)) own.set(t, (own.get(t) ?? 0) + k * n);
    else own.set(type, (own.get(type) ?? 0) + n);
  }
  units.sort((a, b) => a.module.localeCompare(b.module, 'en', { numeric: true }));
  units.push({ module: `${top} (memories, controller)`, resources: resourcesOf(own) });
  return { units, total: resourcesOf(flatCells(stat, topKey)), latches };
}

/** Runs Yosys on a build folder; `onLine` sees the log as it grows (for progress). */
export async function synthesize(build: string, top: string, onLine?: (line: string) => void, script = 'synth.ys'): Promise<SynthReport> {
  if (!existsSync(join(build, script))) throw userError('E_USAGE', `${build} has no ${script}; emit it with adequate emit verilog`);
  const logName = script.replace(/\.ys$/, '.log');
  const t0 = performance.now();
  const run = await runTool('yosys', ['-l', logName, '-s', script], {
    cwd: build,
    what: `the Yosys synthesis of ${build}`,
    ...(onLine ? { onStdout: (d: string) => { for (const l of d.split('\n')) if (l.trim()) onLine(l); } } : {}),
  });
  if (run.error) throw userError('E_TOOL', 'cannot run yosys; install it (apt-get install yosys)');
  const { code, output } = run;
  const log = join(build, logName);
  if (code !== 0) {
    const err = output.split('\n').find((l) => l.includes('ERROR')) ?? output.trim().split('\n').pop() ?? '';
    throw userError('E_TOOL', `yosys failed on ${build}/${script} (${err.trim()}); see ${log}`);
  }
  const stat = parseSynthStat(readFileSync(log, 'utf8'), top);
  const inferred = output.split('\n').filter((l) => /Latch inferred/.test(l)).map((l) => l.trim());
  return { ...stat, latches: [...stat.latches, ...inferred], seconds: (performance.now() - t0) / 1000, log };
}
