/** Gate-level netlist of an 8x8 multiplier as plain data, and its conversion from Yosys JSON.
 *  Net numbering is fixed so that evaluators need no lookup: 0 = constant 0, 1 = constant 1, 2..9 = A[0..7],
 *  10..17 = B[0..7], and 18 + i = output of gate i. Gates are in topological order (every input net < own net).
 *  Gate semantics follow Yosys' internal cells ($_AND_, $_MUX_, ...), inputs in the cell's port order. */
import { userError } from '../errors.js';

export const GATE_OPS = ['BUF', 'NOT', 'AND', 'NAND', 'OR', 'NOR', 'XOR', 'XNOR', 'ANDNOT', 'ORNOT', 'MUX', 'NMUX', 'AOI3', 'OAI3', 'AOI4', 'OAI4'] as const;
export type GateOp = (typeof GATE_OPS)[number];

/** Input port order per op (MUX: A, B, S with Y = S ? B : A). */
export const GATE_PORTS: Readonly<Record<GateOp, readonly string[]>> = {
  BUF: ['A'], NOT: ['A'], AND: ['A', 'B'], NAND: ['A', 'B'], OR: ['A', 'B'], NOR: ['A', 'B'], XOR: ['A', 'B'],
  XNOR: ['A', 'B'], ANDNOT: ['A', 'B'], ORNOT: ['A', 'B'], MUX: ['A', 'B', 'S'], NMUX: ['A', 'B', 'S'],
  AOI3: ['A', 'B', 'C'], OAI3: ['A', 'B', 'C'], AOI4: ['A', 'B', 'C', 'D'], OAI4: ['A', 'B', 'C', 'D'],
};

export interface Gate {
  readonly op: GateOp;
  readonly in: readonly number[];
}

export interface GateNetlist {
  readonly gates: readonly Gate[];
  readonly outputs: readonly number[]; // 16 nets, O[0..15]
}

export const NET_A = 2;
export const NET_B = 10;
export const FIRST_GATE_NET = 18;

/** Checks the numbering invariants; a violation is an internal fault (netlists come from our own converters). */
export function checkNetlist(n: GateNetlist): void {
  n.gates.forEach((g, i) => {
    const own = FIRST_GATE_NET + i;
    if (g.in.length !== GATE_PORTS[g.op].length) throw new Error(`internal error: gate ${i} (${g.op}) has ${g.in.length} inputs`);
    for (const x of g.in) if (!(x >= 0 && x < own)) throw new Error(`internal error: gate ${i} reads net ${x}, not before it`);
  });
  if (n.outputs.length !== 16) throw new Error('internal error: a multiplier netlist has 16 outputs');
  for (const o of n.outputs) if (!(o >= 0 && o < FIRST_GATE_NET + n.gates.length)) throw new Error(`internal error: output net ${o}`);
}

// ---- Yosys JSON (write_json after flatten; techmap) ----

type YosysBit = number | string;
interface YosysPort {
  direction: string;
  bits: YosysBit[];
}
interface YosysCell {
  type: string;
  attributes?: Record<string, unknown>;
  connections: Record<string, YosysBit[]>;
}
export interface YosysModule {
  ports: Record<string, YosysPort>;
  cells: Record<string, YosysCell>;
}

const CELL_OPS: Readonly<Record<string, GateOp>> = Object.fromEntries(GATE_OPS.map((op) => [`$_${op}_`, op]));

/** Checks that the module has exactly the ports A[7:0], B[7:0] (inputs) and O[15:0] (output). */
export function checkPorts(mod: YosysModule, where: string): void {
  const want: Record<string, [string, number]> = { A: ['input', 8], B: ['input', 8], O: ['output', 16] };
  const found = Object.entries(mod.ports).map(([name, p]) => `${p.direction} ${name}[${p.bits.length}]`);
  const ok =
    Object.keys(mod.ports).length === 3 &&
    Object.entries(want).every(([name, [dir, w]]) => mod.ports[name]?.direction === dir && mod.ports[name]?.bits.length === w);
  if (!ok)
    throw userError(
      'E_MULT',
      `${where}: ports must be input [7:0] A, input [7:0] B, output [15:0] O, found ${found.join(', ') || 'none'}; ` +
        'wrap the module in one with those ports or choose another --top',
    );
}

/** Converts a flattened, techmapped Yosys module into a GateNetlist: keeps only logic reachable from O,
 *  orders it topologically and rejects combinational loops, undriven outputs and non-gate cells. */
export function fromYosysModule(mod: YosysModule, where: string): GateNetlist {
  checkPorts(mod, where);
  const fixed = new Map<YosysBit, number>([['0', 0], ['1', 1]]);
  mod.ports.A!.bits.forEach((b, i) => fixed.set(b, NET_A + i));
  mod.ports.B!.bits.forEach((b, i) => fixed.set(b, NET_B + i));
  const driver = new Map<YosysBit, { op: GateOp; ins: YosysBit[]; name: string }>();
  for (const [name, cell] of Object.entries(mod.cells)) {
    const op = CELL_OPS[cell.type];
    if (op === undefined)
      throw userError('E_MULT', `${where}: cell ${name} of type ${cell.type} is not a combinational gate; give a purely combinational multiplier`);
    const y = cell.connections.Y?.[0];
    if (y === undefined) throw new Error(`internal error: yosys cell ${name} has no Y`);
    const src = cell.attributes?.src;
    const label = typeof src === 'string' ? `the logic at ${src.split('|')[0]!.replace(/^.*\//, '')}` : `cell ${name}`;
    driver.set(y, { op, ins: GATE_PORTS[op].map((p) => cell.connections[p]?.[0] ?? 'x'), name: label });
  }
  const gates: Gate[] = [];
  const netOf = new Map<YosysBit, number>(fixed);
  const visiting = new Set<YosysBit>();
  const visit = (bit: YosysBit, path: string): number => {
    const known = netOf.get(bit);
    if (known !== undefined) return known;
    const d = driver.get(bit);
    if (d === undefined) throw userError('E_MULT', `${where}: ${path} is undriven (bit ${String(bit)}); drive every output bit`);
    if (visiting.has(bit)) throw userError('E_MULT', `${where}: combinational loop through ${d.name}; break the loop`);
    visiting.add(bit);
    const ins = d.ins.map((b) => visit(b, `an input of ${d.name}`));
    visiting.delete(bit);
    gates.push({ op: d.op, in: ins });
    const net = FIRST_GATE_NET + gates.length - 1;
    netOf.set(bit, net);
    return net;
  };
  const outputs = mod.ports.O!.bits.map((b, k) => visit(b, `output O[${k}]`));
  const n = { gates, outputs };
  checkNetlist(n);
  return n;
}
