/** Generated families against behavioural definitions written independently of the netlist generator, the
 *  bit-parallel evaluator against a per-pair simulation, and closed-form metrics of a truncated multiplier. */
import { describe, expect, test } from 'vitest';
import { exhaustiveTable } from '../../src/multipliers/evaluate.js';
import { generate, parseSpecId, specId, type FamilySpec } from '../../src/multipliers/families.js';
import { builtinSpecs } from '../../src/multipliers/library.js';
import { computeMetrics } from '../../src/multipliers/metrics.js';
import { sext16, sext8, simulatePair } from './reference.js';

const tableOf = (id: string): Int32Array => {
  const s = parseSpecId(id)!;
  return exhaustiveTable(generate(s), s.signed);
};

function expectTable(id: string, f: (a: number, b: number) => number): void {
  const t = tableOf(id);
  let bad = 0;
  for (let a = 0; a < 256; a++) for (let b = 0; b < 256; b++) if (t[a * 256 + b] !== f(a, b)) bad++;
  expect(bad, `${id}: mismatching products`).toBe(0);
}

describe('exact multipliers', () => {
  test('unsigned table is a * b', () => expectTable('exact-u8', (a, b) => a * b));
  test('signed table is the product of two\'s-complement codes', () => expectTable('exact-s8', (a, b) => sext8(a) * sext8(b)));
  test('metrics of exact multipliers are all zero', () => {
    for (const id of ['exact-u8', 'exact-s8']) for (const v of Object.values(computeMetrics(tableOf(id), id.includes('s8')))) expect(v).toBe(0);
  });
});

describe('approximate families match their behavioural definitions', () => {
  const ppSum = (a: number, b: number, keep: (i: number, j: number) => boolean): number => {
    let s = 0;
    for (let i = 0; i < 8; i++) for (let j = 0; j < 8; j++) if (keep(i, j)) s += ((a >> i) & 1) * ((b >> j) & 1) * 2 ** (i + j);
    return s;
  };
  test('truncation drops partial-product columns < k', () => expectTable('trunc-u8-k7', (a, b) => ppSum(a, b, (i, j) => i + j >= 7)));
  test('broken array drops pp(i,j) with i + j < v or j < h', () => expectTable('bam-u8-v6h2', (a, b) => ppSum(a, b, (i, j) => i + j >= 6 && j >= 2)));
  test('operand truncation zeroes low operand bits (unsigned and signed)', () => {
    expectTable('optrunc-u8-a2b3', (a, b) => (a & ~3) * (b & ~7));
    expectTable('optrunc-s8-a2b3', (a, b) => sext8(a & ~3) * sext8(b & ~7));
  });
  test('signed truncation with correction: the exact product minus dropped bits plus a constant', () => {
    // Baugh-Wooley rows: pp(i,j) for i,j < 7 and (7,7) are ANDs, the others NANDs; dropped bits are columns < 8 here.
    // Correction = round(sum of dropped bits' means): columns 0..7 hold only AND bits (p = 1/4) except
    // NAND bits pp(7,0) (column 7) and pp(0,7): 0.25 * (sum_{c<7} (c+1) 2^c) + 0.25 * 6 * 128 + 2 * 0.75 * 128.
    const corr = Math.round(0.25 * [...Array(7).keys()].reduce((s, c) => s + (c + 1) * 2 ** c, 0) + 0.25 * 6 * 128 + 1.5 * 128);
    expectTable('trunc-s8-k8c', (a, b) => {
      const x = sext8(a), y = sext8(b);
      let dropped = 0; // value of the dropped BW bits, as in the Baugh-Wooley sum
      for (let i = 0; i < 8; i++)
        for (let j = 0; j < 8; j++) {
          if (i + j >= 8) continue;
          const bit = ((a >> i) & 1) & ((b >> j) & 1);
          dropped += ((i === 7) !== (j === 7) ? 1 - bit : bit) * 2 ** (i + j);
        }
      return sext16(x * y - dropped + corr);
    });
  });
  test('DRUM keeps k bits from the leading one with the lowest forced to 1', () => {
    for (const k of [3, 5]) expectTable(`drum-u8-k${k}`, (a, b) => drumRef(a, k) * drumRef(b, k));
    expectTable('drum-u8-k8', (a, b) => a * b);
  });
  test('signed DRUM is sign-magnitude around the unsigned DRUM', () => {
    for (const k of [3, 4, 6]) expectTable(`drum-s8-k${k}`, (a, b) => signMag(a, b, (x, y) => drumRef(x, k) * drumRef(y, k)));
    expectTable('drum-s8-k8', (a, b) => sext8(a) * sext8(b));
  });
});

