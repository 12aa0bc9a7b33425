/** adequate_types.h (the standard-C++ side) against the TypeScript arithmetic (src/ir/arith.ts, numformats.ts, the
 *  BigInt reference): a C++ driver compiled with g++ -Wall -Wextra -Werror answers requantization, rounding,
 *  fixed-point and custom-float queries, exhaustively on small formats and on many random values. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect } from 'vitest';
import { mulShiftRoundRef, requantizeRef, type Requant, type RoundingMode } from '../../src/ir/arith.js';
import { roundDiv } from '../../src/ir/arith-rounding.js';
import {
  FP8_E4M3, FP8_E5M2, decodeFloat, encodeFloat, fixedCast, fixedFormat, fixedRange, fixedStep, floatFormat, quantizeFixed,
  type FixedFormat, type FloatFormat,
} from '../../src/ir/numformats.js';
import { createRng } from '../../src/dse/prng.js';
import { renderHls } from '../../src/emit/hls/render.js';
import { testWithTool, hasTool } from '../helpers/tools.js';
import { tempDir } from '../helpers/tmp.js';

const QS = { truncate: 'FX_TRN', 'half-up': 'FX_RND', 'half-even': 'FX_RND_CONV' } as const;
const FIXED: FixedFormat[] = [];
for (const [w, i] of [[1, 1], [4, 2], [4, -2], [6, 6], [8, 0], [12, 4], [32, 16], [32, -32], [20, 20]] as const)
  for (const signed of [true, false]) for (const rounding of ['truncate', 'half-up', 'half-even'] as const) for (const overflow of ['wrap', 'saturate'] as const)
    FIXED.push(fixedFormat(w, i, { signed, rounding, overflow }));
const FLOATS: FloatFormat[] = [
  FP8_E4M3, FP8_E5M2, floatFormat(3, 2), floatFormat(3, 2, { subnormals: false }), floatFormat(2, 1, { specials: 'none' }),
  floatFormat(4, 0, { specials: 'none' }), floatFormat(5, 10, { overflow: 'inf' }), floatFormat(8, 23, { overflow: 'inf' }),
  floatFormat(4, 3, { bias: 3, specials: 'fn', overflow: 'inf' }), floatFormat(6, 5, { subnormals: false, specials: 'none' }),
];

/** (target, source) format index pairs for casts: every small source format, each to one other format. */
const CAST_PAIRS: [number, number][] = FIXED.flatMap((f, j) => (f.width <= 8 ? [[(j * 7 + 3) % FIXED.length, j] as [number, number]] : []));
const fixedType = (f: FixedFormat) => `adq::fixed<${f.width}, ${f.intBits}, ${f.signed}, adq::${QS[f.rounding]}, adq::${f.overflow === 'wrap' ? 'FX_WRAP' : 'FX_SAT'}>::type`;
const floatType = (f: FloatFormat) =>
  `adq::float_format<${f.expBits}, ${f.mantBits}, ${f.bias}, ${f.subnormals}, adq::${{ ieee: 'FP_IEEE', fn: 'FP_FN', none: 'FP_NONE' }[f.specials]}, adq::${f.overflow === 'inf' ? 'FP_INF' : 'FP_SAT'}>`;

