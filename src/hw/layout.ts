/** Layout steps of the accelerator as address-remapping copies: Transpose (channel shuffle included), Slice, one
 *  output of a Split, Concat (one segment per input), and the broadcast of a QSum input to its output's shape. Each is
 *  a list of segments; a segment walks an index space of at most 4 dimensions in C order, one element per cycle,
 *  reading `rbase + sum i_d * rstride_d` of one input buffer and writing `wbase + sum i_d * wstride_d` of the output.
 *  The HLS and Verilog emitters and the cycle model read these segments, so the three agree on what moves where.
 *  Dimensions of size 1 are dropped and neighbours that are contiguous in both the read and the write are merged
 *  before the 4-dimension limit applies: ShuffleNet's channel shuffle (a 5-D transpose) is a 3-D walk. */
import { userError } from '../errors.js';
import { sizeOf, stridesOf } from '../ir/types.js';
import type { AcceleratorPlan, PlanLayer } from './plan.js';

/** Dimensions a segment walks (the hardware's address counters). */
export const COPY_DIMS = 4;

export interface CopySegment {
  /** Which input of the step the segment reads (node input order, constants excluded). */
  readonly port: number;
  /** Elements copied. */
  readonly count: number;
  /** The walked index space, outermost first, padded to COPY_DIMS with leading 1s. */
  readonly dims: readonly number[];
  readonly rbase: number;
  readonly rstrides: readonly number[];
  readonly wbase: number;
  readonly wstrides: readonly number[];
}

/** A walk before simplification: any rank. */
interface Walk {
  readonly dims: readonly number[];
  readonly rs: readonly number[];
  readonly ws: readonly number[];
}

/** Drops size-1 dimensions, merges neighbours contiguous in both addresses, pads to COPY_DIMS; E_HW beyond it. */
export function simplifyWalk(layer: string, w: Walk): Pick<CopySegment, 'dims' | 'rstrides' | 'wstrides'> {
  const dims: number[] = [], rs: number[] = [], ws: number[] = [];
  w.dims.forEach((d, i) => {
    if (d === 1) return;
    const last = dims.length - 1;
    if (last >= 0 && rs[last] === w.rs[i]! * d && ws[last] === w.ws[i]! * d) {
      dims[last] = dims[last]! * d;
      rs[last] = w.rs[i]!;
      ws[last] = w.ws[i]!;
      return;
    }
    dims.push(d);
    rs.push(w.rs[i]!);
    ws.push(w.ws[i]!);
  });
  if (dims.length > COPY_DIMS) throw userError('E_HW', `layer '${layer}' moves data along ${dims.length} independent dimensions; the copy unit walks at most ${COPY_DIMS} (after merging contiguous ones)`);
  const pad = COPY_DIMS - dims.length;
  return { dims: [...Array<number>(pad).fill(1), ...dims], rstrides: [...Array<number>(pad).fill(0), ...rs], wstrides: [...Array<number>(pad).fill(0), ...ws] };
}

function segment(layer: string, port: number, dims: readonly number[], rbase: number, rs: readonly number[], wbase: number, ws: readonly number[]): CopySegment {
  return { port, count: sizeOf(dims), rbase, wbase, ...simplifyWalk(layer, { dims, rs, ws }) };
}

/** Transpose: the output walked in C order, the input read along the permuted strides. */
export function transposeSegments(layer: string, inShape: readonly number[], perm: readonly number[]): CopySegment[] {
  const is = stridesOf(inShape), out = perm.map((p) => inShape[p]!);
  return [segment(layer, 0, out, 0, perm.map((p) => is[p]!), 0, stridesOf(out))];
}

/** Slice: counts per dimension from starts with steps (steps may be negative). */
export function sliceSegments(layer: string, inShape: readonly number[], starts: readonly number[], steps: readonly number[], counts: readonly number[]): CopySegment[] {
  const is = stridesOf(inShape);
  return [segment(layer, 0, counts, starts.reduce((s, st, d) => s + st * is[d]!, 0), steps.map((st, d) => st * is[d]!), 0, stridesOf(counts))];
}

/** Output `part` of a Split along `axis`. */
export function splitSegments(layer: string, inShape: readonly number[], axis: number, sizes: readonly number[], part: number): CopySegment[] {
  const is = stridesOf(inShape), out = inShape.map((d, i) => (i === axis ? sizes[part]! : d));
  const offset = sizes.slice(0, part).reduce((a, b) => a + b, 0);
  return [segment(layer, 0, out, offset * is[axis]!, is, 0, stridesOf(out))];
}

/** Concat along `axis`: one segment per input, each written into its place in the output. */
export function concatSegments(layer: string, inShapes: readonly (readonly number[])[], outShape: readonly number[], axis: number): CopySegment[] {
  const os = stridesOf(outShape);
  let offset = 0;
  return inShapes.map((shape, port) => {
    const s = segment(layer, port, shape, 0, stridesOf(shape), offset * os[axis]!, os);
    offset += shape[axis]!;
    return s;
  });
}

/** A tensor broadcast to `outShape` (NumPy rules, right-aligned): read stride 0 along broadcast dimensions. */
export function broadcastSegments(layer: string, inShape: readonly number[], outShape: readonly number[], port: number): CopySegment[] {
  const full = [...Array<number>(outShape.length - inShape.length).fill(1), ...inShape];
  const is = stridesOf(full);
  return [segment(layer, port, outShape, 0, full.map((d, i) => (d === 1 && outShape[i] !== 1 ? 0 : is[i]!)), 0, stridesOf(outShape))];
}

/** Address increments of a segment's walk: when dimension d advances (the dimensions inside it wrap to 0), the read
 *  address moves by rstep[d] and the write address by wstep[d]. One adder per address, no multiplier. */
export function walkSteps(s: CopySegment): { rstep: number[]; wstep: number[] } {
  const step = (strides: readonly number[]) => strides.map((st, d) => st - strides.slice(d + 1).reduce((a, x, e) => a + x * (s.dims[d + 1 + e]! - 1), 0));
  return { rstep: step(s.rstrides), wstep: step(s.wstrides) };
}

/** The copy segments of a layout layer of a plan (Transpose, Slice, one output of a Split, Concat). */
export function layerSegments(plan: AcceleratorPlan, layer: PlanLayer): CopySegment[] {
  const n = layer.node, inShape = plan.buffers.get(layer.inputs[0]!)!.shape;
  switch (n.op) {
    case 'Transpose': return transposeSegments(layer.name, inShape, n.attrs.perm);
    case 'Slice': return sliceSegments(layer.name, inShape, n.attrs.starts, n.attrs.steps, n.attrs.counts);
    case 'Split': return splitSegments(layer.name, inShape, n.attrs.axis, n.attrs.sizes, layer.part!);
    case 'Concat': return concatSegments(layer.name, layer.inputs.map((i) => plan.buffers.get(i)!.shape), plan.buffers.get(layer.output)!.shape, n.attrs.axis);
    default: throw new Error(`internal error: '${layer.name}' (${n.op}) is not a layout layer`);
  }
}