/** DRUM's operand approximation: the k bits from the leading one, the lowest forced to 1 when bits were dropped. */
function drumRef(x: number, k: number): number {
  if (x < 2 ** k) return x;
  const s = 31 - Math.clz32(x) - k + 1;
  return ((x >> s) | 1) * 2 ** s;
}

/** Mitchell's product from its definition in real arithmetic: log2 x ~ k + f with x = 2^k (1 + f), the fraction f
 *  cut to w bits; antilog of k1 + k2 + f1 + f2 with 2^f ~ 1 + f, so 2^(k1+k2) (1 + f1 + f2) when f1 + f2 < 1 and
 *  2^(k1+k2+1) (f1 + f2) otherwise; the integer part is the product (floating point is exact here: dyadic values). */
function mitchellRef(a: number, b: number, w: number): number {
  if (a === 0 || b === 0) return 0;
  const k1 = Math.floor(Math.log2(a)), k2 = Math.floor(Math.log2(b));
  const frac = (x: number, k: number): number => Math.floor((x / 2 ** k - 1) * 2 ** w) / 2 ** w;
  const f = frac(a, k1) + frac(b, k2);
  return Math.floor(f < 1 ? 2 ** (k1 + k2) * (1 + f) : 2 ** (k1 + k2 + 1) * f);
}

/** Sign-magnitude product of two's-complement codes from an unsigned magnitude product. */
function signMag(a: number, b: number, mag: (x: number, y: number) => number): number {
  const x = sext8(a), y = sext8(b);
  const p = mag(Math.abs(x), Math.abs(y));
  return (x < 0) !== (y < 0) ? -p : p;
}

describe('Mitchell logarithmic multiplier', () => {
  test('equals the definition for every operand pair (unsigned, w = 7, 4, 0)', () => {
    for (const w of [7, 4, 0]) expectTable(`mitchell-u8-w${w}`, (a, b) => mitchellRef(a, b, w));
  });
  test('signed variant is sign-magnitude around it', () => {
    for (const w of [7, 3]) expectTable(`mitchell-s8-w${w}`, (a, b) => signMag(a, b, (x, y) => mitchellRef(x, y, w)));
  });
  test('cases worked by hand', () => {
    const t = tableOf('mitchell-u8-w7');
    // 3 x 3: log2 3 ~ 1.5 each, sum 3.0 -> 2^3 = 8 (the worst case of Mitchell: -1/9).
    expect(t[3 * 256 + 3]).toBe(8);
    // 3 x 5: 1.5 + 2.25 = 3.75 -> 2^3 x 1.75 = 14 (exact 15).
    expect(t[3 * 256 + 5]).toBe(14);
    // 200 x 100: 7 + 72/128 and 6 + 36/64: fractions 0.5625 + 0.5625 = 1.125 >= 1 -> 2^14 x 1.125 = 18432 (exact 20000).
    expect(t[200 * 256 + 100]).toBe(18432);
    // A power of two is exact in the log domain: x * 2^j is exact for every x.
    for (let x = 0; x < 256; x++) for (const j of [0, 3, 7]) expect(t[x * 256 + 2 ** j]).toBe(x * 2 ** j);
  });
  test('never overestimates, worst relative error 1/9 (Mitchell\'s bound)', () => {
    const m = computeMetrics(tableOf('mitchell-u8-w7'), false);
    expect(m.meanError).toBeLessThan(0);
    const t = tableOf('mitchell-u8-w7');
    let over = 0;
    for (let p = 0; p < 65536; p++) if (t[p]! > (p >> 8) * (p & 255)) over++;
    expect(over).toBe(0);
    expect(m.wcre).toBeCloseTo(1 / 9, 12);
  });
});

