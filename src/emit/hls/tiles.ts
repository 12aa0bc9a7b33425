/** The compute tiles of the HLS accelerator: per tile, its multiplier (exact `*`, a 65,536-entry ROM, or the
 *  gate-level netlist as C++ bit operations), its weight memory in lane order, and the per-channel constants of its
 *  layers. Every number the templates print about a tile is computed here.
 *  Weight memory: a tile of P lanes x S SIMD lanes (src/hw/fold.ts) has P x S ROMs; ROM (l, s) holds, for output
 *  channel b*P + l of each block b of P channels, the taps [s*Kc, (s+1)*Kc) of its K (Kc = ceil(K/S), zeros past K),
 *  one row of Kc codes per block, so the P x S codes of a cycle are one read of each of P x S partitioned ROMs.
 *  Shared layers store indices; their codebooks sit in a codebook ROM per (lane, SIMD lane) (copies, for the same
 *  parallel reads). A tile
 *  that runs shared and unshared layers stores the unshared ones as indices into the codebook of their distinct
 *  weights, so the tile has one datapath. */
import { chunkOf, type TileFold } from '../../hw/fold.js';
import { userError } from '../../errors.js';
import type { AcceleratorPlan, PlanLayer } from '../../hw/plan.js';
import { windowOf, type WindowGeometry } from '../../hw/schedule.js';
import { signedBits } from '../../ir/arith.js';
import { isBipolar } from '../../ir/bipolar.js';
import { indexBitsFor, sharedWeightIndices } from '../../ir/sharing.js';
import type { QConvNode, QGemmNode } from '../../ir/types.js';
import { getMultiplier, type Multiplier } from '../../multipliers/index.js';
import { FIRST_GATE_NET, NET_A, NET_B, type GateNetlist } from '../../multipliers/netlist.js';
import type { MultiplierImpl } from '../build-dir.js';
import { multiplierKind } from '../multiplier-impl.js';

type MacNode = QConvNode | QGemmNode;

/** What a layer's call of its tile function passes (templates/hls/adequate_top.cpp.hbs, struct adq_mac_layer): its
 *  window (a dense layer is a 1x1 window over K channels), where its rows and constants start in the tile's memories,
 *  zero points, bounds and rounding. */
export interface MacCallView extends WindowGeometry {
  readonly inOff: number;
  readonly outOff: number;
  readonly cPerGroup: number;
  readonly groups: number;
  readonly mPerGroup: number;
  readonly blocks: number;
  readonly k: number;
  /** First row (of Kc codes per block) of the layer in the tile's lane ROMs, first entry in the per-channel arrays. */
  readonly wRow: number;
  readonly ch: number;
}

export interface MacLayerView extends MacCallView {
  /** A depthwise layer (one input and one output channel per group) runs L groups per block, each lane reading its
   *  own channel; `blocks` then counts blocks of L groups. */
  readonly overGroups: boolean;
  /** Codebook rows (shared tiles): first row, stride per block, stride per input channel. */
  readonly cbRow: number;
  readonly cbBlock: number;
  readonly cbChannel: number;
  readonly za: number;
  readonly zo: number;
  readonly lo: number;
  readonly hi: number;
  readonly halfEven: boolean;
}

export interface GateView {
  readonly net: string;
  readonly op: string;
  readonly args: string;
}

/** Loop bounds of a tile function over the layers that call it (its loops are sized for the largest). */
export interface TileLoopBounds {
  readonly maxK: number;
  readonly minK: number;
  readonly maxPositions: number;
  readonly maxBlocks: number;
  readonly maxGroups: number;
}

/** Collects the loop bounds of a tile's layers, one `add` per layer. */
export function loopBounds() {
  const ks: number[] = [], positions: number[] = [], blockCounts: number[] = [], groupCounts: number[] = [];
  return {
    add(K: number, positionCount: number, blocks: number, groups: number): void {
      ks.push(K);
      positions.push(positionCount);
      blockCounts.push(blocks);
      groupCounts.push(groups);
    },
    bounds: (): TileLoopBounds => ({ maxK: Math.max(...ks), minK: Math.min(...ks), maxPositions: Math.max(...positions), maxBlocks: Math.max(...blockCounts), maxGroups: Math.max(...groupCounts) }),
  };
}

