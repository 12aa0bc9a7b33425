/** The HLS templates (templates/hls/*.hbs) and the one place their formatting helpers are registered. Helpers only
 *  format (numbers into C initializer rows, identifiers); every number they print was computed by the view. */
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import Handlebars from 'handlebars';
import { yieldToSignals } from '../../io/atomic-dir.js';
import type { NumFormat } from '../../ir/types.js';
import { packagePath } from '../../paths.js';

const hbs = Handlebars.create();

/** Lines of `{{{cArray}}}` text for values [from, to) (`from` a multiple of `per`), each ending in a newline, as
 *  ASCII bytes: digits written straight into a buffer (joining strings and encoding them cost more than the rest of
 *  a VGG-19's emission). */
function cArrayBytes(values: ArrayLike<number>, per: number, from: number, to: number): Buffer {
  const buf = Buffer.allocUnsafe((to - from) * 26 + Math.ceil((to - from) / per) * 4);
  let pos = 0;
  for (let i = from; i < to; i += per) {
    buf[pos++] = 32;
    buf[pos++] = 32;
    const end = Math.min(to, i + per);
    for (let j = i; j < end; j++) {
      if (j > i) {
        buf[pos++] = 44;
        buf[pos++] = 32;
      }
      let v = values[j]!;
      if (!Number.isSafeInteger(v)) {
        pos += buf.write(String(v), pos, 'latin1');
        continue;
      }
      if (v < 0) {
        buf[pos++] = 45;
        v = -v;
      }
      let digits = 1;
      for (let p10 = 10; p10 <= v; p10 *= 10) digits++;
      pos += digits;
      for (let at = pos - 1; at >= pos - digits; at--) {
        const r = v % 10;
        buf[at] = 48 + r;
        v = (v - r) / 10;
      }
    }
    buf[pos++] = 44;
    buf[pos++] = 10;
  }
  return buf.subarray(0, pos);
}

/** Arrays longer than this are not rendered into the template's text when it is streamed (renderHlsToFile): a VGG's
 *  weight ROMs hold 144 M codes, more characters than a JavaScript string can (2^29). */
const STREAMED_ARRAY = 1 << 16;
/** Values per written piece of a streamed array (a few MB of text). */
const STREAM_PIECE = 24 * 40_000;
/** While a streamed render runs: the arrays set aside, each marked in the text by NUL, its index, NUL. */
let deferred: { values: ArrayLike<number>; per: number }[] | undefined;

/** `{{{cArray values 16}}}`: a C initializer body, `per` numbers a line, indented by two spaces. */
hbs.registerHelper('cArray', (values: ArrayLike<number>, per: unknown) => {
  const n = typeof per === 'number' ? per : 16;
  if (values.length === 0) return '';
  if (deferred && values.length > STREAMED_ARRAY) {
    deferred.push({ values, per: n });
    return `\0${deferred.length - 1}\0`;
  }
  return cArrayBytes(values, n, 0, values.length).toString('latin1').slice(0, -1);
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

/** Renders templates/hls/NAME.hbs with the view into the file `path`, the same text as renderHls: the template's
 *  text with its long arrays set aside, then each array written in pieces where the template placed it, yielding
 *  between pieces so an interrupt's cleanup (writeDirAtomically) can run. */
export async function renderHlsToFile(name: string, view: object, path: string): Promise<void> {
  deferred = [];
  let text: string, arrays: typeof deferred;
  try {
    text = renderHls(name, view);
    arrays = deferred;
  } finally {
    deferred = undefined;
  }
  const fd = openSync(path, 'w');
  try {
    const parts = text.split('\0');
    for (let i = 0; i < parts.length; i++) {
      if (i % 2 === 0) {
        writeSync(fd, parts[i]!);
        continue;
      }
      const { values, per } = arrays[Number(parts[i])]!;
      const piece = Math.max(per, Math.floor(STREAM_PIECE / per) * per);
      for (let at = 0; at < values.length; at += piece) {
        const end = Math.min(values.length, at + piece);
        // The last line's newline belongs to the template's text (renderHls's helper omits it).
        const bytes = cArrayBytes(values, per, at, end);
        writeSync(fd, end === values.length ? bytes.subarray(0, bytes.length - 1) : bytes);
        await yieldToSignals();
      }
    }
  } finally {
    closeSync(fd);
  }
}
