/** The multiplier library as the rest of the compiler sees it: the built-in set (exact signed and unsigned, a sample of
 *  every generated family, the EvoApprox netlists and tables with their published power) merged with a user library
 *  folder, whose entries shadow built-ins of the same id. */
import { userError } from '../errors.js';
import {
  builtinEvoApproxBytes, builtinEvoApproxIds, builtinNetlists, builtinPublished, builtinSynthCache, EVOAPPROX_CITATION,
  relativePublishedPower, sha256,
} from './evoapprox.js';
import { exhaustiveTable } from './evaluate.js';
import { describeSpec, generate, parseSpecId, specId, type FamilySpec } from './families.js';
import { computeMetrics } from './metrics.js';
import { relativeSwitchingPower } from './power.js';
import { libraryIds, loadMultiplier } from './store.js';
import { decodeTable } from './table-file.js';
import { moduleNameFor, type Multiplier } from './types.js';
import { toVerilog } from './verilog.js';

/** The generated sample of the built-in set: each family from near-exact to coarse (see docs/multipliers.md).
 *  Broken-array breaks have h > v - 7, else the horizontal break removes nothing beyond truncation. */
export function builtinSpecs(): FamilySpec[] {
  const specs: FamilySpec[] = [];
  for (const signed of [false, true]) {
    specs.push({ family: 'exact', signed });
    for (const k of [4, 6, 8, 10]) for (const correct of [false, true]) specs.push({ family: 'trunc', signed, k, correct });
    for (const [v, h] of [[4, 1], [6, 2], [8, 3], [9, 4]] as const) specs.push({ family: 'bam', signed, v, h });
    for (const [a, b] of [[1, 1], [2, 2], [3, 3], [4, 4], [0, 3]] as const) specs.push({ family: 'optrunc', signed, a, b });
  }
  for (const k of [3, 4, 5, 6]) specs.push({ family: 'drum', signed: false, k });
  for (const k of [4, 6]) specs.push({ family: 'drum', signed: true, k });
  for (const signed of [false, true]) for (const w of [7, 3]) specs.push({ family: 'mitchell', signed, w });
  return specs;
}

/** A generated multiplier: netlist, its Verilog, exhaustive table, metrics and switching-activity power. */
export function makeGenerated(spec: FamilySpec): Multiplier {
  const id = specId(spec);
  const netlist = generate(spec);
  const table = exhaustiveTable(netlist, spec.signed);
  const moduleName = moduleNameFor(id);
  const exact = spec.family === 'exact';
  return {
    id,
    signed: spec.signed,
    table,
    relativePower: exact ? 1 : relativeSwitchingPower(netlist, spec.signed),
    powerSource: exact ? 'exact' : 'switching',
    metrics: computeMetrics(table, spec.signed),
    source: { kind: exact ? 'exact' : 'generated', description: describeSpec(spec) },
    netlist,
    verilog: toVerilog(netlist, moduleName, `${id}: ${describeSpec(spec)}`),
    moduleName,
    gates: netlist.gates.length,
  };
}

/** A shipped EvoApprox multiplier with its published figures: its gate netlist when the library ships one (the table
 *  is then the netlist's, evaluated exhaustively), else its behavioural table (the four older ones, with no
 *  published power: `relativePower` null, so no search picks them). */
export function makeEvoApprox(id: string): Multiplier {
  const shipped = builtinNetlists().get(id);
  const signed = shipped?.signed ?? false;
  const table = shipped ? exhaustiveTable(shipped.netlist, signed) : decodeTable(builtinEvoApproxBytes(id), false, 'ba', `multipliers/evoapprox/${id}.bin`);
  const pub = builtinPublished();
  const published = pub.rows.get(id);
  const power = published ? relativePublishedPower(pub, published, signed) : null;
  const kind = signed ? 'signed' : 'unsigned';
  return withCachedSynth({
    id,
    signed,
    table,
    relativePower: power,
    powerSource: power === null ? 'unknown' : 'published',
    metrics: computeMetrics(table, signed),
    source: {
      kind: 'evoapprox',
      description: shipped ? `EvoApprox 8x8 ${kind} multiplier ${id} (gate netlist)` : `EvoApprox 8x8 ${kind} multiplier ${id} (behavioural table only)`,
      ...(shipped ? { file: shipped.file } : {}),
      citation: EVOAPPROX_CITATION,
    },
    ...(shipped
      ? {
          netlist: shipped.netlist,
          verilog: toVerilog(shipped.netlist, id, `${id}: EvoApproxLib 8x8 ${kind} multiplier, flattened by yosys from multipliers/evoapprox/verilog/${shipped.file} (MIT licence, Copyright 2018 EHW@FIT, Brno University of Technology; see that file for the licence and citation)`),
          moduleName: id,
          gates: shipped.netlist.gates.length,
        }
      : {}),
    ...(published ? { published } : {}),
  });
}

/** The record with its Yosys figures from the shipped cache (multipliers/synth.json), when they were measured on
 *  exactly this Verilog text. */
function withCachedSynth(m: Multiplier): Multiplier {
  if (m.verilog === undefined || m.synth) return m;
  const cached = builtinSynthCache().get(m.id);
  if (!cached || cached.verilogSha256 !== sha256(m.verilog)) return m;
  return { ...m, synth: { cells: cached.cells, transistors: cached.transistors, luts: cached.luts } };
}

let builtins: Multiplier[] | undefined;

export function builtinLibrary(): readonly Multiplier[] {
  builtins ??= [...builtinSpecs().map((spec) => withCachedSynth(makeGenerated(spec))), ...builtinEvoApproxIds().map(makeEvoApprox)];
  return builtins;
}

/** Built-ins plus the multipliers of a library folder (folder entries shadow built-ins of the same id). */
export function loadLibrary(libDir?: string): Multiplier[] {
  const user = libDir === undefined ? [] : libraryIds(libDir).map((id) => loadMultiplier(libDir, id));
  const shadowed = new Set(user.map((m) => m.id));
  return [...builtinLibrary().filter((m) => !shadowed.has(m.id)), ...user];
}

/** One multiplier by id: from the library folder, the built-ins, or (any generated id) generated on demand. */
export function getMultiplier(id: string, libDir?: string): Multiplier {
  if (libDir !== undefined && libraryIds(libDir).includes(id)) return loadMultiplier(libDir, id);
  const builtin = builtinLibrary().find((m) => m.id === id);
  if (builtin) return builtin;
  const spec = parseSpecId(id);
  if (spec) return makeGenerated(spec);
  const ids = loadLibrary(libDir).map((m) => m.id);
  const near = ids.filter((x) => x.toLowerCase().includes(id.toLowerCase().slice(0, 4))).slice(0, 5);
  throw userError('E_MULT', `no multiplier "${id}" in the library${libDir ? ` (${libDir})` : ''}; ${near.length ? `did you mean ${near.join(', ')}? ` : ''}see adequate mult list`);
}