export interface TileView extends TileLoopBounds {
  readonly index: number;
  /** P: output channels at once (the plan's per-tile P, src/hw/fold.ts). */
  readonly lanes: number;
  /** Taps per cycle of the reduction (S of P x S, fold.ts), the tile's multipliers and its chunk-loop bounds. */
  readonly simd: number;
  readonly multipliers: number;
  readonly minKc: number;
  readonly maxKc: number;
  readonly kind: 'exact' | 'table' | 'netlist';
  readonly description: string;
  readonly signed: boolean;
  /** Bits of the activation and weight codes the multiplier takes, and of its products. */
  readonly actBits: number;
  readonly actSigned: boolean;
  readonly wBits: number;
  readonly wSigned: boolean;
  readonly prodBits: number;
  readonly layers: readonly number[];
  readonly layerNames: string;
  /** Some layer runs lanes over groups (tile_T_depthwise). */
  readonly depthwise: boolean;
  /** Lane ROMs: per lane, per SIMD lane, `depth` weight codes (or codebook indices when shared). */
  readonly depth: number;
  readonly laneWeights: readonly (readonly ArrayLike<number>[])[];
  readonly shared: boolean;
  /** Every layer's weights are -1/+1 (src/ir/bipolar.ts): the lane ROMs hold one bit per weight, 1 for -1. */
  readonly bipolar: boolean;
  readonly indexBits: number;
  readonly cbDepth: number;
  /** Per lane, per SIMD lane (copies: each SIMD lane reads its own), the codebooks of the lane's channels. */
  readonly laneCodebooks: readonly (readonly (readonly number[])[])[];
  /** Per output channel of every layer (concatenated): the constant of the accumulator, the weight zero point,
   *  the requantization mantissa and shift. */
  readonly constants: readonly number[];
  readonly wZero: readonly number[];
  readonly mantissa: readonly number[];
  readonly shift: readonly number[];
  readonly channels: number;
  /** Table multiplier: the 65,536 products; netlist multiplier: gates, input bits used, output nets. */
  readonly table: readonly number[];
  readonly inputBits: readonly string[];
  readonly gates: readonly GateView[];
  readonly outputs: readonly string[];
}

/** The window of a conv layer (`conv`: its attributes), or of a dense layer (a 1x1 window over K channels), with
 *  its groups and outputs. The tiles of integer and of word-length-tuned layers walk it alike. */
export function macWindow(name: string, inShape: readonly number[], outShape: readonly number[], conv?: Parameters<typeof windowOf>[3] & { readonly group: number }): WindowGeometry & { groups: number; m: number } {
  if (!conv) return { c: inShape[1]!, h: 1, w: 1, oh: 1, ow: 1, kh: 1, kw: 1, sh: 1, sw: 1, dh: 1, dw: 1, ph: 0, pw: 0, phe: 0, pwe: 0, groups: 1, m: outShape[1]! };
  return { ...windowOf(name, inShape, outShape, conv), groups: conv.group, m: outShape[1]! };
}

function macGeometry(plan: AcceleratorPlan, layer: PlanLayer): WindowGeometry & { groups: number; m: number } {
  const node = layer.node as MacNode;
  return macWindow(layer.name, plan.buffers.get(layer.inputs[0]!)!.shape, plan.buffers.get(layer.output)!.shape, node.op === 'QConv' ? node.attrs : undefined);
}

/** A tile's SIMD lanes and the trip counts of its chunk loop (Kc = ceil(K / S) over its layers' K). */
function chunkBounds(ks: readonly number[], simd: number, lanes: number): { simd: number; multipliers: number; minKc: number; maxKc: number } {
  const kcs = ks.map((k) => chunkOf(k, simd));
  return { simd, multipliers: lanes * simd, minKc: Math.min(...kcs), maxKc: Math.max(...kcs) };
}

