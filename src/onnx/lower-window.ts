/** Window attributes of Conv and the pools, resolved: defaults filled in and auto_pad turned into explicit pads. */
import type { WindowAttrs } from '../ir/types.js';
import type { LowerContext } from './lower-context.js';

export function resolveWindow(ctx: LowerContext, kernelShape: readonly number[]): WindowAttrs {
  const a = ctx.attrs;
  const r = kernelShape.length;
  const x = ctx.info(0).shape;
  if (x.length !== r + 2) a.unsupported('kernel_shape', kernelShape, `input has rank ${x.length}, needs ${r + 2}`);
  if (r < 1 || r > 3) a.unsupported('kernel_shape', kernelShape, '1-D, 2-D or 3-D windows');
  const strides = a.ints('strides', Array<number>(r).fill(1));
  const dilations = a.ints('dilations', Array<number>(r).fill(1));
  if (strides.length !== r || strides.some((s) => s < 1)) a.unsupported('strides', strides, `${r} positive values`);
  if (dilations.length !== r || dilations.some((d) => d < 1)) a.unsupported('dilations', dilations, `${r} positive values`);
  if (kernelShape.some((k) => k < 1)) a.unsupported('kernel_shape', kernelShape, 'positive sizes');
  const autoPad = a.string('auto_pad', 'NOTSET');
  let pads: number[] = [];
  switch (autoPad) {
    case 'NOTSET':
    case '':
      pads = a.ints('pads', Array<number>(2 * r).fill(0));
      if (pads.length !== 2 * r || pads.some((p) => p < 0)) a.unsupported('pads', pads, `${2 * r} non-negative values`);
      break;
    case 'VALID':
      pads = Array<number>(2 * r).fill(0);
      break;
    case 'SAME_UPPER':
    case 'SAME_LOWER': {
      pads = Array<number>(2 * r).fill(0);
      for (let i = 0; i < r; i++) {
        const inSize = x[i + 2]!;
        const out = Math.ceil(inSize / strides[i]!);
        const total = Math.max(0, (out - 1) * strides[i]! + dilations[i]! * (kernelShape[i]! - 1) + 1 - inSize);
        const small = Math.floor(total / 2);
        pads[i] = autoPad === 'SAME_UPPER' ? small : total - small;
        pads[i + r] = total - pads[i]!;
      }
      break;
    }
    default:
      a.unsupported('auto_pad', autoPad, 'NOTSET, SAME_UPPER, SAME_LOWER or VALID');
  }
  return { kernelShape: [...kernelShape], strides, pads, dilations };
}
