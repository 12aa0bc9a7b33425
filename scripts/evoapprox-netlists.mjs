// Precomputes what loading the multiplier library would otherwise need Yosys for (after `npm run build`):
//  - multipliers/evoapprox/netlists.json: the gate netlist of every EvoApprox Verilog file in
//    multipliers/evoapprox/verilog/ (Yosys' reading, src/multipliers/yosys.ts), with the file's SHA-256;
//  - multipliers/synth.json: the Yosys cost figures (cells, CMOS transistors, xc7 LUTs; src/multipliers/yosys.ts) of
//    every built-in multiplier with a netlist, with the SHA-256 of the Verilog text they were measured on.
// test/multipliers/builtin-netlists.test.ts fails when either file is stale. Usage: node scripts/evoapprox-netlists.mjs
import { readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { builtinDataDir, NETLISTS_FORMAT, sha256, SYNTH_FORMAT } from '../dist/src/multipliers/evoapprox.js';
import { readVerilogNetlist, synthCosts } from '../dist/src/multipliers/yosys.js';

const dataDir = builtinDataDir();
const verilogDir = join(dataDir, 'verilog');
const write = (file, json) => {
  writeFileSync(`${file}.tmp`, JSON.stringify(json) + '\n');
  renameSync(`${file}.tmp`, file);
};

const netlists = {};
for (const file of readdirSync(verilogDir).filter((f) => f.endsWith('.v')).sort()) {
  const path = join(verilogDir, file);
  const { moduleName, netlist } = readVerilogNetlist(path);
  netlists[moduleName] = { file, sha256: sha256(readFileSync(path, 'utf8')), signed: moduleName.startsWith('mul8s'), netlist };
  process.stderr.write(`${moduleName}: ${netlist.gates.length} gates\n`);
}
write(join(dataDir, 'netlists.json'), { format: NETLISTS_FORMAT, netlists });

// Loaded after netlists.json is written, so that the library holds the new netlists.
const { builtinLibrary } = await import('../dist/src/multipliers/library.js');
const ms = builtinLibrary().filter((m) => m.verilog !== undefined);
const costs = await synthCosts(ms.map((m) => ({ verilog: m.verilog, moduleName: m.moduleName })), {
  onDone: (i, c) => process.stderr.write(`${ms[i].id}: ${c.luts} LUTs, ${c.cells} cells, ${c.transistors} transistors\n`),
});
const multipliers = {};
ms.forEach((m, i) => (multipliers[m.id] = { verilogSha256: sha256(m.verilog), ...costs[i] }));
write(join(dataDir, '..', 'synth.json'), { format: SYNTH_FORMAT, multipliers });
