/** Handlebars for the Verilog build: the one place its helpers and partials are registered. Templates hold no
 *  arithmetic; the helpers only format numbers the views computed (Verilog literals, hex words). */
import { readFileSync } from 'node:fs';
import Handlebars from 'handlebars';
import { packagePath } from '../../paths.js';

const hbs = Handlebars.create();

/** An unsigned Verilog literal of `width` bits: 16'd42. */
function unsignedLiteral(width: number, value: number): string {
  if (!(Number.isInteger(value) && value >= 0 && value < 2 ** width)) throw new Error(`internal error: ${value} is not a ${width}-bit unsigned value`);
  return `${width}'d${value}`;
}

/** A signed Verilog literal of `width` bits: 16'sd42 or -16'sd3. */
function signedLiteral(width: number, value: number): string {
  if (!(Number.isInteger(value) && value >= -(2 ** (width - 1)) && value < 2 ** (width - 1))) throw new Error(`internal error: ${value} is not a ${width}-bit signed value`);
  return value < 0 ? `-${width}'sd${-value}` : `${width}'sd${value}`;
}

hbs.registerHelper('u', (width: number, value: number) => unsignedLiteral(width, value));
hbs.registerHelper('s', (width: number, value: number) => signedLiteral(width, value));
hbs.registerHelper('eq', (a: unknown, b: unknown) => a === b);
hbs.registerHelper('and', (a: unknown, b: unknown) => Boolean(a) && Boolean(b));
hbs.registerPartial('header', readFileSync(packagePath('templates', 'verilog', 'header.hbs'), 'utf8'));
hbs.registerPartial('top_eltwise_write', readFileSync(packagePath('templates', 'verilog', 'top_eltwise_write.hbs'), 'utf8'));

const cache = new Map<string, HandlebarsTemplateDelegate>();

/** Renders `templates/<path>` (or `testbenches/<path>` when `root` says so) with a view. */
export function render(root: 'templates' | 'testbenches', path: string, view: object): string {
  const key = `${root}/${path}`;
  let t = cache.get(key);
  if (!t) {
    t = hbs.compile(readFileSync(packagePath(root, ...path.split('/')), 'utf8'), { noEscape: true, strict: true });
    cache.set(key, t);
  }
  return t(view);
}

/** A word as `digits` hex digits (two's complement for negative values of `bits` bits). */
export function hexWord(value: bigint, bits: number): string {
  const v = BigInt.asUintN(bits, value);
  return v.toString(16).padStart(Math.ceil(bits / 4), '0');
}
