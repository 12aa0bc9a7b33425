/** The switching-activity power model against published power: the EvoApprox netlists shipped in
 *  multipliers/evoapprox/verilog/ (their tables must equal the shipped behavioural tables bit for bit), and the rank
 *  correlation of our estimate with the library's published 45 nm power, which must not fall below what was measured
 *  when the model was validated (docs/multipliers.md) minus a margin. */
import { describe, expect, test } from 'vitest';
import { pearson, spearman, validateSwitchingPower } from '../../src/multipliers/power-validation.js';

/** Measured on the 35 unsigned built-in netlists with a nonzero published power (scripts/evoapprox-power.mjs); the
 *  margin allows small model changes. */
const MEASURED_SPEARMAN = 0.992;
const MARGIN = 0.05;

describe('correlation statistics (worked by hand)', () => {
  test('pearson of a line is 1, of a reversed line -1', () => {
    expect(pearson([1, 2, 3, 4], [3, 5, 7, 9])).toBeCloseTo(1, 12);
    expect(pearson([1, 2, 3], [3, 2, 1])).toBeCloseTo(-1, 12);
  });
  test('spearman uses ranks, with mean ranks for ties', () => {
    // Monotone but not linear: rank correlation 1.
    expect(spearman([1, 2, 3, 4], [1, 8, 27, 1000])).toBeCloseTo(1, 12);
    // x ranks 1, 2, 3, 4; y = [10, 20, 20, 5] ranks 2, 3.5, 3.5, 1. Means 2.5 and 2.5;
    // deviations (-1.5, -0.5, 0.5, 1.5) and (-0.5, 1, 1, -1.5): sxy = 0.75 - 0.5 + 0.5 - 2.25 = -1.5,
    // sxx = 5, syy = 0.25 + 1 + 1 + 2.25 = 4.5: rho = -1.5 / sqrt(22.5).
    expect(spearman([1, 2, 3, 4], [10, 20, 20, 5])).toBeCloseTo(-1.5 / Math.sqrt(22.5), 12);
  });
});

describe('EvoApprox netlists', () => {
  test('switching power ranks the unsigned built-in netlists like their published power', () => {
    const v = validateSwitchingPower();
    expect(v.rows.length).toBe(35); // every unsigned netlist has a published power; mul8u_E9R's is 0
    expect(v.spearman).toBeGreaterThanOrEqual(MEASURED_SPEARMAN - MARGIN);
    expect(v.pearson).toBeGreaterThan(0.9);
  });
});
