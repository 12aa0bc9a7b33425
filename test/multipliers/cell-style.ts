/** Writes a GateNetlist in the EvoApprox *cell style* (a bus N, input bits copied into it, PDKGEN cell instances
 *  defined at the end of the file, outputs gathered from N), so that the importer is tested on full-size netlists in
 *  both EvoApprox styles (the assign style is what src/multipliers/verilog.ts writes). Test-only. */
import { FIRST_GATE_NET, type GateNetlist } from '../../src/multipliers/netlist.js';

const CELLS: Record<string, { name: string; ports: string[]; body: string }> = {
  NOT: { name: 'PDKGENINVX1', ports: ['A'], body: 'assign Y = ~A;' },
  AND: { name: 'PDKGENAND2X1', ports: ['A', 'B'], body: 'assign Y = A & B;' },
  NAND: { name: 'PDKGENNAND2X1', ports: ['A', 'B'], body: 'assign Y = ~(A & B);' },
  OR: { name: 'PDKGENOR2X1', ports: ['A', 'B'], body: 'assign Y = A | B;' },
  XOR: { name: 'PDKGENXOR2X1', ports: ['A', 'B'], body: 'assign Y = A ^ B;' },
  MUX: { name: 'PDKGENMUX2X1', ports: ['A', 'B', 'S'], body: 'assign Y = S ? B : A;' },
};

export function toCellStyle(n: GateNetlist, moduleName: string): string {
  const last = FIRST_GATE_NET + n.gates.length;
  const bus = (x: number): string => `N[${x}]`;
  const lines = [`module ${moduleName}(A, B, O);`, '  input [7:0] A;', '  input [7:0] B;', '  output [15:0] O;', `  wire [${last}:0] N;`];
  lines.push("  assign N[0] = 1'b0;", "  assign N[1] = 1'b1;");
  for (let i = 0; i < 8; i++) lines.push(`  assign N[${2 + i}] = A[${i}];`, `  assign N[${10 + i}] = B[${i}];`);
  const used = new Set<string>();
  n.gates.forEach((g, i) => {
    const cell = CELLS[g.op];
    if (!cell) throw new Error(`cell-style writer: no cell for ${g.op}`);
    used.add(g.op);
    const conns = cell.ports.map((p, k) => `.${p}(${bus(g.in[k]!)})`).join(', ');
    lines.push(`  ${cell.name} n${FIRST_GATE_NET + i}(${conns}, .Y(${bus(FIRST_GATE_NET + i)}));`);
  });
  n.outputs.forEach((x, k) => lines.push(`  assign O[${k}] = ${bus(x)};`));
  lines.push('endmodule', '');
  for (const op of used) {
    const c = CELLS[op]!;
    lines.push(`module ${c.name}(${[...c.ports, 'Y'].join(', ')});`, ...c.ports.map((p) => `  input ${p};`), '  output Y;', `  ${c.body}`, 'endmodule', '');
  }
  return lines.join('\n');
}
