/** ROM contents of the Verilog build as $readmemh text: lane-packed weights, per-channel constants, multiplier and
 *  activation tables. Each function returns the file's text, one word per line. */
import type { MacNode } from '../../hw/plan.js';
import { sharedWeightIndices } from '../../ir/sharing.js';
import { codebookRowCount, codebookRows } from './view.js';
import { groupsOf, laneChannel, type Step } from '../../hw/schedule.js';
import { chunkOf } from '../../hw/fold.js';
import type { QTableNode, QThresholdNode } from '../../ir/types.js';
import { hexWord } from './render.js';

const lines = (words: Iterable<string>): string => [...words].join('\n') + '\n';

/** The weight tap SIMD lane s reads at chunk tap t of a step (-1: a lane past the step's own S, or a masked tap past
 *  K): chunked taps (src/hw/fold.ts), chunk s = taps [s*Kc, (s+1)*Kc). The step's own S: a depthwise step on banked
 *  memory walks one chunk on a tile of S > 1. */
function chunkTap(step: Step, s: number, t: number): number {
  const simd = step.simd ?? 1, kc = chunkOf(step.k, simd), k = s * kc + t;
  return s < simd && t < kc && k < step.k ? k : -1;
}

/** The weight (channel m, tap k) that lane j, SIMD lane s reads at chunk tap t of item g; undefined for an idle lane
 *  or a masked tap. */
function romTap(step: Step, lanes: number, g: number, j: number, s: number, t: number): { m: number; k: number } | undefined {
  const k = chunkTap(step, s, t), m = laneChannel(step, lanes, g, j);
  return m >= 0 && k >= 0 ? { m, k } : undefined;
}

/** Weight ROM of a tile step with L lanes x S SIMD lanes: word g*Kc + t (Kc = ceil(K/S)) holds the weight codes of
 *  item g's channels (schedule.ts laneChannel: channels g*L .. g*L+L-1 for group-1 layers) at tap s*Kc + t, lane j,
 *  SIMD lane s in bits [(j*S + s)*wb, +wb); idle lanes and taps past K hold 0. Taps are in weight order (c, ky, kx)
 *  within the group, the order the walker visits them. S = 1: word g*K + k, lane j at bits [j*wb, +wb). */
export function weightRom(step: Step, lanes: number, wb: number, bipolar = false, simd = 1): string {
  return Buffer.concat([...weightRomPieces(step, lanes, wb, bipolar, simd)]).toString('latin1');
}

/** Words of weightRom per piece: a VGG-19's largest ROM is 25 M words, more text than one string should hold. */
const ROM_PIECE_WORDS = 1 << 18;
const HEX_DIGITS = Buffer.from('0123456789abcdef', 'latin1');

/** weightRom's text in pieces of whole lines (ASCII bytes), each computed when it is asked for. */
export function* weightRomPieces(step: Step, lanes: number, wb: number, bipolar = false, simd = 1): Generator<Uint8Array> {
  const w = step.layer.weights!.data, K = step.k, G = groupsOf(step);
  const kc = chunkOf(K, step.simd ?? 1);
  // Lane channels of each item and the slots' taps of each chunk row once (laneChannel per word cost more than the word).
  const channels = new Int32Array(lanes), taps = new Int32Array(simd);
  const slots = lanes * simd, bits = slots * wb, digits = Math.ceil(bits / 4);
  // Words of up to 48 bits are exact in doubles: no BigInt per weight, hex digits written straight into bytes.
  const small = bits <= 48, mask = 2 ** wb;
  const nibbles = !bipolar && wb % 4 === 0 && wb <= 28 ? wb / 4 : 0, laneMask = mask - 1;
  const total = G * kc;
  if (total === 0) {
    // An empty ROM is one empty line, as lines() writes it.
    yield Buffer.from('\n', 'latin1');
    return;
  }
  // The code of slot (j, s) in this row; callers test liveness first (an idle lane or a tap past K holds 0).
  const live = (j: number, s: number): boolean => channels[j]! >= 0 && taps[s]! >= 0;
  const code = (j: number, s: number): number => w[channels[j]! * K + taps[s]!]!;
  let piece = Buffer.allocUnsafe(Math.min(total, ROM_PIECE_WORDS) * (digits + 1)), pos = 0, words = 0;
  for (let g = 0; g < G; g++) {
    for (let j = 0; j < lanes; j++) channels[j] = laneChannel(step, lanes, g, j);
    for (let t = 0; t < kc; t++) {
      for (let s = 0; s < simd; s++) taps[s] = chunkTap(step, s, t);
      if (nibbles > 0) {
        // Slots of whole hex digits (8-bit codes: two digits a slot): each slot's digits, highest slot first.
        for (let q = slots - 1; q >= 0; q--) {
          const j = Math.floor(q / simd), s = q % simd;
          let v = live(j, s) ? code(j, s) & laneMask : 0;
          for (let at = pos + nibbles - 1; at >= pos; at--, v >>>= 4) piece[at] = HEX_DIGITS[v & 15]!;
          pos += nibbles;
        }
      } else if (small) {
        let word = 0;
        for (let q = slots - 1; q >= 0; q--) {
          const j = Math.floor(q / simd), s = q % simd;
          // Bipolar weights: one bit, 1 for -1 and 0 for +1; else the code's wb-bit two's complement.
          const c = live(j, s) ? code(j, s) : 0;
          const v = bipolar ? (live(j, s) && c < 0 ? 1 : 0) : ((c % mask) + mask) % mask;
          word = word * mask + v;
        }
        for (let at = pos + digits - 1; at >= pos; at--) {
          const r = word % 16;
          piece[at] = HEX_DIGITS[r]!;
          word = (word - r) / 16;
        }
        pos += digits;
      } else {
        let word = 0n;
        for (let q = 0; q < slots; q++) {
          const j = Math.floor(q / simd), s = q % simd;
          if (!live(j, s)) continue;
          const c = code(j, s);
          word |= (bipolar ? (c < 0 ? 1n : 0n) : BigInt.asUintN(wb, BigInt(c))) << BigInt(q * wb);
        }
        pos += piece.write(hexWord(word, bits), pos, 'latin1');
      }
      piece[pos++] = 10;
      if (++words === ROM_PIECE_WORDS) {
        yield piece.subarray(0, pos);
        piece = Buffer.allocUnsafe(ROM_PIECE_WORDS * (digits + 1));
        pos = 0;
        words = 0;
      }
    }
  }
  if (pos > 0) yield piece.subarray(0, pos);
}

