/** Bit-parallel netlist evaluation: the hot loop of import, characterization and power estimation.
 *  Why this shape: every net holds W 32-bit words (32 operand pairs per word, one pair per bit lane), and the outer
 *  loop runs over gates while the inner loop runs over words. The `switch` on the gate op is paid once per gate and
 *  block, not once per pair, and the inner loops are tight Int32Array loops that V8 compiles well.
 *  An exhaustive 8x8 run is 2048 words per net, done in blocks of BLOCK words to stay in cache. */
import { FIRST_GATE_NET, GATE_OPS, type GateNetlist } from './netlist.js';
import { TABLE_SIZE } from './types.js';

export interface CompiledNetlist {
  readonly ops: Uint8Array; // index into GATE_OPS
  readonly ins: Int32Array; // 4 input nets per gate (unused slots 0)
  readonly outputs: Int32Array;
  readonly nets: number;
}

export function compile(n: GateNetlist): CompiledNetlist {
  const ops = new Uint8Array(n.gates.length);
  const ins = new Int32Array(4 * n.gates.length);
  n.gates.forEach((g, i) => {
    ops[i] = GATE_OPS.indexOf(g.op);
    g.in.forEach((x, k) => (ins[4 * i + k] = x));
  });
  return { ops, ins, outputs: Int32Array.from(n.outputs), nets: FIRST_GATE_NET + n.gates.length };
}

/** Evaluates W words per net. `vals` holds nets x W words; the caller fills nets 2..17 (A[0..7], B[0..7]);
 *  this sets the constants and computes every gate net in place. */
export function evaluateWords(c: CompiledNetlist, vals: Int32Array, W: number): void {
  vals.fill(0, 0, W);
  vals.fill(-1, W, 2 * W);
  const { ops, ins } = c;
  for (let g = 0; g < ops.length; g++) {
    const y = (FIRST_GATE_NET + g) * W;
    const a = ins[4 * g]! * W, b = ins[4 * g + 1]! * W, s = ins[4 * g + 2]! * W, d = ins[4 * g + 3]! * W;
    switch (ops[g]) {
      case 0: for (let k = 0; k < W; k++) vals[y + k] = vals[a + k]!; break; // BUF
      case 1: for (let k = 0; k < W; k++) vals[y + k] = ~vals[a + k]!; break; // NOT
      case 2: for (let k = 0; k < W; k++) vals[y + k] = vals[a + k]! & vals[b + k]!; break; // AND
      case 3: for (let k = 0; k < W; k++) vals[y + k] = ~(vals[a + k]! & vals[b + k]!); break; // NAND
      case 4: for (let k = 0; k < W; k++) vals[y + k] = vals[a + k]! | vals[b + k]!; break; // OR
      case 5: for (let k = 0; k < W; k++) vals[y + k] = ~(vals[a + k]! | vals[b + k]!); break; // NOR
      case 6: for (let k = 0; k < W; k++) vals[y + k] = vals[a + k]! ^ vals[b + k]!; break; // XOR
      case 7: for (let k = 0; k < W; k++) vals[y + k] = ~(vals[a + k]! ^ vals[b + k]!); break; // XNOR
      case 8: for (let k = 0; k < W; k++) vals[y + k] = vals[a + k]! & ~vals[b + k]!; break; // ANDNOT
      case 9: for (let k = 0; k < W; k++) vals[y + k] = vals[a + k]! | ~vals[b + k]!; break; // ORNOT
      case 10: for (let k = 0; k < W; k++) { const m = vals[s + k]!; vals[y + k] = (vals[b + k]! & m) | (vals[a + k]! & ~m); } break; // MUX
      case 11: for (let k = 0; k < W; k++) { const m = vals[s + k]!; vals[y + k] = ~((vals[b + k]! & m) | (vals[a + k]! & ~m)); } break; // NMUX
      case 12: for (let k = 0; k < W; k++) vals[y + k] = ~((vals[a + k]! & vals[b + k]!) | vals[s + k]!); break; // AOI3
      case 13: for (let k = 0; k < W; k++) vals[y + k] = ~((vals[a + k]! | vals[b + k]!) & vals[s + k]!); break; // OAI3
      case 14: for (let k = 0; k < W; k++) vals[y + k] = ~((vals[a + k]! & vals[b + k]!) | (vals[s + k]! & vals[d + k]!)); break; // AOI4
      case 15: for (let k = 0; k < W; k++) vals[y + k] = ~((vals[a + k]! | vals[b + k]!) & (vals[s + k]! | vals[d + k]!)); break; // OAI4
      default: throw new Error(`internal error: gate op ${ops[g]}`);
    }
  }
}

/** Lane patterns of B[0..4] in an exhaustive word: pair p = word * 32 + lane, a = p >> 8, b = p & 255. */
const LANES = [0xaaaaaaaa | 0, 0xcccccccc | 0, 0xf0f0f0f0 | 0, 0xff00ff00 | 0, 0xffff0000 | 0];
const BLOCK = 64;

/** All 65,536 products in the project's layout (index a * 256 + b), sign-extended when `signed`. */
export function exhaustiveTable(n: GateNetlist, signed: boolean): Int32Array {
  const c = compile(n);
  const vals = new Int32Array(c.nets * BLOCK);
  const table = new Int32Array(TABLE_SIZE);
  for (let w0 = 0; w0 < TABLE_SIZE / 32; w0 += BLOCK) {
    for (let k = 0; k < BLOCK; k++) {
      const w = w0 + k;
      for (let i = 0; i < 8; i++) vals[(2 + i) * BLOCK + k] = ((w >> 3) >> i) & 1 ? -1 : 0;
      for (let j = 0; j < 5; j++) vals[(10 + j) * BLOCK + k] = LANES[j]!;
      for (let j = 5; j < 8; j++) vals[(10 + j) * BLOCK + k] = ((w & 7) >> (j - 5)) & 1 ? -1 : 0;
    }
    evaluateWords(c, vals, BLOCK);
    unpackOutputs(c, vals, BLOCK, w0, table);
  }
  if (signed) for (let p = 0; p < TABLE_SIZE; p++) table[p] = (table[p]! << 16) >> 16;
  return table;
}

/** Transposes the 16 output nets (bit-sliced words) into one product per lane. */
function unpackOutputs(c: CompiledNetlist, vals: Int32Array, W: number, w0: number, table: Int32Array): void {
  for (let k = 0; k < W; k++) {
    const base = (w0 + k) * 32;
    for (let bit = 0; bit < 16; bit++) {
      let word = vals[c.outputs[bit]! * W + k]!;
      for (let l = 0; word !== 0; l++, word >>>= 1) if (word & 1) table[base + l] = table[base + l]! | (1 << bit);
    }
  }
}
