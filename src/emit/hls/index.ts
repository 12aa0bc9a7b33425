/** HLS C++ emitter (issue 8). Placeholder until the emitter lands: refuses clearly instead of writing anything. */
import { userError } from '../../errors.js';
import type { AcceleratorPlan } from '../../hw/plan.js';
import type { MultiplierImpl } from '../build-dir.js';

export interface HlsOptions {
  readonly lanes: number;
  readonly part: string;
  readonly clockNs: number;
  readonly multiplierImpl: MultiplierImpl;
  readonly library?: string;
}

/** Writes the HLS project into `dir` (an empty temporary folder); returns the relative paths written. */
export function emitHls(plan: AcceleratorPlan, options: HlsOptions, dir: string): string[] {
  void plan, options, dir;
  throw userError('E_TOOL', 'the HLS C++ emitter is not available in this version');
}
