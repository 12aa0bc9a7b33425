/** Slow, obviously-correct references for the tests: per-pair simulation of a GateNetlist (one boolean per net) and
 *  of a Yosys JSON module (cells looked up by name, evaluated recursively), independent of the bit-parallel kernel. */
import type { GateNetlist } from '../../src/multipliers/netlist.js';

function gate(op: string, x: boolean[]): boolean {
  const [a = false, b = false, c = false, d = false] = x;
  switch (op) {
    case 'BUF': return a;
    case 'NOT': return !a;
    case 'AND': return a && b;
    case 'NAND': return !(a && b);
    case 'OR': return a || b;
    case 'NOR': return !(a || b);
    case 'XOR': return a !== b;
    case 'XNOR': return a === b;
    case 'ANDNOT': return a && !b;
    case 'ORNOT': return a || !b;
    case 'MUX': return c ? b : a;
    case 'NMUX': return !(c ? b : a);
    case 'AOI3': return !((a && b) || c);
    case 'OAI3': return !((a || b) && c);
    case 'AOI4': return !((a && b) || (c && d));
    case 'OAI4': return !((a || b) && (c || d));
    default: throw new Error(`reference: unknown gate ${op}`);
  }
}

/** The raw 16-bit output O for operand codes a, b (no sign extension). */
export function simulatePair(n: GateNetlist, a: number, b: number): number {
  const v: boolean[] = [false, true];
  for (let i = 0; i < 8; i++) v.push(((a >> i) & 1) === 1);
  for (let j = 0; j < 8; j++) v.push(((b >> j) & 1) === 1);
  for (const g of n.gates) v.push(gate(g.op, g.in.map((x) => v[x]!)));
  return n.outputs.reduce((o, net, k) => o | ((v[net] ? 1 : 0) << k), 0);
}

interface YCell { type: string; connections: Record<string, (number | string)[]> }
export interface YModule { ports: Record<string, { bits: (number | string)[] }>; cells: Record<string, YCell> }

/** Per-pair simulation straight from a Yosys JSON module of $_GATE_ cells. */
export function simulateYosysPair(mod: YModule, a: number, b: number): number {
  const known = new Map<number | string, boolean>([['0', false], ['1', true]]);
  mod.ports.A!.bits.forEach((bit, i) => known.set(bit, ((a >> i) & 1) === 1));
  mod.ports.B!.bits.forEach((bit, j) => known.set(bit, ((b >> j) & 1) === 1));
  const driver = new Map<number | string, YCell>();
  for (const c of Object.values(mod.cells)) driver.set(c.connections.Y![0]!, c);
  const value = (bit: number | string): boolean => {
    const k = known.get(bit);
    if (k !== undefined) return k;
    const c = driver.get(bit)!;
    const op = c.type.replace(/^\$_|_$/g, '');
    const ins = ['A', 'B', op.includes('MUX') ? 'S' : 'C', 'D'].filter((p) => c.connections[p]).map((p) => value(c.connections[p]![0]!));
    const r = gate(op, ins);
    known.set(bit, r);
    return r;
  };
  return mod.ports.O!.bits.reduce<number>((o, bit, k) => o | ((value(bit) ? 1 : 0) << k), 0);
}

export const sext16 = (x: number): number => (x << 16) >> 16;
export const sext8 = (x: number): number => (x << 24) >> 24;
