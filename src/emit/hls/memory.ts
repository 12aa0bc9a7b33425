/** The activation memory of the HLS accelerator: every buffer of the plan at an offset of one array (`mem`), as a
 *  scratchpad of a tiled accelerator holds them. A Reshape moves no data (C order is kept), so its output is its
 *  input at the same offset. A Concat whose inputs are contiguous blocks of its output (every dimension before the
 *  axis is 1, as for a channel concat of one inference) places them: an input that no other Concat reads, that is
 *  neither the graph input nor another buffer's alias, is stored inside the output at its block, so its producer
 *  writes it there and the Concat moves no data for it (`placed`). Buffers whose lifetimes do not overlap share space: a buffer lives from the layer that
 *  writes it (the input: before the first layer) to the last layer that reads it (the output: to the end), and each
 *  new buffer takes the lowest offset that no live buffer occupies (first fit). A layer's inputs and output are live
 *  together, so no layer overwrites what it reads. */
/** What the allocation reads of a plan (integer or word-length tuned): buffer sizes and the layers' reads and writes. */
export interface MemoryPlan {
  readonly input: { readonly name: string };
  readonly output: { readonly name: string };
  readonly layers: readonly { readonly node: { readonly op: string; readonly attrs?: object }; readonly inputs: readonly string[]; readonly output: string }[];
  readonly buffers: ReadonlyMap<string, { readonly size: number; readonly shape?: readonly number[] }>;
}

export interface MemoryMap {
  /** Offset of every buffer (by name) in the activation memory. */
  readonly offsets: ReadonlyMap<string, number>;
  /** Elements the memory needs. */
  readonly size: number;
  /** Buffers stored inside a Concat's output (the Concat copies only the others). */
  readonly placed: ReadonlySet<string>;
}

/** Concat inputs stored inside the Concat's output: buffer -> (output, element offset). */
function concatPlacements(plan: MemoryPlan): Map<string, { into: string; at: number }> {
  const placed = new Map<string, { into: string; at: number }>();
  const concatReaders = new Map<string, number>();
  const aliases = new Set(plan.layers.filter((l) => l.node.op === 'Reshape').flatMap((l) => [l.output, ...l.inputs]));
  for (const l of plan.layers) if (l.node.op === 'Concat') for (const b of l.inputs) concatReaders.set(b, (concatReaders.get(b) ?? 0) + 1);
  for (const l of plan.layers) {
    if (l.node.op !== 'Concat') continue;
    const axis = (l.node.attrs as { axis: number }).axis, shape = plan.buffers.get(l.output)!.shape!;
    if (shape.slice(0, axis).some((d) => d !== 1)) continue;
    const inner = shape.slice(axis + 1).reduce((a, d) => a * d, 1);
    let at = 0;
    for (const b of l.inputs) {
      const size = plan.buffers.get(b)!.size;
      if (b !== plan.input.name && !aliases.has(b) && concatReaders.get(b) === 1 && !placed.has(b) && l.inputs.indexOf(b) === l.inputs.lastIndexOf(b)) placed.set(b, { into: l.output, at });
      at += (size / inner) * inner;
    }
  }
  return placed;
}

export function allocateMemory(plan: MemoryPlan): MemoryMap {
  const placements = concatPlacements(plan);
  const root = new Map<string, string>(); // buffer -> the buffer whose storage it is (Reshape aliases, placed inputs)
  const within = new Map<string, number>(); // buffer -> its offset inside its root's storage
  root.set(plan.input.name, plan.input.name);
  // A placed input's storage is its Concat's output (a Concat's output is never itself placed inside a later one
  // when it is an alias; chains of Concats compose the offsets).
  const resolve = (b: string): [string, number] => {
    const p = placements.get(b);
    if (!p) return [b, 0];
    const [r, at] = resolve(p.into);
    return [r, at + p.at];
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
