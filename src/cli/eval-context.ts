/** The golden model's access to multiplier tables from the CLI: built-ins, generated ids, or a library folder. */
import type { EvalContext } from '../golden/evaluate.js';
import { getMultiplier } from '../multipliers/index.js';

export function evalContext(libraryDir?: string): EvalContext {
  const cache = new Map<string, Int32Array>();
  return {
    productTable: (id) => {
      let t = cache.get(id);
      if (!t) cache.set(id, (t = getMultiplier(id, libraryDir).table));
      return t;
    },
  };
}
