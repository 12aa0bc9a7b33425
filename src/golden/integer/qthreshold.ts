/** QThreshold: the integer threshold activation (ir/arithmetic.md section 3c). Each output counts the thresholds of
 *  its channel that the (direction-signed) input code reaches: a compare unit in hardware, not a table, since the
 *  input is a wide accumulator. */
import type { QThresholdNode, Tensor } from '../../ir/types.js';
import { makeTensor, sizeOf } from '../../ir/types.js';

export function qthreshold(node: QThresholdNode, x: Tensor, thresholds: Tensor): Tensor {
  const { axis, direction, outBase, outStep } = node.attrs;
  const out = makeTensor(node.attrs.outType, x.shape);
  const [rows, L] = [thresholds.shape[0]!, thresholds.shape[1]!];
  const inner = sizeOf(x.shape.slice(axis + 1)), C = x.shape[axis]!;
  for (let i = 0; i < x.data.length; i++) {
    const c = Math.floor(i / inner) % C;
    const row = rows === 1 ? 0 : c;
    const v = (direction.length === 1 ? direction[0]! : direction[c]!) * x.data[i]!;
    let count = 0;
    for (let j = 0; j < L; j++) if (v >= thresholds.data[row * L + j]!) count++;
    out.data[i] = outBase + outStep * count;
  }
  return out;
}
