/** The HLS templates (templates/hls/*.hbs) and the one place their formatting helpers are registered. Helpers only
 *  format (numbers into C initializer rows, identifiers); every number they print was computed by the view. */
import { readFileSync } from 'node:fs';
import Handlebars from 'handlebars';
import type { NumFormat } from '../../ir/types.js';
import { packagePath } from '../../paths.js';

const hbs = Handlebars.create();

/** `{{{cArray values 16}}}`: a C initializer body, `per` numbers a line, indented by two spaces. */
hbs.registerHelper('cArray', (values: ArrayLike<number>, per: unknown) => {
  const n = typeof per === 'number' ? per : 16;
  const lines: string[] = [];
  // Array.prototype.join on a slice: fast on arrays of millions of weights (a ResNet-18's ROMs).
  for (let i = 0; i < values.length; i += n) lines.push('  ' + Array.prototype.slice.call(values, i, i + n).join(', ') + ',');
  return lines.join('\n');
});
/** `{{join list ", "}}`. */
hbs.registerHelper('join', (list: readonly unknown[], sep: unknown) => list.map(String).join(typeof sep === 'string' ? sep : ', '));
hbs.registerHelper('eq', (a: unknown, b: unknown) => a === b);
/** `{{bool x}}`: a C++ boolean literal. */
hbs.registerHelper('bool', (x: unknown) => (x ? 'true' : 'false'));

/** `{{numType format}}`: the adequate_types.h traits of a number format (a NumFormat of ir/arithmetic.md 4-5). */
hbs.registerHelper('numType', (f: NumFormat) => {
  if (f.kind === 'fixed') {
    const q = { truncate: 'FX_TRN', 'half-up': 'FX_RND', 'half-even': 'FX_RND_CONV' }[f.rounding];
    return `adq::fixed_code<${f.width}, ${f.intBits}, ${f.signed}, adq::${q}, adq::${f.overflow === 'wrap' ? 'FX_WRAP' : 'FX_SAT'}>`;
  }
  const specials = { ieee: 'FP_IEEE', fn: 'FP_FN', none: 'FP_NONE' }[f.specials];
  return `adq::float_format<${f.expBits}, ${f.mantBits}, ${f.bias}, ${f.subnormals}, adq::${specials}, adq::${f.overflow === 'inf' ? 'FP_INF' : 'FP_SAT'}>`;
});

const cache = new Map<string, HandlebarsTemplateDelegate>();

/** Renders templates/hls/NAME.hbs with the view. */
export function renderHls(name: string, view: object): string {
  let t = cache.get(name);
  if (!t) {
    t = hbs.compile(readFileSync(packagePath('templates', 'hls', `${name}.hbs`), 'utf8'), { noEscape: true, strict: true });
    cache.set(name, t);
  }
  return t(view);
}
