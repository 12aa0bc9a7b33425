/** Importing multipliers: Verilog netlists (a file, or a folder of *.v files such as the EvoApprox `mul8u_*` /
 *  `mul8s_*` modules) through Yosys and the bit-parallel evaluator, and raw 16-bit product tables.
 *  Everything is checked before anything is written, so a bad file in a folder adds nothing. */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { userError } from '../errors.js';
import { EVOAPPROX_CITATION, relativePublishedPower, type PublishedTable } from './evoapprox.js';
import { exhaustiveTable } from './evaluate.js';
import { computeMetrics } from './metrics.js';
import { relativeSwitchingPower } from './power.js';
import { decodeTable, type TableOrder } from './table-file.js';
import { isValidId, type Multiplier } from './types.js';
import { toVerilog } from './verilog.js';
import { readVerilogNetlist } from './yosys.js';

export interface ImportedVerilog {
  readonly multiplier: Multiplier;
  readonly sourceVerilog: string;
}

export interface VerilogImportOptions {
  readonly top?: string;
  readonly signed?: boolean; // default: signed when the module name starts with mul8s
  readonly published?: PublishedTable;
}

/** The Verilog files of PATH (a file, or the *.v / *.sv files of a folder, sorted). */
export function verilogFiles(path: string): string[] {
  if (!existsSync(path)) throw userError('E_IO', `${path} does not exist; give a Verilog file or a folder of them`);
  if (!statSync(path).isDirectory()) return [path];
  const files = readdirSync(path).filter((f) => ['.v', '.sv'].includes(extname(f))).sort().map((f) => join(path, f));
  if (files.length === 0) throw userError('E_MULT', `${path}: no .v files in the folder; give a Verilog file or a folder of them`);
  return files;
}

export function importVerilogFile(file: string, opts: VerilogImportOptions): ImportedVerilog {
  const { moduleName, netlist } = readVerilogNetlist(file, opts.top);
  if (!isValidId(moduleName)) throw userError('E_MULT', `${basename(file)}: module name ${moduleName} is not usable as an id; rename the module`);
  const signed = opts.signed ?? moduleName.startsWith('mul8s');
  const table = exhaustiveTable(netlist, signed);
  const published = opts.published?.rows.get(moduleName);
  const pubPower = published && opts.published ? relativePublishedPower(opts.published, published, signed) : null;
  const multiplier: Multiplier = {
    id: moduleName,
    signed,
    table,
    relativePower: pubPower ?? relativeSwitchingPower(netlist, signed),
    powerSource: pubPower === null ? 'switching' : 'published',
    metrics: computeMetrics(table, signed),
    source: {
      kind: 'verilog',
      description: `${signed ? 'signed' : 'unsigned'} netlist ${moduleName} imported from ${basename(file)}`,
      file: basename(file),
      ...(published ? { citation: EVOAPPROX_CITATION } : {}),
    },
    netlist,
    verilog: toVerilog(netlist, moduleName, `${moduleName}: flattened by yosys from ${basename(file)}`),
    moduleName,
    gates: netlist.gates.length,
    ...(published ? { published } : {}),
  };
  return { multiplier, sourceVerilog: readFileSync(file, 'utf8') };
}

export function importVerilog(path: string, opts: VerilogImportOptions): ImportedVerilog[] {
  const files = verilogFiles(path);
  if (files.length > 1 && opts.top !== undefined) throw userError('E_USAGE', '--top names one module; give it with a single file, not a folder');
  const out = files.map((f) => importVerilogFile(f, opts));
  const seen = new Set<string>();
  for (const { multiplier: m } of out) {
    if (seen.has(m.id)) throw userError('E_MULT', `${path}: module ${m.id} is defined in two files; keep one`);
    seen.add(m.id);
  }
  return out;
}

export interface TableImportOptions {
  readonly signed: boolean;
  readonly order: TableOrder;
  readonly id?: string;
  readonly relativePower?: number;
}

export function importTable(file: string, opts: TableImportOptions): Multiplier {
  if (!existsSync(file) || statSync(file).isDirectory()) throw userError('E_IO', `${file} is not a file; give a 131,072-byte table file`);
  const id = opts.id ?? basename(file).replace(/\.[^.]*$/, '');
  if (!isValidId(id)) throw userError('E_MULT', `"${id}" is not a valid id (letters, digits, _ . -, starting with a letter); give --id`);
  const table = decodeTable(readFileSync(file), opts.signed, opts.order, basename(file));
  return {
    id,
    signed: opts.signed,
    table,
    relativePower: opts.relativePower ?? null,
    powerSource: opts.relativePower === undefined ? 'unknown' : 'given',
    metrics: computeMetrics(table, opts.signed),
    source: { kind: 'table', description: `${opts.signed ? 'signed' : 'unsigned'} table imported from ${basename(file)} (order ${opts.order})`, file: basename(file) },
  };
}
