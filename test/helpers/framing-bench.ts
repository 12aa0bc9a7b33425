import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';

/** An outsider's AXI-Stream testbench for Icarus (not one adequate writes): it feeds the beats of `hexFile`, each line
 *  {tlast, beatBits bits of codes}, frames with a wrong tlast among good ones, and prints every output code and the
 *  top's frame_error bits at each output frame's end and at the end. */
export function framingBench(beatBits: number, hexFile: string, beats: number, outputs: number): string {
  return `\`timescale 1ns / 1ps
module tb_framing;
  reg clk = 1'b0, rst_n = 1'b0, tvalid = 1'b0, tlast = 1'b0;
  reg [${beatBits - 1}:0] tdata = ${beatBits}'d0;
  wire tready, m_tvalid, m_tlast, busy;
  wire [31:0] m_tdata;
  wire [1:0] frame_error;
  adequate_top dut (.clk(clk), .rst_n(rst_n), .s_axis_tdata(tdata), .s_axis_tvalid(tvalid), .s_axis_tready(tready), .s_axis_tlast(tlast),
    .m_axis_tdata(m_tdata), .m_axis_tvalid(m_tvalid), .m_axis_tready(1'b1), .m_axis_tlast(m_tlast), .busy(busy), .frame_error(frame_error));
  reg [${beatBits}:0] beat [0:${beats - 1}];
  integer fd, ptr, got, cycle;
  reg fire;
  always #5 clk = ~clk;
  initial begin
    $readmemh("${hexFile}", beat);
    fd = $fopen("framing.txt", "w");
    ptr = 0; got = 0; cycle = 0;
    repeat (4) @(negedge clk);
    rst_n = 1'b1;
    while (got < ${outputs} && cycle < 2000000) begin
      @(negedge clk);
      tvalid = ptr < ${beats};
      tdata = ptr < ${beats} ? beat[ptr][${beatBits - 1}:0] : ${beatBits}'d0;
      tlast = ptr < ${beats} ? beat[ptr][${beatBits}] : 1'b0;
      #1;
      fire = tvalid && tready;
      if (m_tvalid) begin
        $fdisplay(fd, "%0d", $signed(m_tdata));
        got = got + 1;
        if (m_tlast) $fdisplay(fd, "E %0d", frame_error);
      end
      @(posedge clk);
      cycle = cycle + 1;
      if (fire) ptr = ptr + 1;
    end
    $fdisplay(fd, "END %0d %0d", frame_error, ptr);
    $fclose(fd);
    $finish;
  end
endmodule
`;
}

/** Writes the bench into `build` beside the beats file, runs it in Icarus with the build's RTL and returns the lines
 *  it printed. */
export function runFramingBench(build: string, rtl: readonly string[], beatBits: number, hexFile: string, beats: number, outputs: number): string[] {
  writeFileSync(join(build, 'tb_framing.v'), framingBench(beatBits, hexFile, beats, outputs));
  const c = spawnSync('iverilog', ['-g2005', '-o', 'framing.vvp', 'tb_framing.v', ...rtl], { cwd: build, encoding: 'utf8' });
  expect(c.status, c.stderr).toBe(0);
  const r = spawnSync('vvp', ['-n', 'framing.vvp'], { cwd: build, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return readFileSync(join(build, 'framing.txt'), 'utf8').trim().split('\n');
}