/** The driver: one query per input line, one answer per output line. Doubles travel as 16 hex digits of their bits. */
function driverSource(): string {
  const fx = FIXED.map((f, i) => `    case ${i}: { typedef ${fixedType(f)} T; return adq::fixed_from_double<T>(x).code; }`).join('\n');
  const cast = CAST_PAIRS.map(([to, from], p) => `    case ${p}: { typedef ${fixedType(FIXED[from]!)} From; return adq::fixed_cast<${fixedType(FIXED[to]!)}>(From::from_code(c)).code; }`).join('\n');
  const enc = FLOATS.map((f, i) => `    case ${i}: return ${floatType(f)}::encode(x);`).join('\n');
  const dec = FLOATS.map((f, i) => `    case ${i}: return ${floatType(f)}::decode(c);`).join('\n');
  return `#include "adequate_types.h"
#include <stdio.h>
#include <inttypes.h>
static double from_bits(uint64_t b) { double d; memcpy(&d, &b, 8); return d; }
static uint64_t to_bits(double d) { uint64_t b; memcpy(&b, &d, 8); return b; }
static int64_t fixed_q(int i, double x) {
  switch (i) {
${fx}
  }
  return 0;
}
static int64_t fixed_c(int pair, int64_t c) {
  switch (pair) {
${cast}
  }
  return 0;
}
static uint32_t float_e(int i, double x) {
  switch (i) {
${enc}
  }
  return 0;
}
static double float_d(int i, uint32_t c) {
  switch (i) {
${dec}
  }
  return 0;
}
int main() {
  char op;
  while (scanf(" %c", &op) == 1) {
    if (op == 'R') {
      int32_t acc, m, zo, lo, hi; int s, even;
      if (scanf("%" SCNd32 " %" SCNd32 " %d %" SCNd32 " %" SCNd32 " %" SCNd32 " %d", &acc, &m, &s, &zo, &lo, &hi, &even) != 7) return 2;
      printf("%" PRId32 "\\n", adq::requantize(acc, m, s, zo, lo, hi, even != 0));
    } else if (op == 'S') {
      int64_t p; int t, even;
      if (scanf("%" SCNd64 " %d %d", &p, &t, &even) != 3) return 2;
      printf("%" PRId64 "\\n", adq::round_shift(p, t, even != 0));
    } else if (op == 'D') {
      int64_t n, d; int even;
      if (scanf("%" SCNd64 " %" SCNd64 " %d", &n, &d, &even) != 3) return 2;
      printf("%" PRId64 "\\n", adq::round_div(n, d, even != 0));
    } else if (op == 'X') {
      int i; uint64_t b;
      if (scanf("%d %" SCNx64, &i, &b) != 2) return 2;
      printf("%" PRId64 "\\n", fixed_q(i, from_bits(b)));
    } else if (op == 'C') {
      int p; int64_t c;
      if (scanf("%d %" SCNd64, &p, &c) != 2) return 2;
      printf("%" PRId64 "\\n", fixed_c(p, c));
    } else if (op == 'F') {
      int i; uint64_t b;
      if (scanf("%d %" SCNx64, &i, &b) != 2) return 2;
      printf("%" PRIu32 "\\n", float_e(i, from_bits(b)));
    } else if (op == 'G') {
      int i; uint32_t c;
      if (scanf("%d %" SCNu32, &i, &c) != 2) return 2;
      printf("%016" PRIx64 "\\n", to_bits(float_d(i, c)));
    } else return 3;
  }
  return 0;
}
`;
}

const bitsHex = (x: number): string => {
  const v = new DataView(new ArrayBuffer(8));
  v.setFloat64(0, x);
  return v.getBigUint64(0).toString(16).padStart(16, '0');
};
const fromHex = (h: string): number => {
  const v = new DataView(new ArrayBuffer(8));
  v.setBigUint64(0, BigInt('0x' + h));
  return v.getFloat64(0);
};

