/** The integer-code arithmetic of word-length-tuned layers in adequate_types.h (ir/arithmetic.md 6.1 and 6.2) against
 *  the TypeScript definitions: fixed_code casts and accumulation steps against a BigInt reference and fixedCast;
 *  float_format products, sums, casts and comparisons against encodeFloat/decodeFloat applied to the exact (or, for
 *  sums, the golden model's float64) result. A C++ driver compiled with g++ -Wall -Wextra -Werror answers the
 *  queries; small formats are checked on every pair of codes. */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect } from 'vitest';
import { createRng } from '../../src/dse/prng.js';
import { renderHls } from '../../src/emit/hls/render.js';
import { decodeFloat, encodeFloat, fixedCast, fixedFormat, fixedRange, floatFormat, type FixedFormat, type FloatFormat } from '../../src/ir/numformats.js';
import { hasTool, testWithTool } from '../helpers/tools.js';
import { tempDir } from '../helpers/tmp.js';

const QS = { truncate: 'FX_TRN', 'half-up': 'FX_RND', 'half-even': 'FX_RND_CONV' } as const;
const FIXED: FixedFormat[] = [];
for (const [w, i] of [[1, 1], [4, -2], [8, 3], [12, 0], [24, 20], [32, 9], [32, -32], [9, 9]] as const)
  for (const signed of [true, false]) for (const rounding of ['truncate', 'half-up', 'half-even'] as const) for (const overflow of ['wrap', 'saturate'] as const)
    FIXED.push(fixedFormat(w, i, { signed, rounding, overflow }));

const FLOATS: FloatFormat[] = [
  floatFormat(3, 2, { overflow: 'inf' }), // 0: IEEE specials, overflow to inf
  floatFormat(4, 3, { specials: 'fn' }), // 1: FP8 E4M3
  floatFormat(4, 0, { bias: 17, specials: 'none' }), // 2: what adequate wordlength makes (M = 0)
  floatFormat(2, 1, { specials: 'none' }), // 3
  floatFormat(3, 2, { subnormals: false, specials: 'none' }), // 4: no subnormals
  floatFormat(5, 10, { overflow: 'inf' }), // 5: half precision
  floatFormat(8, 23, { bias: 120, specials: 'none' }), // 6: float32-sized activations
  floatFormat(7, 24, { bias: 60, specials: 'none' }), // 7: the widest accumulator (M = 24)
  floatFormat(4, 2, { bias: 13, specials: 'none' }), // 8: a tuned accumulator
  floatFormat(6, 5, { subnormals: false }), // 9: IEEE specials without subnormals, saturating
  floatFormat(4, 3, { bias: 3, specials: 'fn', overflow: 'inf' }), // 10: fn overflows to NaN
];
/** Product formats (A, B, C): exhaustive when A and B have at most 8 bits. */
const MULS: [number, number, number][] = [[0, 0, 0], [1, 2, 8], [2, 2, 8], [3, 4, 0], [4, 1, 3], [1, 1, 10], [0, 3, 9], [5, 5, 6], [6, 6, 7], [5, 6, 5], [9, 9, 0], [6, 2, 7]];
const CASTS: [number, number][] = [[0, 1], [1, 0], [2, 8], [8, 2], [4, 3], [6, 5], [5, 6], [7, 2], [10, 9], [9, 10], [3, 7]];

const fixedType = (f: FixedFormat) => `adq::fixed_code<${f.width}, ${f.intBits}, ${f.signed}, adq::${QS[f.rounding]}, adq::${f.overflow === 'wrap' ? 'FX_WRAP' : 'FX_SAT'}>`;
const floatType = (f: FloatFormat) =>
  `adq::float_format<${f.expBits}, ${f.mantBits}, ${f.bias}, ${f.subnormals}, adq::${{ ieee: 'FP_IEEE', fn: 'FP_FN', none: 'FP_NONE' }[f.specials]}, adq::${f.overflow === 'inf' ? 'FP_INF' : 'FP_SAT'}>`;
