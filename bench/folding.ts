/** Folding: LeNet-5 (exact multipliers) cycles per inference against multipliers, from the cycle model. For each
 *  budget of 4 to 256 multipliers: the fastest plan the folding solver finds within it (P x S per tile, tiles'
 *  sharing of layers, window taps), the same budget as plain lanes (P = budget, S = 1: the accelerator before
 *  folding), and the ideal MACs / multipliers; and the solver's plan with its steps overlapped (--overlap,
 *  src/hw/overlap.ts). Also the solver's own run time: on the largest budget, and on the residual example's target of a
 *  tenth of its 4-lane cycles with wide writes (issue 19's second point; 50 s before the bucket merges and the lower
 *  bound, src/hw/fold-solver.ts). */
import { predictCycles } from '../src/hw/cycles.js';
import { solveFoldPlan } from '../src/hw/fold-plan.js';
import { planAccelerator } from '../src/hw/plan.js';
import { scheduleAccelerator } from '../src/hw/schedule.js';
import { quantizedLenet, quantizedResidual } from './fixtures.js';
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
    // Needs Fashion-MNIST (dataset-fashion-mnist) to calibrate; without it the figure is left out.
    const residual = quantizedResidual(10);
    if (residual) {
      const target = Math.floor(predictCycles(scheduleAccelerator(planAccelerator(residual.graph), 4)).total / 10);
      const t0 = performance.now();
      const wide = solveFoldPlan(residual.graph, { cycles: target, wideWrite: true });
      out['solver_ms_residual_tenth_wide'] = Math.round(performance.now() - t0);
      out['residual_tenth_wide_multipliers'] = wide.multipliers;
      out['residual_tenth_wide_cycles'] = wide.cycles.total;
    }
    return out;
  },
};