/** Builds every tile's view and every MAC layer's call arguments (by layer index). */
export function tileViews(plan: AcceleratorPlan, foldOf: (tile: number) => TileFold, offsets: ReadonlyMap<string, number>, impl: MultiplierImpl, library: string | undefined): { tiles: TileView[]; calls: Map<number, MacLayerView> } {
  const calls = new Map<number, MacLayerView>();
  const tiles = plan.tiles.map((t): TileView => {
    const { pe: lanes, simd } = foldOf(t.index);
    const mult = t.multiplier !== undefined ? getMultiplier(t.multiplier, library) : undefined;
    const kind = multiplierKind(mult, impl, t.index);
    const layers = t.layers.map((i) => plan.layers[i]!);
    const shared = layers.some((l) => (l.node as MacNode).attrs.sharing !== undefined);
    const codes = layers.map((l) => codebookOf(l, shared));
    const indexBits = Math.max(1, ...codes.map((c) => c.indexBits));
    const cbSize = 2 ** indexBits;
    // Rows per lane of each layer first, so the lane ROMs are typed arrays of their final length (a VGG-19's are
    // 36 M codes each: number[] pushes took seconds and 8 bytes a code).
    const shapes = layers.map((layer) => {
      const g = macGeometry(plan, layer);
      const cPerGroup = g.c / g.groups, mPerGroup = g.m / g.groups, K = cPerGroup * g.kh * g.kw;
      const overGroups = g.groups > 1 && cPerGroup === 1 && mPerGroup === 1 && !shared;
      const blocks = overGroups ? Math.ceil(g.m / lanes) : Math.ceil(mPerGroup / lanes);
      const kc = chunkOf(K, simd);
      return { g, cPerGroup, mPerGroup, K, kc, overGroups, blocks, rows: (overGroups ? blocks : g.groups * blocks) * kc };
    });
    const depth = shapes.reduce((n, x) => n + x.rows, 0);
    const Rom = laneRomType(layers, shared);
    const laneWeights = Array.from({ length: lanes }, () => Array.from({ length: simd }, () => new Rom(depth)));
    let filled = 0;
    const laneCodebooks: number[][] = Array.from({ length: lanes }, () => []);
    const constants: number[] = [], wZero: number[] = [], mantissa: number[] = [], shift: number[] = [];
    let actRange: [number, number] = [0, 0], wRange: [number, number] = [0, 0];
    const bounds = loopBounds();
    layers.forEach((layer, li) => {
      const node = layer.node as MacNode, a = node.attrs;
      const { g, cPerGroup, mPerGroup, K, kc, overGroups, blocks } = shapes[li]!;
      const inBuf = plan.buffers.get(layer.inputs[0]!)!;
      const w = layer.weights!, bias = layer.bias?.data;
      if (mult && (inBuf.dtype === 'int32' || w.dtype === 'int32')) throw userError('E_HW', `layer '${layer.name}' has codes wider than 8 bits on tile ${t.index}, whose multiplier ${mult.id} is 8x8`);
      actRange = [Math.min(actRange[0], inBuf.min), Math.max(actRange[1], inBuf.max)];
      let [wLo, wHi] = wRange;
      for (const v of w.data) if (v < wLo) wLo = v; else if (v > wHi) wHi = v;
      wRange = [wLo, wHi];
      const wRow = filled, ch = constants.length, cbRow = laneCodebooks[0]!.length;
      const cb = codes[li]!;
      const kernels = cb.granularity === 'kernel' ? cPerGroup : 1;
      const perBlock = cb.granularity === 'channel' || cb.granularity === 'kernel';
      // The K weights (or codebook indices) of channel m into a lane's S ROMs at the current row, tap k in ROM
      // k div Kc at k mod Kc; -1: an idle lane's zeros (the typed array's initial value), as are taps past K.
      const putRow = (lane: InstanceType<typeof Rom>[], m: number) => {
        if (m < 0) return;
        for (let s = 0; s * kc < K; s++) {
          const k0 = s * kc, k1 = Math.min(K, k0 + kc);
          if (shared) for (let k = k0; k < k1; k++) lane[s]![filled + k - k0] = cb.index(m * K + k);
          else lane[s]!.set(w.data.subarray(m * K + k0, m * K + k1), filled);
        }
      };
      if (overGroups)
        for (let b = 0; b < blocks; b++, filled += kc)
          for (let l = 0; l < lanes; l++) putRow(laneWeights[l]!, b * lanes + l < g.m ? b * lanes + l : -1);
      else for (let grp = 0; grp < g.groups; grp++)
        for (let b = 0; b < blocks; b++, filled += kc) {
          for (let l = 0; l < lanes; l++) {
            const mi = b * lanes + l, m = grp * mPerGroup + mi, live = mi < mPerGroup;
            putRow(laneWeights[l]!, live ? m : -1);
            if (perBlock) for (let c = 0; c < kernels; c++) laneCodebooks[l]!.push(...padTo(live ? cb.codebookOf(m * K + c * g.kh * g.kw) : [], cbSize));
          }
        }
      if (shared && !perBlock) for (let l = 0; l < lanes; l++) laneCodebooks[l]!.push(...padTo(cb.codebookOf(0), cbSize));
      for (let m = 0; m < g.m; m++) {
        const zw = a.wZeroPoint.length === 1 ? a.wZeroPoint[0]! : a.wZeroPoint[m]!;
        let sumW = 0;
        for (let k = 0; k < K; k++) sumW += w.data[m * K + k]!;
        // acc = sum P(a, w) + (bias - za*sum w + K*za*zw) - zw*sum a: the constant part, modulo 2^32 (ir/arithmetic.md 2).
        constants.push(wrap32((bias ? bias[m]! : 0) - a.aZeroPoint * sumW + K * a.aZeroPoint * zw));
        wZero.push(zw);
        mantissa.push(a.mantissa[m]!);
        shift.push(a.shift[m]!);
      }
      bounds.add(K, g.oh * g.ow, blocks, overGroups ? 1 : g.groups);
      const { groups: _g, m: _m, ...window } = g;
      calls.set(layer.index, {
        ...window, inOff: offsets.get(layer.inputs[0]!)!, outOff: offsets.get(layer.output)!, cPerGroup, groups: g.groups, mPerGroup, blocks, k: K,
        wRow, ch, overGroups, cbRow, cbBlock: perBlock ? kernels * cbSize : 0, cbChannel: cb.granularity === 'kernel' ? cbSize : 0,
        za: a.aZeroPoint, zo: a.outZeroPoint, lo: a.lo, hi: a.hi, halfEven: a.rounding === 'half-even',
      });
    });
    // Bipolar weights are stored in one bit, as in the Verilog ROMs (idle lanes' zeros stay 0, read as +1, never used).
    const bipolar = !shared && !mult && layers.every((l) => isBipolar(l.node as MacNode, l.weights!));
    if (bipolar) for (const rom of laneWeights.flat()) for (let i = 0; i < rom.length; i++) rom[i] = rom[i]! < 0 ? 1 : 0;
    const table = kind === 'table' ? Array.from(mult!.table) : [];
    // Products: a table or netlist gives 16 bits (sign-extended when signed); exact products span the code ranges.
    const exactRange = [actRange[0] * wRange[1], actRange[1] * wRange[0], actRange[0] * wRange[0], actRange[1] * wRange[1]];
    const prodBits = mult ? (mult.signed ? 16 : 17) : signedBits(Math.min(...exactRange), Math.max(...exactRange));
    const net = kind === 'netlist' ? netlistView(mult!.netlist!) : { inputBits: [], gates: [], outputs: [] };
    return {
      index: t.index, lanes, kind, signed: t.signed,
      description: mult ? `${mult.id} (${kind === 'table' ? '65,536-entry ROM' : `gate-level netlist, ${mult.netlist!.gates.length} gates`}): ${mult.source.description}` : 'exact multiplication',
      actBits: typeBits(actRange), actSigned: actRange[0] < 0, wBits: typeBits(wRange), wSigned: wRange[0] < 0, prodBits,
      layers: t.layers, layerNames: layers.map((l) => l.name).join(', '), depthwise: layers.some((l) => calls.get(l.index)!.overGroups),
      depth, laneWeights, shared, bipolar, indexBits, cbDepth: laneCodebooks[0]!.length, laneCodebooks: laneCodebooks.map((c) => Array.from({ length: simd }, () => c)),
      constants, wZero, mantissa, shift, channels: constants.length,
      ...bounds.bounds(),
      ...chunkBounds(shapes.map((x) => x.K), simd, lanes),
      table, ...net,
    };
  });
  return { tiles, calls };
}

