/** Verilog emitter (issue 9). Placeholder until the emitter lands: refuses clearly instead of writing anything. */
import { userError } from '../../errors.js';
import type { AcceleratorPlan } from '../../hw/plan.js';
import type { MultiplierImpl } from '../build-dir.js';

export interface VerilogOptions {
  readonly lanes: number;
  readonly part: string;
  readonly clockNs: number;
  readonly multiplierImpl: MultiplierImpl;
  readonly library?: string;
}

/** Writes the Verilog project into `dir` (an empty temporary folder); returns the relative paths written. */
export function emitVerilog(plan: AcceleratorPlan, options: VerilogOptions, dir: string): string[] {
  void plan, options, dir;
  throw userError('E_TOOL', 'the Verilog emitter is not available in this version');
}
