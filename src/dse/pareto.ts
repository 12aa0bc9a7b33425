/** Pareto helpers for multi-objective minimisation: dominance (plain and constrained, Deb 2002), fast non-dominated
 *  sorting, crowding distance, the non-dominated subset of a point set, and the 2-D hypervolume.
 *  Every objective is minimised. Every function is deterministic: ties are broken by index, never by chance. */

/** A point in objective space with an optional constraint violation (0 or less = feasible). */
export interface Scored {
  readonly objectives: readonly number[];
  readonly violation?: number;
}

/** a Pareto-dominates b: no worse in every objective and better in at least one. */
export function dominates(a: readonly number[], b: readonly number[]): boolean {
  let better = false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number, y = b[i] as number;
    if (x > y) return false;
    if (x < y) better = true;
  }
  return better;
}

function violationOf(p: Scored): number {
  const v = p.violation ?? 0;
  return v > 0 ? v : 0;
}

/** Constraint-domination (Deb 2002): a feasible point beats an infeasible one; of two infeasible points the one with
 *  the smaller total violation wins; two feasible points compare by Pareto dominance. */
export function constrainedDominates(a: Scored, b: Scored): boolean {
  const va = violationOf(a), vb = violationOf(b);
  if (va === 0 && vb === 0) return dominates(a.objectives, b.objectives);
  if (va === 0) return true;
  if (vb === 0) return false;
  return va < vb;
}

/** Fast non-dominated sorting (Deb et al. 2002, O(k n^2)) under constraint-domination: the returned fronts hold
 *  point indices, front 0 first; each front lists its indices in increasing order. */
export function nonDominatedSort(points: readonly Scored[]): number[][] {
  const n = points.length;
  const dominatedBy: number[][] = Array.from({ length: n }, () => []);
  const count = new Array<number>(n).fill(0);
  for (let i = 0; i < n; i++) {
    const pi = points[i] as Scored;
    for (let j = i + 1; j < n; j++) {
      const pj = points[j] as Scored;
      if (constrainedDominates(pi, pj)) {
        (dominatedBy[i] as number[]).push(j);
        count[j] = (count[j] as number) + 1;
      } else if (constrainedDominates(pj, pi)) {
        (dominatedBy[j] as number[]).push(i);
        count[i] = (count[i] as number) + 1;
      }
    }
  }
  const fronts: number[][] = [];
  let current: number[] = [];
  for (let i = 0; i < n; i++) if (count[i] === 0) current.push(i);
  while (current.length > 0) {
    fronts.push(current);
    const next: number[] = [];
    for (const i of current) {
      for (const j of dominatedBy[i] as number[]) {
        const c = (count[j] as number) - 1;
        count[j] = c;
        if (c === 0) next.push(j);
      }
    }
    next.sort((a, b) => a - b);
    current = next;
  }
  return fronts;
}

/** Crowding distance of each member of one front (Deb 2002): per objective, sort the front (stable, by value then
 *  index), give the two extremes Infinity and every inner point the gap between its neighbours divided by the
 *  objective's range; sum over objectives. Returns distances in the order of `front`. */
export function crowdingDistance(points: readonly Scored[], front: readonly number[]): number[] {
  const m = front.length;
  const dist = new Array<number>(m).fill(0);
  if (m === 0) return dist;
  const k = (points[front[0] as number] as Scored).objectives.length;
  const order = front.map((_, i) => i);
  for (let o = 0; o < k; o++) {
    const val = (i: number): number => (points[front[i] as number] as Scored).objectives[o] as number;
    order.sort((a, b) => val(a) - val(b) || (front[a] as number) - (front[b] as number));
    const first = order[0] as number, last = order[m - 1] as number;
    dist[first] = Infinity;
    dist[last] = Infinity;
    const range = val(last) - val(first);
    if (range <= 0) continue;
    for (let r = 1; r < m - 1; r++) {
      const i = order[r] as number;
      dist[i] = (dist[i] as number) + (val(order[r + 1] as number) - val(order[r - 1] as number)) / range;
    }
  }
  return dist;
}

/** The non-dominated subset of `points` under constraint-domination, in input order: when any point is feasible,
 *  the Pareto-optimal feasible points; otherwise the points of least violation. Points with equal objective vectors
 *  are all kept. O(n f) for n points and f front members (no full sort), so it serves exhaustive enumerations too. */
export function paretoFront<T extends Scored>(points: readonly T[]): T[] {
  const feasible = points.filter((p) => violationOf(p) === 0);
  if (feasible.length === 0) {
    const least = points.reduce((m, p) => Math.min(m, violationOf(p)), Infinity);
    return points.filter((p) => violationOf(p) === least);
  }
  let front: T[] = [];
  for (const p of feasible) {
    if (front.some((q) => dominates(q.objectives, p.objectives))) continue;
    front = front.filter((q) => !dominates(p.objectives, q.objectives));
    front.push(p);
  }
  const keep = new Set<T>(front);
  return feasible.filter((p) => keep.has(p));
}

/** Hypervolume of a 2-objective point set (both minimised) with respect to the reference point `ref`: the area
 *  dominated by the set and bounded by `ref`. Points that do not strictly dominate `ref` in both objectives add
 *  nothing. Exact up to float rounding of the sum. */
export function hypervolume2d(points: readonly (readonly number[])[], ref: readonly [number, number]): number {
  const pts = points
    .map((p) => [p[0] as number, p[1] as number] as const)
    .filter(([x, y]) => x < ref[0] && y < ref[1])
    .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let area = 0;
  let bestY = ref[1];
  for (const [x, y] of pts) {
    if (y >= bestY) continue; // dominated by an earlier point (smaller or equal x, smaller or equal y)
    area += (ref[0] - x) * (bestY - y);
    bestY = y;
  }
  return area;
}