/** The typed array of a tile's lane ROMs: the weight tensors' own (int8 or uint8 codes), int16 when a tile mixes
 *  them, int32 for codebook indices and wider codes. */
function laneRomType(layers: readonly PlanLayer[], shared: boolean): Int8ArrayConstructor | Uint8ArrayConstructor | Int16ArrayConstructor | Int32ArrayConstructor {
  if (shared) return Int32Array;
  const kinds = new Set(layers.map((l) => l.weights!.data.constructor));
  if (kinds.size === 1 && kinds.has(Int8Array)) return Int8Array;
  if (kinds.size === 1 && kinds.has(Uint8Array)) return Uint8Array;
  if ([...kinds].every((k) => k === Int8Array || k === Uint8Array)) return Int16Array;
  return Int32Array;
}

/** Bits of the narrowest integer type (unsigned when the range is non-negative) holding [lo, hi]. */
export function typeBits([lo, hi]: readonly [number, number]): number {
  return Math.max(1, signedBits(lo, hi) - (lo >= 0 ? 1 : 0));
}

function wrap32(x: number): number {
  return Number(BigInt.asIntN(32, BigInt(x)));
}

function padTo(values: readonly number[], n: number): number[] {
  return [...values, ...Array<number>(n - values.length).fill(0)];
}

