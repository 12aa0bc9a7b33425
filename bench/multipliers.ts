/** Multiplier library throughput: the bit-parallel netlist evaluator (exhaustive 65,536-pair tables of generated
 *  netlists, products/s and gate evaluations/s), and characterizing a library of 100 multipliers (generate +
 *  exhaustive table + metrics + switching power, no Yosys). */
import { exhaustiveTable } from '../src/multipliers/evaluate.js';
import { generate, parseSpecId, type FamilySpec } from '../src/multipliers/families.js';
import { makeGenerated } from '../src/multipliers/library.js';
import type { Benchmark } from './types.js';

function hundredSpecs(): FamilySpec[] {
  const specs: FamilySpec[] = [];
  for (const signed of [false, true]) {
    for (let k = 0; k <= 14; k++) for (const correct of [false, true]) specs.push({ family: 'trunc', signed, k, correct });
    for (let a = 0; a <= 4; a++) for (let b = 0; b <= 3; b++) specs.push({ family: 'optrunc', signed, a, b });
  }
  for (let k = 2; k <= 8; k++) specs.push({ family: 'drum', signed: false, k });
  return specs.slice(0, 100);
}

export const multipliersBench: Benchmark = {
  name: 'multipliers',
  summary: 'bit-parallel netlist evaluation (products/s) and characterization of 100 generated multipliers',
  async run() {
    const n = generate(parseSpecId('exact-s8')!);
    exhaustiveTable(n, true); // warm up the JIT
    const reps = 20;
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) exhaustiveTable(n, true);
    const secs = (performance.now() - t0) / 1000;
    const specs = hundredSpecs();
    const t1 = performance.now();
    for (const s of specs) makeGenerated(s);
    const libSecs = (performance.now() - t1) / 1000;
    return {
      netlist_gates: n.gates.length,
      exhaustive_table_ms: +((1000 * secs) / reps).toFixed(2),
      products_per_s: Math.round((reps * 65536) / secs),
      gate_evals_per_s: Math.round((reps * 65536 * n.gates.length) / secs),
      library_size: specs.length,
      characterize_library_s: +libSecs.toFixed(2),
    };
  },
};
