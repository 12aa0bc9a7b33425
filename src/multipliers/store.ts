/** The on-disk library: one folder per multiplier, files a user can read and version.
 *    LIBDIR/<id>/multiplier.json   record without the table (format, id, signedness, power, metrics, source, costs)
 *    LIBDIR/<id>/table.bin         65,536 16-bit little-endian products, index A * 256 + B (see table-file.ts)
 *    LIBDIR/<id>/gates.json        gate netlist (netlist.ts numbering), when the multiplier has one
 *    LIBDIR/<id>/netlist.v         that netlist as Verilog-2005, module `moduleName(A, B, O)`
 *    LIBDIR/<id>/source.v          the imported Verilog as given (provenance only)
 *  Each folder is written atomically, so a failed import adds nothing. */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { userError } from '../errors.js';
import { writeDirAtomically } from '../io/atomic-dir.js';
import { checkNetlist, type GateNetlist } from './netlist.js';
import { decodeTable, encodeTable } from './table-file.js';
import { isValidId, type Multiplier } from './types.js';

export const RECORD_FORMAT = 'adequate-multiplier/1';

/** The library folder used when no --library is given: $ADEQUATE_MULT_LIBRARY, else .adequate/multipliers. */
export function defaultLibraryDir(): string {
  return process.env.ADEQUATE_MULT_LIBRARY ?? join('.adequate', 'multipliers');
}

export async function saveMultiplier(libDir: string, m: Multiplier, sourceVerilog?: string): Promise<void> {
  const { table, netlist, verilog, ...meta } = m;
  // Replacing an entry is decided by the caller (--replace); entries written before the marker existed have none.
  await writeDirAtomically({ path: join(libDir, m.id), command: 'mult', inputs: [], force: true }, (tmp) => {
    writeFileSync(join(tmp, 'multiplier.json'), JSON.stringify({ format: RECORD_FORMAT, ...meta }, null, 2) + '\n');
    writeFileSync(join(tmp, 'table.bin'), encodeTable(table, m.signed));
    if (netlist) writeFileSync(join(tmp, 'gates.json'), JSON.stringify(netlist) + '\n');
    if (verilog) writeFileSync(join(tmp, 'netlist.v'), verilog);
    if (sourceVerilog !== undefined) writeFileSync(join(tmp, 'source.v'), sourceVerilog);
  });
}

/** A --library folder the user named must exist (a missing one is never silently replaced by the built-ins). */
export function requireLibraryDir(libDir: string, flag = '--library'): string {
  if (!existsSync(libDir)) throw userError('E_MULT', `${flag} ${libDir} does not exist; give an existing multiplier library folder (adequate mult import/generate -o DIR makes one)`);
  if (!statSync(libDir).isDirectory()) throw userError('E_MULT', `${flag} ${libDir} is a file, not a library folder`);
  return libDir;
}

export function libraryIds(libDir: string): string[] {
  if (!existsSync(libDir)) return [];
  return readdirSync(libDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith('.') && existsSync(join(libDir, d.name, 'multiplier.json')))
    .map((d) => d.name)
    .sort();
}

export function loadMultiplier(libDir: string, id: string): Multiplier {
  const dir = join(libDir, id);
  const where = join(dir, 'multiplier.json');
  let meta: Record<string, unknown>;
  try {
    meta = JSON.parse(readFileSync(where, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw userError('E_MULT', `${where}: unreadable (${(e as Error).message}); re-import the multiplier or remove ${dir}`);
  }
  if (meta.format !== RECORD_FORMAT || meta.id !== id || !isValidId(id) || typeof meta.signed !== 'boolean')
    throw userError('E_MULT', `${where}: not a ${RECORD_FORMAT} record for id ${id}; re-import the multiplier or remove ${dir}`);
  const table = decodeTable(readFileSync(join(dir, 'table.bin')), meta.signed, 'ab', join(dir, 'table.bin'));
  const gatesFile = join(dir, 'gates.json');
  const netlist = existsSync(gatesFile) ? (JSON.parse(readFileSync(gatesFile, 'utf8')) as GateNetlist) : undefined;
  if (netlist) checkNetlist(netlist);
  const vFile = join(dir, 'netlist.v');
  const { format: _format, ...rest } = meta;
  return {
    ...(rest as unknown as Omit<Multiplier, 'table'>),
    table,
    ...(netlist ? { netlist } : {}),
    ...(existsSync(vFile) ? { verilog: readFileSync(vFile, 'utf8') } : {}),
  };
}
