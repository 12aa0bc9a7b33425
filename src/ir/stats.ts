/** Per-layer size figures: parameters, multiply-accumulates, and weight storage in bits. `adequate inspect` prints
 *  them and reports build on them; weight bits follow each constant's storage type, so passes that change formats
 *  keep the totals true. */
import { storedWeightBits } from './bipolar.js';
import { codebookBits, isShareable, sharingOf } from './sharing.js';
import type { Graph, Node, NumFormat, Tensor } from './types.js';
import { sizeOf } from './types.js';

export interface LayerStats {
  readonly name: string;
  readonly op: Node['op'];
  /** Shapes of the node's run-time inputs (constants excluded). */
  readonly inputShapes: readonly (readonly number[])[];
  readonly outputShape: readonly number[];
  /** Elements of the constant tensors the node reads as parameters (weights, biases, per-channel affine). */
  readonly params: number;
  readonly macs: number;
  readonly weightBits: number;
}

export interface GraphTotals {
  readonly layers: number;
  readonly params: number;
  readonly macs: number;
  readonly weight_bits: number;
}

const BITS: Record<Tensor['dtype'], number> = { float32: 32, int64: 64, int32: 32, int8: 8, uint8: 8, bool: 1 };

/** Multiply-accumulates of one node: every output element of Conv/Gemm/MatMul costs one per reduction term. */
export function macsOf(node: Node, graph: Graph): number {
  const out = graph.values.get(node.outputs[0]!)!.shape;
  const inShape = (i: number) => graph.values.get(node.inputs[i]!)?.shape ?? [];
  switch (node.op) {
    case 'Conv':
    case 'QConv': {
      const w = inShape(1);
      return sizeOf(out) * sizeOf(w.slice(1));
    }
    case 'QGemm':
      return sizeOf(out) * inShape(1)[1]!;
    case 'Gemm': {
      const a = inShape(0);
      return sizeOf(out) * (node.attrs.transA ? a[0]! : a[1]!);
    }
    case 'MatMul': {
      const a = inShape(0);
      return sizeOf(out) * a[a.length - 1]!;
    }
    default:
      return 0;
  }
}

/** Whether a constant input is a parameter (not shape or index arithmetic, which is int64). */
function isParam(t: Tensor): boolean {
  return t.dtype !== 'int64';
}

export function layerStats(graph: Graph): LayerStats[] {
  const networkCodebooks = new Set<string>();
  return graph.nodes.map((n) => {
    const consts = n.inputs.map((i) => graph.constants.get(i)).filter((t): t is Tensor => t !== undefined && isParam(t));
    // Quantized layers store weight codes of wBits bits (in uint8/int8 arrays); everything else by its dtype. Shared
    // layers store an index per weight plus their codebooks; a network-wide codebook is counted once, on its first layer.
    const sharing = sharingOf(n);
    const isWeights = (t: Tensor) => t === graph.constants.get(n.inputs[1]!);
    // Word-length-tuned layers store their weights and bias in their formats' bits.
    const formats = (n.op === 'Conv' || n.op === 'Gemm') && n.attrs.formats;
    const bitsOf = (t: Tensor) =>
      sharing && isWeights(t) ? sharing.indexBits
      : (n.op === 'QConv' || n.op === 'QGemm') && isWeights(t) ? storedWeightBits(n, t)
      // A QONNX weight quantizer stores its constant at the quantizer's width (bipolar: 1 bit).
      : (n.op === 'Quant' || n.op === 'BipolarQuant') && t === graph.constants.get(n.inputs[0]!) ? (n.op === 'Quant' ? n.attrs.bits : 1)
      : formats ? formatBits(isWeights(t) ? formats.weight : formats.bias)
      : BITS[t.dtype];
    let tableBits = 0;
    if (sharing && isShareable(n)) {
      const key = sharing.granularity === 'network' ? JSON.stringify(sharing.codebooks) : undefined;
      if (key === undefined || !networkCodebooks.has(key)) tableBits = codebookBits(n);
      if (key !== undefined) networkCodebooks.add(key);
    }
    return {
      name: n.name,
      op: n.op,
      inputShapes: n.inputs.filter((i) => !graph.constants.has(i)).map((i) => graph.values.get(i)!.shape),
      outputShape: graph.values.get(n.outputs[0]!)!.shape,
      params: consts.reduce((s, t) => s + t.data.length, 0),
      macs: macsOf(n, graph),
      weightBits: tableBits + consts.reduce((s, t) => s + t.data.length * bitsOf(t), 0),
    };
  });
}

export function totalsOf(rows: readonly LayerStats[]): GraphTotals {
  return {
    layers: rows.length,
    params: rows.reduce((s, r) => s + r.params, 0),
    macs: rows.reduce((s, r) => s + r.macs, 0),
    weight_bits: rows.reduce((s, r) => s + r.weightBits, 0),
  };
}

/** 'integer' when the graph holds quantized layers (the golden model then runs integer arithmetic inside them). */
export function arithmeticOf(graph: Graph): 'float32' | 'integer' | 'fixed-point' | 'custom-float' {
  if (graph.nodes.some((n) => n.op === 'QConv' || n.op === 'QGemm' || n.op === 'QSum' || n.op === 'QTable')) return 'integer';
  const tuned = graph.nodes.find((n) => (n.op === 'Conv' || n.op === 'Gemm') && n.attrs.formats);
  if (tuned && (tuned.op === 'Conv' || tuned.op === 'Gemm')) return tuned.attrs.formats!.accumulator.kind === 'fixed' ? 'fixed-point' : 'custom-float';
  return 'float32';
}

/** Bits of one stored element of a number format (ir/arithmetic.md sections 4-5): W, or 1 + E + M. */
export function formatBits(f: NumFormat): number {
  return f.kind === 'fixed' ? f.width : 1 + f.expBits + f.mantBits;
}
