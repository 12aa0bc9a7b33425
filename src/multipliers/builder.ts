/** Building gate netlists for the generated families: gates with constant folding (so that dropped partial products
 *  really remove hardware), half and full adders, a Wallace-style column reduction and a final ripple-carry adder.
 *  Every generated multiplier goes through `reduceColumns`, so area falls as the approximation removes bits. */
import { checkNetlist, FIRST_GATE_NET, NET_A, NET_B, type Gate, type GateNetlist, type GateOp } from './netlist.js';

export const ZERO = 0;
export const ONE = 1;

export class NetlistBuilder {
  private readonly gates: Gate[] = [];

  a(i: number): number {
    return NET_A + i;
  }
  b(j: number): number {
    return NET_B + j;
  }

  private add(op: GateOp, ins: number[]): number {
    this.gates.push({ op, in: ins });
    return FIRST_GATE_NET + this.gates.length - 1;
  }

  not(x: number): number {
    if (x <= ONE) return 1 - x;
    return this.add('NOT', [x]);
  }
  and(x: number, y: number): number {
    if (x === ZERO || y === ZERO) return ZERO;
    if (x === ONE || x === y) return y;
    if (y === ONE) return x;
    return this.add('AND', [x, y]);
  }
  nand(x: number, y: number): number {
    if (x <= ONE || y <= ONE) return this.not(this.and(x, y));
    return this.add('NAND', [x, y]);
  }
  or(x: number, y: number): number {
    if (x === ONE || y === ONE) return ONE;
    if (x === ZERO || x === y) return y;
    if (y === ZERO) return x;
    return this.add('OR', [x, y]);
  }
  xor(x: number, y: number): number {
    if (x === y) return ZERO;
    if (x === ZERO) return y;
    if (y === ZERO) return x;
    if (x === ONE) return this.not(y);
    if (y === ONE) return this.not(x);
    return this.add('XOR', [x, y]);
  }
  /** s ? y : x */
  mux(x: number, y: number, s: number): number {
    if (s <= ONE) return s === ONE ? y : x;
    if (x === y) return x;
    if (x === ZERO && y === ONE) return s;
    return this.add('MUX', [x, y, s]);
  }
  ha(x: number, y: number): [sum: number, carry: number] {
    return [this.xor(x, y), this.and(x, y)];
  }
  fa(x: number, y: number, z: number): [sum: number, carry: number] {
    const [p, q, r] = [x, y, z].sort((u, v) => v - u) as [number, number, number]; // constants (0, 1) last
    if (r === ZERO) return this.ha(p, q);
    if (r === ONE) return [this.not(this.xor(p, q)), this.or(p, q)];
    const t = this.xor(p, q);
    return [this.xor(t, r), this.or(this.and(p, q), this.and(t, r))];
  }

  /** The finished netlist with gates unreachable from the outputs removed and nets renumbered. */
  build(outputs: readonly number[]): GateNetlist {
    const live = new Uint8Array(FIRST_GATE_NET + this.gates.length);
    const stack = [...outputs];
    while (stack.length > 0) {
      const net = stack.pop()!;
      if (live[net] || net < FIRST_GATE_NET) continue;
      live[net] = 1;
      stack.push(...this.gates[net - FIRST_GATE_NET]!.in);
    }
    const renum = new Int32Array(live.length);
    for (let i = 0; i < FIRST_GATE_NET; i++) renum[i] = i;
    const gates: Gate[] = [];
    this.gates.forEach((g, i) => {
      if (!live[FIRST_GATE_NET + i]) return;
      gates.push({ op: g.op, in: g.in.map((x) => renum[x]!) });
      renum[FIRST_GATE_NET + i] = FIRST_GATE_NET + gates.length - 1;
    });
    const n = { gates, outputs: outputs.map((x) => renum[x]!) };
    checkNetlist(n);
    return n;
  }
}

/** Sums weighted bit columns (column c has weight 2^c) modulo 2^width: constants are summed at build time, then
 *  full adders compress every column to height two (Wallace), and a ripple-carry adder produces the sum bits. */
export function reduceColumns(bld: NetlistBuilder, columns: readonly (readonly number[])[], width = 16): number[] {
  let constant = 0;
  let cols: number[][] = Array.from({ length: width }, (_, c) => {
    const bits = columns[c] ?? [];
    constant += bits.filter((x) => x === ONE).length * 2 ** c;
    return bits.filter((x) => x > ONE);
  });
  constant %= 2 ** width;
  for (let c = 0; c < width; c++) if ((constant / 2 ** c) & 1) cols[c]!.push(ONE);
  while (cols.some((col) => col.length > 2)) {
    const next: number[][] = Array.from({ length: width }, () => []);
    cols.forEach((col, c) => {
      let i = 0;
      for (; col.length - i >= 3; i += 3) {
        const [s, cy] = bld.fa(col[i]!, col[i + 1]!, col[i + 2]!);
        next[c]!.push(s);
        if (c + 1 < width) next[c + 1]!.push(cy);
      }
      next[c]!.push(...col.slice(i));
    });
    cols = next;
  }
  const out: number[] = [];
  let carry = ZERO;
  for (const col of cols) {
    const [x = ZERO, y = ZERO] = col;
    const [s, cy] = bld.fa(x, y, carry);
    out.push(s);
    carry = cy;
  }
  return out;
}