/** A shared layer's ROMs: the index ROM (lane-packed like weightRom, `indexBits` per lane) and one codebook table
 *  per lane, word (row << indexBits) + index = the weight code of codebook(row, lane)[index]. The row is the lane's
 *  channel group, or (kernel granularity on a convolution) group * C + input channel; codebook ids follow
 *  src/ir/sharing.ts, and every weight is checked to decode to itself. */
export function sharedRoms(step: Step, lanes: number, wb: number, simd = 1): { indexRom: string; laneTables: string[] } {
  const node = step.layer.node as MacNode;
  const w = step.layer.weights!;
  const sh = sharedWeightIndices(node, w);
  const K = step.k, M = step.channels, G = groupsOf(step), ib = sh.indexBits;
  const mode = codebookRows(step)!;
  const C = step.geometry!.c, taps = K / C;
  const codebookOf = (m: number, k: number): number => sh.groupOf(m * K + k);
  const words: string[] = [];
  const kc = chunkOf(K, step.simd ?? 1);
  for (let g = 0; g < G; g++)
    for (let t = 0; t < kc; t++) {
      let word = 0n;
      for (let j = 0; j < lanes; j++)
        for (let s = 0; s < simd; s++) {
          const at = romTap(step, lanes, g, j, s, t);
          if (at) word |= BigInt(sh.indices[at.m * K + at.k]!) << BigInt((j * simd + s) * ib);
        }
      words.push(hexWord(word, lanes * simd * ib));
    }
  const rows = codebookRowCount(step);
  const rowBits = mode === 'single' ? 0 : Math.max(1, Math.ceil(Math.log2(rows)));
  const depth = 2 ** (rowBits + ib);
  const laneTables = Array.from({ length: lanes }, (_, j) => {
    const table = new Array<bigint>(depth).fill(0n);
    for (let r = 0; r < rows; r++) {
      const g = mode === 'kernel' ? Math.floor(r / C) : mode === 'group' ? r : 0;
      const m = g * lanes + j;
      if (mode !== 'single' && m >= M) continue;
      const cb = sh.codebooks[mode === 'single' ? codebookOf(0, 0) : codebookOf(m, mode === 'kernel' ? (r % C) * taps : 0)]!;
      cb.forEach((v, idx) => (table[(r << ib) + idx] = BigInt(v)));
    }
    return lines(table.map((v) => hexWord(v, wb)));
  });
  // The hardware's decoding must give back every weight.
  for (let m = 0; m < M; m++)
    for (let k = 0; k < K; k++) {
      const g = Math.floor(m / lanes), j = m % lanes;
      const r = mode === 'single' ? 0 : mode === 'group' ? g : g * C + Math.floor(k / taps);
      const decoded = BigInt('0x' + laneTables[j]!.split('\n')[(r << ib) + sh.indices[m * K + k]!]!);
      const want = w.data[m * K + k]!;
      if (decoded !== BigInt.asUintN(wb, BigInt(want))) throw new Error(`internal error: shared weight ${m},${k} of '${step.layer.name}' decodes to ${decoded}, not ${want}`);
    }
  return { indexRom: lines(words), laneTables };
}