let exe = '';
/** Runs queries through the driver; returns one answer per query. */
async function ask(queries: readonly string[]): Promise<string[]> {
  const out = await new Promise<string>((resolve, reject) => {
    const child = execFile(exe, { encoding: 'utf8', maxBuffer: 256 << 20 }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
    child.stdin!.end(queries.join('\n') + '\n');
  });
  const lines = out.trim().split('\n');
  expect(lines.length).toBe(queries.length);
  return lines;
}

describe('adequate_types.h against the TypeScript arithmetic', () => {
  beforeAll(async () => {
    if (!hasTool('g++')) return;
    const dir = tempDir('adequate-hls-types-');
    writeFileSync(join(dir, 'adequate_types.h'), renderHls('adequate_types.h', {}));
    writeFileSync(join(dir, 'driver.cpp'), driverSource());
    exe = join(dir, 'driver');
    await promisify(execFile)('g++', ['-std=c++17', '-O1', '-Wall', '-Wextra', '-Werror', '-o', exe, join(dir, 'driver.cpp')], { cwd: dir });
  }, 240_000);

  testWithTool('g++', 'requantize and round_shift match the BigInt reference on edges and 20,000 random cases', async () => {
    const rng = createRng(7), rnd = () => rng.float();
    const queries: string[] = [], expected: string[] = [];
    const edgesAcc = [0, 1, -1, 2, -2, 3, -3, 2 ** 31 - 1, -(2 ** 31), 2 ** 22, -(2 ** 22) - 1, 12345, -98765];
    const edgesM = [0, 2 ** 30, 2 ** 31 - 1, 1518500250, 2 ** 30 + 1];
    const cases: [number, number, number][] = [];
    for (const a of edgesAcc) for (const m of edgesM) for (let s = -31; s <= 40; s++) cases.push([a, m, s]);
    for (let i = 0; i < 20000; i++) {
      const a = Math.floor((rnd() * 2 - 1) * 2 ** Math.floor(rnd() * 32));
      cases.push([a, 2 ** 30 + Math.floor(rnd() * 2 ** 30), Math.floor(rnd() * 50) - 10]);
    }
    for (const [acc, m, s] of cases)
      for (const mode of ['half-away', 'half-even'] as RoundingMode[]) {
        const r: Requant = { mantissa: m, shift: s, rounding: mode, zeroPoint: 3, lo: -40000, hi: 70000 };
        queries.push(`R ${acc} ${m} ${s} 3 -40000 70000 ${mode === 'half-even' ? 1 : 0}`);
        expected.push(String(requantizeRef(BigInt(acc), r)));
        // Ties: p = odd * 2^(t-1) exactly.
        const t = 1 + Math.floor(rnd() * 40), p = BigInt(Math.floor(rnd() * 2 ** 20) * 2 + 1) << BigInt(t - 1);
        const sp = rnd() < 0.5 ? -p : p;
        queries.push(`S ${sp} ${t} ${mode === 'half-even' ? 1 : 0}`);
        expected.push(String(mulShiftRoundRef(sp, 1n, t - 31, mode)));
      }
    expectSame(queries, await ask(queries), expected);
  });

  testWithTool('g++', 'round_div matches roundDiv (QAveragePool) on every numerator in [-300, 300] and denominators 1..30', async () => {
    const queries: string[] = [], expected: string[] = [];
    for (let d = 1; d <= 30; d++)
      for (let n = -300; n <= 300; n++)
        for (const mode of ['half-away', 'half-even'] as RoundingMode[]) {
          queries.push(`D ${n} ${d} ${mode === 'half-even' ? 1 : 0}`);
          expected.push(String(roundDiv(n, d, mode)));
        }
    expectSame(queries, await ask(queries), expected);
  });

  testWithTool('g++', `fixed<W,I> quantization matches quantizeFixed on ${FIXED.length} formats: every code, tie and quarter step of small ones, random values`, async () => {
    const rng = createRng(11), rnd = () => rng.float();
    const queries: string[] = [], expected: number[] = [];
    FIXED.forEach((f, i) => {
      const { min, max } = fixedRange(f), step = fixedStep(f);
      const xs: number[] = [NaN, Infinity, -Infinity, 0, -0, 1e300, -1e300, 5e-324];
      if (f.width <= 12) for (let c = min - 3; c <= max + 3; c++) xs.push(c * step, (c + 0.5) * step, (c + 0.25) * step, (c - 0.25) * step);
      for (let k = 0; k < 400; k++) xs.push((rnd() * 2 - 1) * step * 2 ** (rnd() * (f.width + 4)));
      for (const x of xs) {
        queries.push(`X ${i} ${bitsHex(x)}`);
        expected.push(quantizeFixed(x, f));
      }
    });
    expectSame(queries, (await ask(queries)).map(Number), expected);
  });

  testWithTool('g++', 'fixed casts match fixedCast between formats, on every code of the small source formats', async () => {
    const queries: string[] = [], expected: number[] = [];
    CAST_PAIRS.forEach(([i, j], p) => {
      const from = FIXED[j]!, to = FIXED[i]!;
      const { min, max } = fixedRange(from);
      for (let c = min; c <= max; c++) {
        queries.push(`C ${p} ${c}`);
        expected.push(fixedCast(c, from, to));
      }
    });
    expectSame(queries, (await ask(queries)).map(Number), expected);
  });

  testWithTool('g++', `float<E,M> encode/decode match numformats.ts on ${FLOATS.length} formats: every code, neighbours of every midpoint, random values`, async () => {
    const rng = createRng(5), rnd = () => rng.float();
    const decQ: string[] = [], decE: number[] = [];
    const encQ: string[] = [], encE: number[] = [];
    FLOATS.forEach((f, i) => {
      const codes = 2 ** (1 + f.expBits + f.mantBits);
      const all = codes <= 2 ** 16;
      const sample = all ? Array.from({ length: codes }, (_, c) => c) : Array.from({ length: 4000 }, () => Math.floor(rnd() * codes));
      const values = sample.map((c) => decodeFloat(c, f));
      sample.forEach((c) => {
        decQ.push(`G ${i} ${c}`);
        decE.push(decodeFloat(c, f));
      });
      const xs: number[] = [NaN, Infinity, -Infinity, 0, -0, 5e-324, 1e308, -1e-308];
      const finite = [...new Set(values.filter((v) => Number.isFinite(v)))].sort((a, b) => a - b);
      for (let k = 0; k + 1 < finite.length; k++) {
        const mid = (finite[k]! + finite[k + 1]!) / 2;
        xs.push(finite[k]!, mid, nextDouble(mid, 1), nextDouble(mid, -1));
      }
      const top = finite.at(-1)!;
      xs.push(top * 1.01, top * 1.5, top * 2, -top * 1.04);
      for (let k = 0; k < 3000; k++) xs.push((rnd() < 0.5 ? -1 : 1) * 2 ** ((rnd() * 2 - 1) * (2 ** (f.expBits - 1) + f.mantBits + 4)) * (1 + rnd()));
      for (const x of xs) {
        encQ.push(`F ${i} ${bitsHex(x)}`);
        encE.push(encodeFloat(x, f));
      }
    });
    expectSame(encQ, (await ask(encQ)).map(Number), encE);
    const got = (await ask(decQ)).map(fromHex);
    const show = (v: number) => (Number.isNaN(v) ? 'NaN' : Object.is(v, -0) ? '-0' : v);
    expectSame(decQ, got.map(show), decE.map(show));
    // float<8,23> with inf overflow is IEEE float32: Math.fround on random doubles is the independent reference.
    const i32 = FLOATS.findIndex((f) => f.expBits === 8 && f.mantBits === 23);
    const xs = Array.from({ length: 2000 }, () => (rnd() - 0.5) * 2 ** ((rnd() * 2 - 1) * 140));
    const codes = (await ask(xs.map((x) => `F ${i32} ${bitsHex(x)}`))).map(Number);
    const f32 = new DataView(new ArrayBuffer(4));
    expectSame(xs.map(String), codes, xs.map((x) => (f32.setFloat32(0, x), f32.getUint32(0))));
  });
});

/** Equal answers, reporting the first few differing queries (a whole-array diff of 10^5 lines takes minutes). */
function expectSame(queries: readonly string[], got: readonly unknown[], want: readonly unknown[]): void {
  expect(got.length).toBe(want.length);
  const bad = got.flatMap((g, i) => (g === want[i] ? [] : [{ query: queries[i], got: g, want: want[i] }])).slice(0, 5);
  expect(bad).toEqual([]);
  expect(got.length).toBeGreaterThan(0);
}

function nextDouble(x: number, dir: 1 | -1): number {
  const v = new DataView(new ArrayBuffer(8));
  v.setFloat64(0, x);
  let b = v.getBigInt64(0);
  if (x === 0) return dir * 5e-324;
  b += (x > 0 ? 1n : -1n) * BigInt(dir);
  v.setBigInt64(0, b);
  return v.getFloat64(0);
}
