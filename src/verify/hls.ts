/** C simulation of an HLS build (issue 8). Placeholder until it lands. */
import { userError } from '../errors.js';
import type { VerifyOutcome, VerifyRequest } from './request.js';

export async function verifyHls(request: VerifyRequest): Promise<VerifyOutcome> {
  void request;
  throw userError('E_TOOL', 'HLS C simulation is not available in this version');
}
