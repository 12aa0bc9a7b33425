/** Concat placement, the rule both emitters share (HLS C++: src/emit/hls/memory.ts; Verilog: src/hw/schedule.ts):
 *  a Concat whose inputs are contiguous blocks of its output (every dimension before the axis is 1, as for a channel
 *  concat of one inference) stores an input inside its output at that input's block, so the input's producer writes
 *  it there and the Concat moves no data for it. An input is placed when no other Concat reads it, this Concat reads
 *  it once, and it is neither the graph input nor a Reshape's input or output (an alias shares its storage with
 *  another buffer). Other layers may read a placed input: they read it where it lies. An emitter can refuse more
 *  placements (`allowed`), for storage the rule cannot see (the Verilog accelerator's banked or interleaved memories). */

/** What the rule reads of a plan (integer or word-length tuned): buffer sizes and shapes and the layers' reads. */
export interface PlacementPlan {
  readonly input: { readonly name: string };
  readonly output: { readonly name: string };
  readonly layers: readonly { readonly node: { readonly op: string; readonly attrs?: object }; readonly inputs: readonly string[]; readonly output: string }[];
  readonly buffers: ReadonlyMap<string, { readonly size: number; readonly shape?: readonly number[] }>;
}

/** Where a placed input lies: inside the Concat output `into`, from element `at`. */
export interface Placement {
  readonly into: string;
  readonly at: number;
}

/** Concat inputs stored inside their Concat's output: buffer -> placement. `allowed(input, concatOutput)` refuses a
 *  placement the rule would make (default: every one allowed). */
export function concatPlacements(plan: PlacementPlan, allowed: (input: string, into: string) => boolean = () => true): Map<string, Placement> {
  const placed = new Map<string, Placement>();
  const concatReaders = new Map<string, number>();
  const aliases = new Set(plan.layers.filter((l) => l.node.op === 'Reshape').flatMap((l) => [l.output, ...l.inputs]));
  for (const l of plan.layers) if (l.node.op === 'Concat') for (const b of l.inputs) concatReaders.set(b, (concatReaders.get(b) ?? 0) + 1);
  for (const l of plan.layers) {
    if (l.node.op !== 'Concat') continue;
    const axis = (l.node.attrs as { axis: number }).axis, shape = plan.buffers.get(l.output)!.shape!;
    if (shape.slice(0, axis).some((d) => d !== 1)) continue;
    let at = 0;
    for (const b of l.inputs) {
      const size = plan.buffers.get(b)!.size;
      if (b !== plan.input.name && !aliases.has(b) && concatReaders.get(b) === 1 && !placed.has(b) && l.inputs.indexOf(b) === l.inputs.lastIndexOf(b) && allowed(b, l.output)) placed.set(b, { into: l.output, at });
      at += size;
    }
  }
  return placed;
}

/** The buffer whose storage holds `b` and the offset of `b` in it, following placements (a Concat output placed
 *  inside a later Concat composes the offsets). */
export function placedRoot(placements: ReadonlyMap<string, Placement>, b: string): { root: string; at: number } {
  const p = placements.get(b);
  if (!p) return { root: b, at: 0 };
  const r = placedRoot(placements, p.into);
  return { root: r.root, at: r.at + p.at };
}
