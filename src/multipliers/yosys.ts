/** Yosys as the Verilog front end and the synthesis cost model.
 *  Reading: `read_verilog` finds the modules; the top is the one module no other instantiates (or --top); then
 *  `hierarchy -top; proc; flatten; techmap; opt` lowers it to Yosys' internal gates ($_AND_, $_XOR_, ...), which
 *  `fromYosysModule` turns into a GateNetlist. Cost: `synth` + `abc -g` to a fixed simple gate set with
 *  `stat -tech cmos` (transistors), and the LUT mapping of `synth_xilinx` (LUTs), one Yosys process per module. */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { userError } from '../errors.js';
import { fromYosysModule, type GateNetlist, type YosysModule } from './netlist.js';
import type { SynthCost } from './types.js';

const GATE_SET = 'AND,NAND,OR,NOR,XOR,XNOR,ANDNOT,ORNOT,MUX';

interface YosysJson {
  modules: Record<string, YosysModule & { attributes?: Record<string, unknown> }>;
}

function quote(path: string): string {
  if (/["\n]/.test(path)) throw userError('E_IO', `file name ${path} holds a quote or newline; rename it`);
  return `"${path}"`;
}

/** The user error a finished Yosys run means (missing tool, or Verilog it cannot take), or undefined on success. */
function yosysFailure(error: Error | undefined, status: number | null, stdout: string, stderr: string, where: string): Error | undefined {
  if (error && (error as NodeJS.ErrnoException).code === 'ENOENT') return userError('E_TOOL', `cannot run yosys (${error.message}); install it (apt-get install yosys)`);
  if (status === 0 && !error) return undefined;
  const text = `${stderr}\n${stdout}`;
  const err = text.split('\n').find((l) => l.includes('ERROR')) ?? text.trim().split('\n').pop() ?? error?.message ?? 'unknown failure';
  return userError('E_MULT', `${where}: yosys cannot read it: ${err.trim()}; give a synthesizable Verilog-2005 module`);
}

/** Runs a Yosys script; a failure means Yosys could not take the Verilog (a user error naming the file). */
function runYosys(script: string, where: string): void {
  const r = spawnSync('yosys', ['-q', '-p', script], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const failure = yosysFailure(r.error, r.status, r.stdout ?? '', r.stderr ?? '', where);
  if (failure) throw failure;
}

function runYosysAsync(script: string, where: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('yosys', ['-q', '-p', script], { encoding: 'utf8', maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      const failure = yosysFailure(error ?? undefined, error ? 1 : 0, stdout, stderr, where);
      if (failure) reject(failure);
      else resolve();
    });
  });
}

function withTemp<T>(fn: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'adequate-yosys-'));
  try {
    return fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Module names in a Verilog file that no other module in it instantiates. */
export function topCandidates(file: string): string[] {
  return withTemp((dir) => {
    const out = join(dir, 'modules.json');
    runYosys(`read_verilog ${quote(file)}; proc; write_json ${quote(out)}`, basename(file));
    const json = JSON.parse(readFileSync(out, 'utf8')) as YosysJson;
    const used = new Set<string>();
    for (const m of Object.values(json.modules)) for (const c of Object.values(m.cells)) used.add(c.type.replace(/^\\/, ''));
    return Object.keys(json.modules).filter((m) => !used.has(m));
  });
}

export interface ReadNetlist {
  readonly moduleName: string;
  readonly netlist: GateNetlist;
}

/** Reads one Verilog file into a gate netlist of its top module (given, or the single uninstantiated module). */
export function readVerilogNetlist(file: string, top?: string): ReadNetlist {
  const where = basename(file);
  const tops = topCandidates(file);
  let moduleName = top;
  if (moduleName === undefined) {
    if (tops.length === 0) throw userError('E_MULT', `${where}: no module found; give a Verilog file holding the multiplier module`);
    if (tops.length > 1) throw userError('E_MULT', `${where}: several top modules (${tops.join(', ')}); choose one with --top`);
    moduleName = tops[0]!;
  }
  const name = moduleName;
  const netlist = withTemp((dir) => {
    const out = join(dir, 'gates.json');
    runYosys(
      `read_verilog ${quote(file)}; hierarchy -check -top ${name}; proc; flatten; techmap; opt; opt_clean -purge; write_json ${quote(out)}`,
      where,
    );
    const json = JSON.parse(readFileSync(out, 'utf8')) as YosysJson;
    const mod = json.modules[name];
    if (!mod) throw userError('E_MULT', `${where}: module ${name} not found (modules: ${Object.keys(json.modules).join(', ')}); fix --top`);
    return fromYosysModule(mod, `${where}: module ${name}`);
  });
  return { moduleName: name, netlist };
}

interface StatJson {
  design: { num_cells: number; num_cells_by_type: Record<string, number>; estimated_num_transistors?: string };
}

/** One Yosys script for both cost figures of a single-module file, so that a multiplier costs one Yosys process.
 *  ASIC: `synth -flatten; abc -g GATE_SET; stat -tech cmos` (cells, transistors).
 *  FPGA: the steps of `synth_xilinx -flatten -noiopad` (xc7) that act on a combinational gate netlist, up to the LUT
 *  mapping: `abc -luts 2:2,3,6:5,10,20` (LUT6 plus MUXF7/MUXF8 wide functions), `lut_map.v`, `opt_lut_ins`. Running
 *  those steps directly skips what costs synth_xilinx ~5 s per module and changes no figure here: reading the Xilinx
 *  cell libraries (cells_sim.v, cells_xtra.v) and the DSP, memory and flip-flop mapping files. A test compares the
 *  LUT counts with a real `synth_xilinx` run. `design -save/-load` starts both flows from the same parsed module. */
function costScript(src: string, top: string, asicOut: string, fpgaOut: string): string {
  return [
    `read_verilog ${quote(src)}`, 'design -save src',
    `synth -flatten -top ${top}`, `abc -g ${GATE_SET}`, 'opt_clean', `tee -q -o ${asicOut} stat -json -tech cmos`,
    'design -load src', `hierarchy -top ${top}`, 'proc', 'flatten', 'opt -full', 'techmap', 'opt -fast',
    'abc -luts 2:2,3,6:5,10,20', 'clean', 'techmap -map +/xilinx/lut_map.v -D LUT_WIDTH=6', 'opt_lut_ins -tech xilinx', 'clean',
    `tee -q -o ${fpgaOut} stat -json`,
  ].join('; ');
}

function readCost(asicOut: string, fpgaOut: string): SynthCost {
  const a = JSON.parse(readFileSync(asicOut, 'utf8')) as StatJson;
  const f = JSON.parse(readFileSync(fpgaOut, 'utf8')) as StatJson;
  const luts = Object.entries(f.design.num_cells_by_type)
    .filter(([t]) => /^LUT\d$/.test(t))
    .reduce((s, [, n]) => s + n, 0);
  return { cells: a.design.num_cells, transistors: Number(a.design.estimated_num_transistors ?? 0), luts };
}

/** Synthesis figures of a Verilog module (needs yosys): one Yosys process. */
export function synthCost(verilog: string, moduleName: string): SynthCost {
  return withTemp((dir) => {
    const src = join(dir, `${moduleName}.v`), asic = join(dir, 'asic.json'), fpga = join(dir, 'fpga.json');
    writeFileSync(src, verilog);
    runYosys(costScript(src, moduleName, asic, fpga), moduleName);
    return readCost(asic, fpga);
  });
}

export interface CostJob {
  readonly verilog: string;
  readonly moduleName: string;
}

/** Synthesis figures of many modules: one Yosys process per module, `jobs` of them at a time (default: the number
 *  of cores), so that a library of 100 multipliers costs about 100 Yosys-seconds / cores. `onDone(i)` reports
 *  progress. Results are in input order. */
export async function synthCosts(items: readonly CostJob[], opts: { jobs?: number; onDone?: (index: number, cost: SynthCost) => void } = {}): Promise<SynthCost[]> {
  const dir = mkdtempSync(join(tmpdir(), 'adequate-yosys-'));
  try {
    const results = new Array<SynthCost>(items.length);
    let next = 0;
    let failure: unknown;
    const worker = async (): Promise<void> => {
      while (next < items.length && failure === undefined) {
        const i = next++;
        const { verilog, moduleName } = items[i]!;
        const src = join(dir, `${i}.v`), asic = join(dir, `${i}.asic.json`), fpga = join(dir, `${i}.fpga.json`);
        writeFileSync(src, verilog);
        try {
          await runYosysAsync(costScript(src, moduleName, asic, fpga), moduleName);
          results[i] = readCost(asic, fpga);
        } catch (e) {
          failure ??= e; // the other workers finish their current run, then stop; the folder goes afterwards
          return;
        }
        opts.onDone?.(i, results[i]);
      }
    };
    const jobs = Math.max(1, Math.min(opts.jobs ?? availableParallelism(), items.length));
    await Promise.all(Array.from({ length: jobs }, worker));
    if (failure !== undefined) throw failure;
    return results;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
