/** Relative power from switching activity, for netlists without a published power figure.
 *  Model: dynamic power ~ sum over nets of toggles x switched capacitance, with a net's capacitance taken as the
 *  driving gate's CMOS transistor count / 2 (internal nodes, Yosys' `stat -tech cmos` counts) plus its fanout (gate
 *  inputs it drives). Toggles are counted over a seeded random operand stream (uniform, or drawn from operand
 *  histograms), evaluated bit-parallel: lane l of word w carries vector l * W + w, so consecutive vectors of one
 *  stream sit in consecutive words and toggles are popcount(word[w] ^ word[w + 1]).
 *  The figure is normalised by the exact generated multiplier of the same signedness on the same stream. */
import { generate } from './families.js';
import { compile, evaluateWords } from './evaluate.js';
import type { OperandHistograms } from './metrics.js';
import { FIRST_GATE_NET, type GateNetlist, type GateOp } from './netlist.js';

const TRANSISTORS: Readonly<Record<GateOp, number>> = {
  BUF: 4, NOT: 2, AND: 6, NAND: 4, OR: 6, NOR: 4, XOR: 12, XNOR: 12, ANDNOT: 6, ORNOT: 6,
  MUX: 12, NMUX: 10, AOI3: 6, OAI3: 6, AOI4: 8, OAI4: 8,
};

const WORDS = 256; // 32 streams of 256 vectors each

function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A sampler of 8-bit codes: uniform, or by inverse CDF of a histogram. */
function sampler(rand: () => number, hist?: ArrayLike<number>): () => number {
  if (hist === undefined) return () => Math.floor(rand() * 256);
  const cdf = new Float64Array(256);
  let acc = 0;
  for (let i = 0; i < 256; i++) cdf[i] = acc += Math.max(0, hist[i] ?? 0);
  return () => {
    const x = rand() * acc;
    let i = 0;
    while (i < 255 && cdf[i]! <= x) i++;
    return i;
  };
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 0xff;
}

/** Switched capacitance per vector (arbitrary units) of a netlist over a seeded operand stream. */
export function switchingActivity(n: GateNetlist, hist?: OperandHistograms, seed = 1): number {
  const c = compile(n);
  const vals = new Int32Array(c.nets * WORDS);
  const rand = mulberry32(seed);
  const nextA = sampler(rand, hist?.a), nextB = sampler(rand, hist?.b);
  for (let l = 0; l < 32; l++)
    for (let w = 0; w < WORDS; w++) {
      const a = nextA(), b = nextB();
      for (let i = 0; i < 8; i++) {
        if ((a >> i) & 1) vals[(2 + i) * WORDS + w]! |= 1 << l;
        if ((b >> i) & 1) vals[(10 + i) * WORDS + w]! |= 1 << l;
      }
    }
  evaluateWords(c, vals, WORDS);
  const cap = new Float64Array(c.nets);
  n.gates.forEach((g, i) => {
    cap[FIRST_GATE_NET + i]! += TRANSISTORS[g.op] / 2;
    for (const x of g.in) cap[x]! += 1;
  });
  for (const o of n.outputs) cap[o]! += 1; // the output port's load
  let energy = 0;
  for (let net = 2; net < c.nets; net++) {
    if (cap[net] === 0) continue;
    let toggles = 0;
    for (let w = net * WORDS, end = w + WORDS - 1; w < end; w++) toggles += popcount(vals[w]! ^ vals[w + 1]!);
    energy += toggles * cap[net]!;
  }
  return energy / (32 * (WORDS - 1));
}

const exactActivity = new Map<boolean, number>();

/** Switching activity relative to the exact generated multiplier of the same signedness (uniform stream: cached). */
export function relativeSwitchingPower(n: GateNetlist, signed: boolean, hist?: OperandHistograms): number {
  const exactNet = (): GateNetlist => generate({ family: 'exact', signed });
  let ref = hist === undefined ? exactActivity.get(signed) : undefined;
  if (ref === undefined) {
    ref = switchingActivity(exactNet(), hist);
    if (hist === undefined) exactActivity.set(signed, ref);
  }
  return switchingActivity(n, hist) / ref;
}
