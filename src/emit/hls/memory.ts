/** The activation memory of the HLS accelerator: every buffer of the plan at an offset of one array (`mem`), as a
 *  scratchpad of a tiled accelerator holds them. A Reshape moves no data (C order is kept), so its output is its
 *  input at the same offset. A Concat places its inputs inside its output where the layout allows (the rule is
 *  src/hw/concat-placement.ts, shared with the Verilog schedule): a placed input's producer writes it at its block
 *  of the output and the Concat moves no data for it (`placed`). Buffers whose lifetimes do not overlap share space:
 *  a buffer lives from the layer that writes it (the input: before the first layer) to the last layer that reads it
 *  (the output: to the end), and each new buffer takes the lowest offset that no live buffer occupies (first fit). A layer's inputs and output are live
 *  together, so no layer overwrites what it reads. */
import { concatPlacements, placedRoot, type PlacementPlan } from '../../hw/concat-placement.js';

/** What the allocation reads of a plan (integer or word-length tuned): buffer sizes and the layers' reads and writes. */
export type MemoryPlan = PlacementPlan;

export interface MemoryMap {
  /** Offset of every buffer (by name) in the activation memory. */
  readonly offsets: ReadonlyMap<string, number>;
  /** Elements the memory needs. */
  readonly size: number;
  /** Buffers stored inside a Concat's output (the Concat copies only the others). */
  readonly placed: ReadonlySet<string>;
}

export function allocateMemory(plan: MemoryPlan): MemoryMap {
  const placements = concatPlacements(plan);
  const root = new Map<string, string>(); // buffer -> the buffer whose storage it is (Reshape aliases, placed inputs)
  const within = new Map<string, number>(); // buffer -> its offset inside its root's storage
  root.set(plan.input.name, plan.input.name);
  // A placed input's storage is its Concat's output (a Concat's output is never itself placed inside a later one
  // when it is an alias; chains of Concats compose the offsets).
  const resolve = (b: string): [string, number] => {
    const r = placedRoot(placements, b);
    return [r.root, r.at];
  };
  for (const l of plan.layers) {
    if (l.node.op === 'Reshape') {
      root.set(l.output, root.get(l.inputs[0]!)!);
      within.set(l.output, within.get(l.inputs[0]!) ?? 0);
    } else {
      const [r, at] = resolve(l.output);
      root.set(l.output, r);
      within.set(l.output, at);
    }
  }
  const end = plan.layers.length;
  const interval = new Map<string, [number, number]>([[plan.input.name, [-1, -1]]]);
  plan.layers.forEach((l, i) => {
    for (const b of l.inputs) interval.get(root.get(b)!)![1] = i;
    if (!interval.has(root.get(l.output)!)) interval.set(root.get(l.output)!, [i, i]);
  });
  interval.get(root.get(plan.output.name)!)![1] = end;
  const placed: { name: string; at: number; size: number; from: number; to: number }[] = [];
  for (const [name, [from, to]] of interval) {
    const size = plan.buffers.get(name)!.size;
    const live = placed.filter((p) => p.from <= to && from <= p.to).sort((a, b) => a.at - b.at);
    let at = 0;
    for (const p of live) if (at + size > p.at && p.at + p.size > at) at = Math.max(at, p.at + p.size);
    placed.push({ name, at, size, from, to });
  }
  const base = new Map(placed.map((p) => [p.name, p.at]));
  const offsets = new Map([...root].map(([b, r]) => [b, base.get(r)! + (within.get(b) ?? 0)]));
  return { offsets, size: Math.max(...placed.map((p) => p.at + p.size)), placed: new Set(placements.keys()) };
}
