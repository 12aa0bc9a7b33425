/** The compile config's `verilog: { overlap: true }` (emit verilog --overlap, src/hw/overlap.ts): passed to the
 *  Verilog emitter only, and validated. */
import { describe, expect, test } from 'vitest';
import { applyOverrides } from '../../src/flow/config.js';
import { stageCommands, STAGES } from '../../src/flow/stages.js';
import { expectUserError } from '../helpers/user-error.js';

describe('config: verilog.overlap', () => {
  test('becomes emit verilog --overlap; not a key of the hls or hardware sections; a boolean', () => {
    const def = (id: string) => STAGES.find((s) => s.id === id)!;
    const config = applyOverrides({}, ['verilog.overlap=true', 'hardware.pe=2']);
    const ctx = { model: 'm.onnx', out: 'o', config, input: 'o/2-quantize', folder: 'o/8-verilog' };
    expect(stageCommands(def('verilog'), ctx)).toEqual([['emit', 'verilog', 'o/2-quantize', '-o', 'o/8-verilog', '--pe', '2', '--overlap', '--json']]);
    expect(stageCommands(def('hls'), { ...ctx, folder: 'o/6-hls' })).toEqual([['emit', 'hls', 'o/2-quantize', '-o', 'o/6-hls', '--pe', '2', '--json']]);
    expectUserError(() => applyOverrides({}, ['hls.overlap=true']), 'E_USAGE', /unknown key 'hls.overlap'/);
    expectUserError(() => applyOverrides({}, ['hardware.overlap=true']), 'E_USAGE', /unknown key 'hardware.overlap'/);
    expectUserError(() => applyOverrides({}, ['verilog.overlap=3']), 'E_USAGE', /overlap/);
  });
});
