/** A small seeded PRNG of the project's own (xoshiro128**, seeded through splitmix32), so that a design-space
 *  exploration is reproducible bit for bit under `--seed` on every platform and Node version (Math.random is not
 *  seedable). All arithmetic is 32-bit (Math.imul, >>> 0); no floats except in `float()`. */

export interface Rng {
  /** A uniform 32-bit unsigned integer. */
  u32(): number;
  /** A uniform float in [0, 1) with 32 bits of randomness. */
  float(): number;
  /** A uniform integer in [0, n), n an integer in [1, 2^32]; unbiased (rejection sampling). */
  int(n: number): number;
}

function splitmix32(state: number): () => number {
  let s = state >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** xoshiro128** seeded with `seed` (any finite number; its low 32 bits and the next 32 bits are mixed in). */
export function createRng(seed: number): Rng {
  const lo = seed >>> 0;
  const hi = Math.floor(seed / 4294967296) >>> 0;
  const sm = splitmix32(lo ^ Math.imul(hi, 0x27d4eb2d));
  let a = sm(), b = sm(), c = sm(), d = sm();
  if ((a | b | c | d) === 0) a = 1; // the all-zero state is a fixed point
  const u32 = (): number => {
    const result = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11);
    return result;
  };
  const float = (): number => u32() / 4294967296;
  const int = (n: number): number => {
    if (!(Number.isInteger(n) && n >= 1 && n <= 4294967296)) throw new Error(`internal error: rng.int(${n})`);
    const limit = 4294967296 - (4294967296 % n); // accept u < limit: a whole number of copies of [0, n)
    for (;;) {
      const u = u32();
      if (u < limit) return u % n;
    }
  };
  return { u32, float, int };
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