/** A layer's weights as codebook indices: its sharing, or (an unshared layer on a shared tile) the codebook of its
 *  distinct weights. Unshared layers on unshared tiles store the codes themselves. */
function codebookOf(layer: PlanLayer, tileShared: boolean) {
  const node = layer.node as MacNode, w = layer.weights!;
  if (node.attrs.sharing) {
    const s = sharedWeightIndices(node, w);
    return { granularity: s.granularity, indexBits: s.indexBits, index: (i: number) => s.indices[i]!, codebookOf: (i: number) => s.codebooks[s.groupOf(i)]! };
  }
  if (!tileShared) return { granularity: 'layer' as const, indexBits: 1, index: (i: number) => w.data[i]!, codebookOf: () => [] };
  const values = [...new Set(w.data)].sort((x, y) => x - y);
  const at = new Map(values.map((v, k) => [v, k]));
  return { granularity: 'layer' as const, indexBits: indexBitsFor(values.length), index: (i: number) => at.get(w.data[i]!)!, codebookOf: () => values };
}

/** The netlist as C++ bit operations: one bool per gate (adq_gate_* in adequate_multipliers.h), named by net. */
function netlistView(n: GateNetlist): Pick<TileView, 'inputBits' | 'gates' | 'outputs'> {
  const name = (x: number): string => (x === 0 ? 'false' : x === 1 ? 'true' : x < NET_B ? `a${x - NET_A}` : x < FIRST_GATE_NET ? `b${x - NET_B}` : `n${x}`);
  const used = new Set<number>(n.outputs);
  for (const g of n.gates) for (const x of g.in) used.add(x);
  const inputBits: string[] = [];
  for (let x = NET_A; x < FIRST_GATE_NET; x++) if (used.has(x)) inputBits.push(x < NET_B ? `a${x - NET_A} = (A >> ${x - NET_A}) & 1` : `b${x - NET_B} = (B >> ${x - NET_B}) & 1`);
  return {
    inputBits,
    gates: n.gates.map((g, i) => ({ net: name(FIRST_GATE_NET + i), op: g.op.toLowerCase(), args: g.in.map(name).join(', ') })),
    outputs: n.outputs.map(name),
  };
}
