/** The activation memory of the HLS accelerator: every buffer of the plan at an offset of one array (`mem`), as a
 *  scratchpad of a tiled accelerator holds them. A Reshape moves no data (C order is kept), so its output is its
 *  input at the same offset. Buffers whose lifetimes do not overlap share space: a buffer lives from the layer that
 *  writes it (the input: before the first layer) to the last layer that reads it (the output: to the end), and each
 *  new buffer takes the lowest offset that no live buffer occupies (first fit). A layer's inputs and output are live
 *  together, so no layer overwrites what it reads. */
/** What the allocation reads of a plan (integer or word-length tuned): buffer sizes and the layers' reads and writes. */
export interface MemoryPlan {
  readonly input: { readonly name: string };
  readonly output: { readonly name: string };
  readonly layers: readonly { readonly node: { readonly op: string }; readonly inputs: readonly string[]; readonly output: string }[];
  readonly buffers: ReadonlyMap<string, { readonly size: number }>;
}

export interface MemoryMap {
  /** Offset of every buffer (by name) in the activation memory. */
  readonly offsets: ReadonlyMap<string, number>;
  /** Elements the memory needs. */
  readonly size: number;
}

export function allocateMemory(plan: MemoryPlan): MemoryMap {
  const root = new Map<string, string>(); // buffer -> the buffer whose storage it is (Reshape aliases)
  root.set(plan.input.name, plan.input.name);
  for (const l of plan.layers) root.set(l.output, l.node.op === 'Reshape' ? root.get(l.inputs[0]!)! : l.output);
  const end = plan.layers.length;
  const interval = new Map<string, [number, number]>([[plan.input.name, [-1, -1]]]);
  plan.layers.forEach((l, i) => {
    for (const b of l.inputs) interval.get(root.get(b)!)![1] = i;
    if (!interval.has(root.get(l.output)!)) interval.set(l.output, [i, i]);
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
  const offsets = new Map([...root].map(([b, r]) => [b, base.get(r)!]));
  return { offsets, size: Math.max(...placed.map((p) => p.at + p.size)) };
}
