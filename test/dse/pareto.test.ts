import { describe, expect, test } from 'vitest';
import { constrainedDominates, crowdingDistance, dominates, hypervolume2d, nonDominatedSort, paretoFront } from '../../src/dse/pareto.js';

const pts = (xs: [number, number][]): { objectives: number[] }[] => xs.map((o) => ({ objectives: o }));

describe('dominance', () => {
  test('plain Pareto dominance', () => {
    expect(dominates([1, 2], [2, 2])).toBe(true);
    expect(dominates([2, 2], [2, 2])).toBe(false);
    expect(dominates([1, 3], [2, 2])).toBe(false);
  });
  test('constraint-domination: feasible beats infeasible, smaller violation beats larger', () => {
    const feasibleBad = { objectives: [9, 9] }, infeasibleGood = { objectives: [0, 0], violation: 0.5 };
    expect(constrainedDominates(feasibleBad, infeasibleGood)).toBe(true);
    expect(constrainedDominates(infeasibleGood, feasibleBad)).toBe(false);
    expect(constrainedDominates({ objectives: [5, 5], violation: 0.1 }, infeasibleGood)).toBe(true);
    expect(constrainedDominates({ objectives: [1, 1], violation: -3 }, { objectives: [2, 2] })).toBe(true); // <= 0 is feasible
  });
});

describe('non-dominated sorting and crowding (hand-worked)', () => {
  // 0 (1,5) 1 (2,3) 2 (4,1) 3 (3,4) 4 (5,5) 5 (2,3) 6 (4,4)
  const set = pts([[1, 5], [2, 3], [4, 1], [3, 4], [5, 5], [2, 3], [4, 4]]);
  test('fronts', () => {
    expect(nonDominatedSort(set)).toEqual([[0, 1, 2, 5], [3], [6], [4]]);
  });
  test('crowding distance of the first front', () => {
    // objective 0 sorted: 0(1) 1(2) 5(2) 2(4), range 3 -> 1: (2-1)/3, 5: (4-2)/3
    // objective 1 sorted: 2(1) 1(3) 5(3) 0(5), range 4 -> 1: (3-1)/4, 5: (5-3)/4
    const d = crowdingDistance(set, [0, 1, 2, 5]);
    expect(d[0]).toBe(Infinity);
    expect(d[2]).toBe(Infinity);
    expect(d[1]).toBeCloseTo(1 / 3 + 1 / 2, 12);
    expect(d[3]).toBeCloseTo(2 / 3 + 1 / 2, 12);
  });
  test('fronts of two and one points are all boundary', () => {
    expect(crowdingDistance(set, [3])).toEqual([Infinity]);
    expect(crowdingDistance(set, [0, 2])).toEqual([Infinity, Infinity]);
    expect(crowdingDistance(set, [])).toEqual([]);
  });
  test('constraints: infeasible points sort after every feasible one, by violation', () => {
    const s = [{ objectives: [0, 0], violation: 2 }, { objectives: [9, 9] }, { objectives: [0, 0], violation: 1 }, { objectives: [10, 1] }];
    expect(nonDominatedSort(s)).toEqual([[1, 3], [2], [0]]);
    expect(paretoFront(s)).toEqual([s[1], s[3]]);
  });
  test('three objectives', () => {
    const s = [{ objectives: [1, 2, 3] }, { objectives: [3, 2, 1] }, { objectives: [2, 2, 2] }, { objectives: [3, 3, 3] }];
    expect(nonDominatedSort(s)).toEqual([[0, 1, 2], [3]]);
  });
});

describe('hypervolume2d', () => {
  test('staircase, hand-worked', () => {
    // (1,3): 3*1, (2,2): 2*1, (3,1): 1*1 -> 6
    expect(hypervolume2d([[1, 3], [2, 2], [3, 1]], [4, 4])).toBe(6);
  });
  test('dominated, duplicate and out-of-reference points add nothing', () => {
    expect(hypervolume2d([[3, 1], [1, 3], [3, 3], [2, 2], [2, 2], [5, 0], [0, 4]], [4, 4])).toBe(6);
    expect(hypervolume2d([], [1, 1])).toBe(0);
  });
});