describe('closed-form metrics of a truncated multiplier (derived by hand)', () => {
  test('trunc-u8-k2: error = -(a0 b0 + 2 a0 b1 + 2 a1 b0)', () => {
    const m = computeMetrics(tableOf('trunc-u8-k2'), false);
    // E[a0 b0] = 1/4, E[2 a0 b1 + 2 a1 b0] = 1; the error is never positive, so MAE = -bias = 1.25.
    expect(m.meanError).toBeCloseTo(-1.25, 12);
    expect(m.mae).toBeCloseTo(1.25, 12);
    expect(m.wce).toBe(5); // all three bits set
    // P(no dropped bit set) over (a0, a1, b0, b1): a0 = 1 forces b0 = b1 = 0 (2 cases); a0 = 0 needs a1 b0 = 0 (6): 8/16.
    expect(m.errorProbability).toBeCloseTo(0.5, 12);
    // E[e^2]: e = -(x + 2y + 2z), x = a0b0, y = a0b1, z = a1b0; E[x]=E[y]=E[z]=1/4, E[xy]=E[xz]=1/8, E[yz]=1/16.
    const mse = 0.25 + 4 * 0.25 + 4 * 0.25 + 4 * 0.125 + 4 * 0.125 + 8 * (1 / 16);
    expect(m.mse).toBeCloseTo(mse, 12);
    expect(m.errorVariance).toBeCloseTo(mse - 1.25 ** 2, 12);
  });
  test('trunc-u8-kK: mean error = -sum_{c<K} (c+1) 2^c / 4 and WCE = 4x that', () => {
    for (const k of [4, 6, 8]) {
      const dropped = [...Array(k).keys()].reduce((s, c) => s + (c + 1) * 2 ** c, 0);
      const m = computeMetrics(tableOf(`trunc-u8-k${k}`), false);
      expect(m.meanError).toBeCloseTo(-dropped / 4, 9);
      expect(m.wce).toBe(dropped);
    }
  });
  test('constant correction removes the bias to within half an LSB of the rounding', () => {
    for (const k of [4, 6, 8, 10]) expect(Math.abs(computeMetrics(tableOf(`trunc-u8-k${k}c`), false).meanError)).toBeLessThanOrEqual(0.5);
  });
});

describe('netlists', () => {
  test('area falls as the approximation grows', () => {
    const gates = (id: string): number => generate(parseSpecId(id)!).gates.length;
    for (const fam of [['trunc-u8-k2', 'trunc-u8-k6', 'trunc-u8-k10', 'trunc-u8-k14'], ['optrunc-s8-a1b1', 'optrunc-s8-a3b3', 'optrunc-s8-a5b5'],
      ['drum-u8-k6', 'drum-u8-k4', 'drum-u8-k2'], ['drum-s8-k6', 'drum-s8-k3'], ['mitchell-u8-w7', 'mitchell-u8-w4', 'mitchell-u8-w0'], ['mitchell-s8-w7', 'mitchell-s8-w2']]) {
      const g = fam.map(gates);
      for (let i = 1; i < g.length; i++) expect(g[i]!, fam.join(' > ')).toBeLessThan(g[i - 1]!);
    }
  });
  test('bit-parallel evaluation equals per-pair simulation, exhaustively for a few and sampled for every built-in', () => {
    const check = (s: FamilySpec, pairs: Iterable<[number, number]>): void => {
      const n = generate(s), t = exhaustiveTable(n, s.signed);
      for (const [a, b] of pairs) {
        const raw = simulatePair(n, a, b);
        expect(t[a * 256 + b], `${specId(s)} at ${a},${b}`).toBe(s.signed ? sext16(raw) : raw);
      }
    };
    const all = function* (): Generator<[number, number]> { for (let p = 0; p < 65536; p++) yield [p >> 8, p & 255]; };
    const sample = function* (): Generator<[number, number]> { for (let p = 0; p < 65536; p += 251) yield [p >> 8, (p * 7) & 255]; };
    for (const id of ['exact-s8', 'trunc-u8-k6c', 'drum-u8-k4', 'mitchell-s8-w7']) check(parseSpecId(id)!, all());
    for (const s of builtinSpecs()) check(s, sample());
  });
  test('ids round-trip and bad ids are rejected', () => {
    for (const s of builtinSpecs()) expect(parseSpecId(specId(s))).toEqual(s);
    for (const bad of ['trunc-u8', 'trunc-u8-k16', 'drum-s8-k2', 'drum-u8-k9', 'mitchell-u8', 'mitchell-u8-w8', 'bam-u8-v8', 'exact-u8-k1', 'trunc-u8-k06'])
      expect(parseSpecId(bad)).toBeUndefined();
  });
});
