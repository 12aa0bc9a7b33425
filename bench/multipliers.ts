/** Multiplier library throughput: the bit-parallel netlist evaluator (exhaustive 65,536-pair tables of generated
 *  netlists, products/s and gate evaluations/s), and characterizing a library of 100 generated multipliers of every
 *  family: without Yosys (generate + exhaustive table + metrics + switching power), and the full `mult characterize`
 *  with Yosys synthesis (one Yosys process per multiplier, as many at a time as there are cores). The Yosys CPU time
 *  (children's user + system time) tells what the wall time would be on an idle machine: CPU / cores. */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { characterizeMany } from '../src/multipliers/characterize.js';
import { exhaustiveTable } from '../src/multipliers/evaluate.js';
import { generate, parseSpecId, type FamilySpec } from '../src/multipliers/families.js';
import { makeGenerated } from '../src/multipliers/library.js';
import type { Benchmark } from './types.js';

function hundredSpecs(): FamilySpec[] {
  const specs: FamilySpec[] = [];
  for (const signed of [false, true]) {
    specs.push({ family: 'exact', signed });
    for (let k = 1; k <= 14; k++) for (const correct of k % 2 ? [false] : [false, true]) specs.push({ family: 'trunc', signed, k, correct });
    for (const [v, h] of [[4, 1], [6, 2], [8, 3], [9, 4], [10, 5], [12, 6]] as const) specs.push({ family: 'bam', signed, v, h });
    for (const [a, b] of [[1, 1], [2, 2], [3, 3], [4, 4], [0, 2], [0, 4], [2, 0], [4, 0]] as const) specs.push({ family: 'optrunc', signed, a, b });
    for (let k = 3; k <= 8; k++) specs.push({ family: 'drum', signed, k });
    for (let w = 0; w <= 7; w++) specs.push({ family: 'mitchell', signed, w });
  }
  return specs;
}

/** CPU seconds of the children this process has waited for (Linux /proc/self/stat fields cutime + cstime). */
function childCpuSeconds(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').replace(/^.*\) /, '').split(' ');
  return (Number(fields[13]) + Number(fields[14])) / 100; // fields 16 and 17 of stat(5), in clock ticks (USER_HZ = 100)
}

export const multipliersBench: Benchmark = {
  name: 'multipliers',
  summary: 'bit-parallel netlist evaluation (products/s); characterization of 100 generated multipliers, without and with Yosys',
  async run() {
    const n = generate(parseSpecId('exact-s8')!);
    exhaustiveTable(n, true); // warm up the JIT
    const reps = 20;
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) exhaustiveTable(n, true);
    const secs = (performance.now() - t0) / 1000;
    const specs = hundredSpecs();
    const t1 = performance.now();
    const library = specs.map(makeGenerated);
    const libSecs = (performance.now() - t1) / 1000;
    const cpu0 = childCpuSeconds();
    const t2 = performance.now();
    const chars = await characterizeMany(library, { synth: true });
    const yosysSecs = (performance.now() - t2) / 1000;
    const yosysCpu = childCpuSeconds() - cpu0;
    if (chars.some((c) => c.synth === undefined)) throw new Error('bench: a multiplier was not synthesized');
    return {
      netlist_gates: n.gates.length,
      exhaustive_table_ms: +((1000 * secs) / reps).toFixed(2),
      products_per_s: Math.round((reps * 65536) / secs),
      gate_evals_per_s: Math.round((reps * 65536 * n.gates.length) / secs),
      library_size: specs.length,
      library_gates_mean: Math.round(library.reduce((s, m) => s + m.gates!, 0) / library.length),
      characterize_library_s: +libSecs.toFixed(2),
      characterize_library_yosys_s: +yosysSecs.toFixed(1),
      yosys_cpu_s: +yosysCpu.toFixed(1),
      yosys_cpu_per_multiplier_s: +(yosysCpu / specs.length).toFixed(2),
      yosys_jobs: availableParallelism(),
    };
  },
};