const bitsOf = (f: FloatFormat) => 1 + f.expBits + f.mantBits;

function driverSource(): string {
  const cases = (list: readonly string[]) => list.map((c, i) => `    case ${i}: ${c}`).join('\n');
  const sw = (name: string, sig: string, body: readonly string[], ret: string) => `static ${ret} ${name}(${sig}) {\n  switch (i) {\n${cases(body)}\n  }\n  return 0;\n}`;
  return `#include "adequate_types.h"
#include <inttypes.h>
#include <stdio.h>
${sw('fx_cast', 'int i, int64_t c, int from_f', FIXED.map((f) => `return ${fixedType(f)}::cast(c, from_f);`), 'int64_t')}
${sw('fx_step', 'int i, int64_t acc, int64_t p, int s', FIXED.map((f) => `return ${fixedType(f)}::add(acc, ${fixedType(f)}::scale(p, s));`), 'int64_t')}
${sw('fp_mul', 'int i, uint32_t a, uint32_t b', MULS.map(([a, b, c]) => `return ${floatType(FLOATS[c]!)}::mul<${floatType(FLOATS[a]!)}, ${floatType(FLOATS[b]!)} >(a, b);`), 'uint32_t')}
${sw('fp_add', 'int i, uint32_t a, uint32_t b', FLOATS.map((f) => `return ${floatType(f)}::add(a, b);`), 'uint32_t')}
${sw('fp_cast', 'int i, uint32_t c', CASTS.map(([to, from]) => `return ${floatType(FLOATS[to]!)}::cast<${floatType(FLOATS[from]!)} >(c);`), 'uint32_t')}
${sw('fp_max', 'int i, uint32_t a, uint32_t b', FLOATS.map((f) => `return ${floatType(f)}::max_of(a, b);`), 'uint32_t')}
${sw('fp_min', 'int i, uint32_t a, uint32_t b', FLOATS.map((f) => `return ${floatType(f)}::min_of(a, b);`), 'uint32_t')}
int main() {
  char op;
  int i;
  while (scanf(" %c %d", &op, &i) == 2) {
    if (op == 'K') {
      int64_t c; int f;
      if (scanf("%" SCNd64 " %d", &c, &f) != 2) return 2;
      printf("%" PRId64 "\\n", fx_cast(i, c, f));
    } else if (op == 'A') {
      int64_t acc, p; int s;
      if (scanf("%" SCNd64 " %" SCNd64 " %d", &acc, &p, &s) != 3) return 2;
      printf("%" PRId64 "\\n", fx_step(i, acc, p, s));
    } else {
      uint32_t a, b = 0;
      if (scanf("%" SCNu32, &a) != 1 || (op != 'V' && scanf("%" SCNu32, &b) != 1)) return 2;
      const uint32_t r = op == 'M' ? fp_mul(i, a, b) : op == 'P' ? fp_add(i, a, b) : op == 'V' ? fp_cast(i, a) : op == 'X' ? fp_max(i, a, b) : fp_min(i, a, b);
      printf("%" PRIu32 "\\n", r);
    }
  }
  return 0;
}
`;
}

/** round(v / 2^s) in a fixed rounding mode, exactly (BigInt); s <= 0 multiplies. */
function scaleRef(v: bigint, s: number, rounding: FixedFormat['rounding']): bigint {
  if (s <= 0) return v << BigInt(-s);
  const f = v >> BigInt(s); // floor
  const r = v - (f << BigInt(s)), half = 1n << BigInt(s - 1);
  if (rounding === 'truncate') return f;
  if (rounding === 'half-up') return r >= half ? f + 1n : f;
  return r > half || (r === half && (f & 1n) === 1n) ? f + 1n : f;
}
function overflowRef(n: bigint, f: FixedFormat): bigint {
  const { min, max } = fixedRange(f);
  if (n >= BigInt(min) && n <= BigInt(max)) return n;
  if (f.overflow === 'saturate') return n < BigInt(min) ? BigInt(min) : BigInt(max);
  return f.signed ? BigInt.asIntN(f.width, n) : BigInt.asUintN(f.width, n);
}

