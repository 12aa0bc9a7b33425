/** Yosys as the Verilog front end and the synthesis cost model.
 *  Reading: `read_verilog` finds the modules; the top is the one module no other instantiates (or --top); then
 *  `hierarchy -top; proc; flatten; techmap; opt` lowers it to Yosys' internal gates ($_AND_, $_XOR_, ...), which
 *  `fromYosysModule` turns into a GateNetlist. Cost: `synth` + `abc -g` to a fixed simple gate set with
 *  `stat -tech cmos` (transistors), and `synth_xilinx` (LUTs). */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
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

/** Runs a Yosys script; a failure means Yosys could not take the Verilog (a user error naming the file). */
function runYosys(script: string, where: string): void {
  const r = spawnSync('yosys', ['-q', '-p', script], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) throw userError('E_TOOL', `cannot run yosys (${r.error.message}); install it (apt-get install yosys)`);
  if (r.status !== 0) {
    const text = `${r.stderr}\n${r.stdout}`;
    const err = text.split('\n').find((l) => l.includes('ERROR')) ?? text.trim().split('\n').pop() ?? 'unknown failure';
    throw userError('E_MULT', `${where}: yosys cannot read it: ${err.trim()}; give a synthesizable Verilog-2005 module`);
  }
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

/** Synthesis figures of a Verilog module (needs yosys). */
export function synthCost(verilog: string, moduleName: string): SynthCost {
  return withTemp((dir) => {
    const src = join(dir, `${moduleName}.v`);
    writeFileSync(src, verilog);
    const asic = join(dir, 'asic.json');
    const fpga = join(dir, 'fpga.json');
    runYosys(`read_verilog ${quote(src)}; synth -flatten -top ${moduleName}; abc -g ${GATE_SET}; opt_clean; tee -q -o ${asic} stat -json -tech cmos`, moduleName);
    runYosys(`read_verilog ${quote(src)}; synth_xilinx -flatten -noiopad -top ${moduleName}; tee -q -o ${fpga} stat -json`, moduleName);
    const a = JSON.parse(readFileSync(asic, 'utf8')) as StatJson;
    const f = JSON.parse(readFileSync(fpga, 'utf8')) as StatJson;
    const luts = Object.entries(f.design.num_cells_by_type)
      .filter(([t]) => /^LUT\d$/.test(t))
      .reduce((s, [, n]) => s + n, 0);
    return { cells: a.design.num_cells, transistors: Number(a.design.estimated_num_transistors ?? 0), luts };
  });
}
