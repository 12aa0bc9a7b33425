/** Verilator verification of a Verilog build (issue 9). Placeholder until it lands. */
import { userError } from '../errors.js';
import type { VerifyOutcome, VerifyRequest } from './request.js';

export async function verifyRtl(request: VerifyRequest): Promise<VerifyOutcome> {
  void request;
  throw userError('E_TOOL', 'Verilator verification is not available in this version');
}
