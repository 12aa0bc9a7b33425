/** Folding: LeNet-5 (exact multipliers) cycles per inference against multipliers, from the cycle model. For each
 *  budget of 4 to 256 multipliers: the fastest plan the folding solver finds within it (P x S per tile, tiles'
 *  sharing of layers, window taps), the same budget as plain lanes (P = budget, S = 1: the accelerator before
 *  folding), and the ideal MACs / multipliers; and the solver's plan with its steps overlapped (--overlap,
 *  src/hw/overlap.ts). Also the solver's own run time on the largest budget. */
import { predictCycles } from '../src/hw/cycles.js';
import { solveFoldPlan } from '../src/hw/fold-plan.js';
import { planAccelerator } from '../src/hw/plan.js';
import { scheduleAccelerator } from '../src/hw/schedule.js';
import { quantizedLenet } from './fixtures.js';
import type { Benchmark } from './types.js';

export const BUDGETS = [4, 8, 16, 32, 64, 128, 256] as const;

export const foldingBench: Benchmark = {
  name: 'folding',
  summary: 'folding solver: LeNet-5 cycles per inference against multipliers (4 to 256), solver plan vs plain lanes vs MACs/multipliers',
  async run() {
    const { graph } = quantizedLenet(1);
    const plan = planAccelerator(graph);
    const out: Record<string, number> = {};
    let solverMs = 0;
    for (const budget of BUDGETS) {
      const t0 = performance.now();
      const folded = solveFoldPlan(graph, { cycles: Infinity, maxMultipliers: budget, objective: 'cycles' });
      solverMs = performance.now() - t0;
      const lanes = predictCycles(scheduleAccelerator(plan, budget));
      out[`cycles_${budget}`] = folded.cycles.total;
      out[`multipliers_used_${budget}`] = folded.multipliers;
      out[`utilization_${budget}`] = +folded.cycles.macUtilization.toFixed(3);
      out[`overlap_cycles_${budget}`] = predictCycles(scheduleAccelerator(folded.plan, folded.folding), { overlap: true }).total;
      out[`lanes_only_cycles_${budget}`] = lanes.total;
      out[`ideal_cycles_${budget}`] = Math.ceil(lanes.macs / budget);
    }
    out['solver_ms_256'] = Math.round(solverMs);
    return out;
  },
};