/** Channel ROM of a tile step, word m = {t[6:0], mantissa[30:0], zw[ws-1:0], c[31:0]}:
 *  c = bias - za * sum_k w[m,k] + K * za * zw (the correction terms that do not depend on the input, modulo 2^32),
 *  zw the weight zero point (for the zw * sum a term), and the requantization's mantissa and total shift
 *  t = 31 + shift, clamped to 64 (|acc * m| < 2^62, so a larger shift also rounds to 0). */
export function channelRom(step: Step, ws: number, lanes = 1): string {
  const words = channelWords(step, ws);
  if (!step.wide) return lines(words.map((w) => hexWord(w, 70 + ws)));
  // A wide step (schedule.ts Step.wide): word g holds the constants of item g's lanes, lane j (channel laneChannel)
  // at bits [j*CW, +CW); idle lanes hold 0.
  const cw = 70 + ws;
  return lines(Array.from({ length: groupsOf(step) }, (_, g) => {
    let word = 0n;
    for (let j = lanes - 1; j >= 0; j--) {
      const m = laneChannel(step, lanes, g, j);
      word = (word << BigInt(cw)) | (m >= 0 ? words[m]! : 0n);
    }
    return hexWord(word, lanes * cw);
  }));
}

/** The channel ROM word of each output channel: {t[6:0], mantissa[30:0], zw[ws-1:0], c[31:0]}. */
function channelWords(step: Step, ws: number): bigint[] {
  const a = (step.layer.node as MacNode).attrs;
  const w = step.layer.weights!.data, bias = step.layer.bias?.data, K = step.k;
  const za = BigInt(a.aZeroPoint);
  const out: bigint[] = [];
  for (let m = 0; m < step.channels; m++) {
    // Codes of at most 32 bits: with K <= 2^22 taps every partial sum stays below 2^53, exact in a double (one
    // BigInt per channel); longer rows sum as BigInts.
    let sumW = 0n;
    if (K <= 2 ** 22) {
      let sumNumber = 0;
      for (let k = 0; k < K; k++) sumNumber += w[m * K + k]!;
      sumW = BigInt(sumNumber);
    } else for (let k = 0; k < K; k++) sumW += BigInt(w[m * K + k]!);
    const zw = BigInt(a.wZeroPoint.length === 1 ? a.wZeroPoint[0]! : a.wZeroPoint[m]!);
    const c = BigInt(bias ? bias[m]! : 0) - za * sumW + BigInt(K) * za * zw;
    const t = BigInt(Math.min(64, 31 + a.shift[m]!));
    const mant = BigInt(a.mantissa[m]!);
    const word = (t << BigInt(63 + ws)) | (mant << BigInt(32 + ws)) | (BigInt.asUintN(ws, zw) << 32n) | BigInt.asUintN(32, c);
    out.push(word);
  }
  return out;
}

/** A multiplier's 65,536 products as 16-bit words, address {a[7:0], w[7:0]}. */
export function multiplierRom(table: Int32Array): string {
  return lines(Array.from(table, (p) => hexWord(BigInt(p), 16)));
}

/** A QThreshold layer's threshold ROM: per channel c one word {direction[c] is -1, T[c][L-1], ..., T[c][0]} of
 *  L*tw + 1 bits, thresholds as tw-bit two's complement. */
export function thresholdRom(step: Step, tw: number): string {
  const node = step.layer.node as QThresholdNode;
  const { values: t, chans } = step.layer.thresholds!;
  const L = t.shape[1]!;
  const words = Array.from({ length: chans }, (_, c) => {
    const row = t.shape[0] === 1 ? 0 : c;
    const d = node.attrs.direction[node.attrs.direction.length === 1 ? 0 : c]!;
    let word = d === -1 ? 1n << BigInt(L * tw) : 0n;
    for (let j = 0; j < L; j++) word |= BigInt.asUintN(tw, BigInt(t.data[row * L + j]!)) << BigInt(j * tw);
    return hexWord(word, L * tw + 1);
  });
  return lines(words);
}

/** A QTable layer's output codes, address x - inMin, `dw`-bit two's complement words. */
export function activationTableRom(node: QTableNode, dw: number): string {
  return lines(node.attrs.table.map((v) => hexWord(BigInt(v), dw)));
}
