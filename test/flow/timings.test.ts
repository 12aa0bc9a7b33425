import { expect, test } from 'vitest';
import { splitTimings } from '../../src/flow/run.js';

test('measured speeds are split from results at any depth, so stage.json stays byte-stable', () => {
  const json = { count: 10, mismatches: 0, ms_per_inference: 0.17, build_seconds: 16.4, layers: [{ cycles: 5, sim_cycles_per_second: 1e6 }, { cycles: 7 }], workers: 2 };
  const [results, timings] = splitTimings(json);
  expect(results).toEqual({ count: 10, mismatches: 0, layers: [{ cycles: 5 }, { cycles: 7 }] });
  expect(timings).toEqual({ ms_per_inference: 0.17, build_seconds: 16.4, workers: 2, layers: [{ sim_cycles_per_second: 1e6 }, undefined] });
  expect(splitTimings([1, 'a', null])).toEqual([[1, 'a', null], undefined]);
});
