/** The normal CDF and quantile (src/dse/normal.ts) against tabulated values. */
import { describe, expect, test } from 'vitest';
import { normalCdf, normalQuantile } from '../../src/dse/normal.js';

describe('standard normal', () => {
  test('CDF at tabulated points', () => {
    // Abramowitz and Stegun, table 26.1.
    for (const [x, p] of [[0, 0.5], [1, 0.8413447461], [1.645, 0.9500150945], [2, 0.9772498681], [-1, 0.1586552539], [-3, 0.0013498980]] as const)
      expect(normalCdf(x)).toBeCloseTo(p, 6);
  });
  test('quantile at tabulated points, and the inverse of the CDF', () => {
    for (const [p, x] of [[0.5, 0], [0.975, 1.959963985], [0.95, 1.644853627], [0.8413447461, 1], [0.001, -3.090232306], [0.9999, 3.719016485]] as const)
      expect(normalQuantile(p)).toBeCloseTo(x, 6);
    for (let x = -4; x <= 4; x += 0.25) expect(normalQuantile(normalCdf(x))).toBeCloseTo(x, 4);
    expect([normalQuantile(0), normalQuantile(1)]).toEqual([-Infinity, Infinity]);
  });
});