let exe = '';
async function ask(queries: readonly string[]): Promise<string[]> {
  const out = await new Promise<string>((resolve, reject) => {
    const child = execFile(exe, { encoding: 'utf8', maxBuffer: 512 << 20 }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
    child.stdin!.end(queries.join('\n') + '\n');
  });
  const lines = out.trim().split('\n');
  expect(lines.length).toBe(queries.length);
  return lines;
}

function expectSame(queries: readonly string[], got: readonly string[], want: readonly string[]): void {
  expect(got.length).toBe(want.length);
  const bad = got.flatMap((g, i) => (g === want[i] ? [] : [{ query: queries[i], got: g, want: want[i] }])).slice(0, 5);
  expect(bad).toEqual([]);
  expect(got.length).toBeGreaterThan(0);
}

/** Codes of a float format: all of them when there are at most 2^8, else a sample rich in edges (zeros, the
 *  smallest subnormals and normals, the top binade) and codes near each other in exponent. */
function codesOf(f: FloatFormat, rnd: () => number, n: number): number[] {
  const total = 2 ** bitsOf(f);
  if (total <= 256) return Array.from({ length: total }, (_, c) => c);
  const sign = 2 ** (f.expBits + f.mantBits), binade = 2 ** f.mantBits;
  const edges = [0, 1, 2, binade - 1, binade, binade + 1, sign - 1, sign - 2, sign - binade, 3 * binade + 5];
  const out = [...edges, ...edges.map((c) => c + sign)];
  while (out.length < n) out.push(Math.floor(rnd() * total));
  return out;
}

describe('adequate_types.h: integer-code arithmetic of word-length-tuned layers', () => {
  beforeAll(async () => {
    if (!hasTool('g++')) return;
    const dir = tempDir('adequate-hls-tuned-');
    writeFileSync(join(dir, 'adequate_types.h'), renderHls('adequate_types.h', {}));
    writeFileSync(join(dir, 'driver.cpp'), driverSource());
    exe = join(dir, 'driver');
    await promisify(execFile)('g++', ['-std=c++17', '-O1', '-Wall', '-Wextra', '-Werror', '-o', exe, join(dir, 'driver.cpp')], { cwd: dir });
  }, 240_000);

  testWithTool('g++', `fixed_code: casts match fixedCast and accumulation steps the BigInt reference on ${FIXED.length} formats`, async () => {
    const rng = createRng(3), rnd = () => rng.float();
    const queries: string[] = [], want: string[] = [];
    FIXED.forEach((f, i) => {
      const F = f.width - f.intBits;
      // Casts from codes of a fixed<24, 24 - G> (every G from 0 to 56 the format allows) against numformats.ts.
      for (let k = 0; k < 300; k++) {
        const fromF = Math.floor(rnd() * 57), from = fixedFormat(24, 24 - fromF);
        const tie = fromF > F ? (Math.floor((rnd() * 2 - 1) * 2 ** 10) * 2 + 1) * 2 ** Math.min(12, fromF - F - 1) : 0;
        for (const c of [Math.floor((rnd() * 2 - 1) * 2 ** 23), tie]) {
          queries.push(`K ${i} ${c} ${fromF}`);
          want.push(String(fixedCast(c, from, f)));
        }
      }
      // Accumulation steps: acc in the code range, products of up to 48 bits, shifts from -70 to 120.
      const { min, max } = fixedRange(f);
      for (let k = 0; k < 600; k++) {
        const acc = min + Math.floor(rnd() * (max - min + 1));
        const p = BigInt(Math.floor((rnd() * 2 - 1) * 2 ** Math.floor(rnd() * 48)));
        const s = k % 5 === 0 ? Math.floor(rnd() * 191) - 70 : Math.floor(rnd() * 30) - 10;
        const tie = k % 7 === 0 && s > 0 ? (p | 1n) << BigInt(s - 1) : p;
        const pp = tie > 2n ** 61n || tie < -(2n ** 61n) ? p : tie;
        queries.push(`A ${i} ${acc} ${pp} ${s}`);
        want.push(String(overflowRef(BigInt(acc) + scaleRef(pp, s, f.rounding), f)));
      }
    });
    expectSame(queries, await ask(queries), want);
  });

  testWithTool('g++', `float_format: products into ${MULS.length} format triples (every code pair of the small ones) match encodeFloat of the exact product`, async () => {
    const rng = createRng(4), rnd = () => rng.float();
    const queries: string[] = [], want: string[] = [];
    MULS.forEach(([ai, bi, ci], i) => {
      const A = FLOATS[ai]!, B = FLOATS[bi]!, C = FLOATS[ci]!;
      const as = codesOf(A, rnd, 300), bs = codesOf(B, rnd, 300);
      for (const a of as)
        for (const b of bs) {
          queries.push(`M ${i} ${a} ${b}`);
          want.push(String(encodeFloat(decodeFloat(a, A) * decodeFloat(b, B), C)));
        }
    });
    expectSame(queries, await ask(queries), want);
  });

  testWithTool('g++', `float_format: sums on ${FLOATS.length} formats (every code pair of the small ones) match the golden model's float64 sum rounded once`, async () => {
    const rng = createRng(5), rnd = () => rng.float();
    const queries: string[] = [], want: string[] = [];
    FLOATS.forEach((f, i) => {
      const cs = codesOf(f, rnd, 400);
      const pairs: [number, number][] = cs.flatMap((a) => cs.slice(0, bitsOf(f) <= 8 ? cs.length : 60).map((b): [number, number] => [a, b]));
      if (bitsOf(f) > 8) {
        // Near cancellations and near-equal exponents, where the alignment matters most.
        const sign = 2 ** (f.expBits + f.mantBits);
        for (let k = 0; k < 20000; k++) {
          const a = Math.floor(rnd() * sign), d = Math.floor(rnd() * 2 ** Math.floor(rnd() * (f.mantBits + 12)));
          const b = Math.max(0, Math.min(sign - 1, a + (rnd() < 0.5 ? d : -d)));
          pairs.push([a, b + (rnd() < 0.6 ? sign : 0)], [a + sign, b]);
        }
      }
      for (const [a, b] of pairs) {
        queries.push(`P ${i} ${a} ${b}`);
        want.push(String(encodeFloat(decodeFloat(a, f) + decodeFloat(b, f), f)));
      }
    });
    expectSame(queries, await ask(queries), want);
  });

  testWithTool('g++', 'float_format: casts between formats, and max/min as JavaScript computes them (signed zeros, NaN)', async () => {
    const rng = createRng(6), rnd = () => rng.float();
    const queries: string[] = [], want: string[] = [];
    CASTS.forEach(([to, from], i) => {
      for (const c of codesOf(FLOATS[from]!, rnd, 5000)) {
        queries.push(`V ${i} ${c}`);
        want.push(String(encodeFloat(decodeFloat(c, FLOATS[from]!), FLOATS[to]!)));
      }
    });
    FLOATS.forEach((f, i) => {
      // Canonical codes only (what roundings make; a saturating format never holds its infinity code).
      const cs = codesOf(f, rnd, 200).slice(0, 200).filter((c) => Number.isNaN(decodeFloat(c, f)) || encodeFloat(decodeFloat(c, f), f) === c);
      for (const a of cs)
        for (const b of cs.slice(0, 40)) {
          const x = decodeFloat(a, f), y = decodeFloat(b, f);
          queries.push(`X ${i} ${a} ${b}`, `N ${i} ${a} ${b}`);
          want.push(String(encodeFloat(Math.max(x, y), f)), String(encodeFloat(Math.min(x, y), f)));
        }
    });
    expectSame(queries, await ask(queries), want);
  });
});
