/** Accuracy of one word-length configuration on the tuning images: top-1 and the output noise (mean squared
 *  difference of the logits from the float model's), by the bit-true golden model of the tuned graph
 *  (src/passes/wordlength.ts + src/golden/wordlength/).
 *  Why a cache: searches change one variable at a time, so most configurations share their first layers with one
 *  evaluated before. The values live in front of each tuned layer are kept for every image, keyed by the precisions
 *  of the variables before that layer (the input's, then each earlier layer's four), and a configuration restarts
 *  at the last layer whose prefix is cached (least recently used entries go first beyond a memory budget). */
import { evalNode } from '../../golden/evaluate.js';
import { castInput } from '../../golden/wordlength/cast.js';
import type { Graph, Tensor } from '../../ir/types.js';
import { makeTensor, sizeOf } from '../../ir/types.js';
import { wordlengthPass } from '../../passes/wordlength.js';
import { formatsOf, type Config, type Space } from './space.js';

export interface Evaluation {
  readonly top1: number;
  readonly correct: number;
  /** Images evaluated. */
  readonly count: number;
  /** Images classified right by one of the float model and this configuration but not the other: the paired
   *  difference's spread (the standard error of the drop in top-1 is about sqrt(flips) / count). */
  readonly flips: number;
  /** Mean over images and outputs of (logit - float logit)^2. */
  readonly noise: number;
}

/** What one evaluator returns for its images: the count classified right and, per image, the sum over outputs of
 *  (logit - float logit)^2. Per image, so that slices evaluated on worker threads add up to exactly the sums of one
 *  thread (combine() adds them in image order). */
export interface SliceEvaluation {
  readonly correct: number;
  readonly flips: number;
  readonly noise: Float64Array;
}

/** One evaluation from the slices of the tuning images, in image order. */
export function combine(slices: readonly SliceEvaluation[], outSize: number): Evaluation {
  let correct = 0, flips = 0, noise = 0, count = 0;
  for (const s of slices) {
    correct += s.correct;
    flips += s.flips;
    count += s.noise.length;
    for (let n = 0; n < s.noise.length; n++) noise += s.noise[n]!;
  }
  return { top1: correct / count, correct, count, flips, noise: noise / (count * outSize) };
}

interface Cut {
  /** Index of the first node after the cut (a tuned layer). */
  readonly node: number;
  /** Values produced before the cut and read at or after it. */
  readonly live: readonly string[];
  /** Number of leading config entries that decide these values. */
  readonly prefix: number;
}

/** Memory for cached prefixes, shared by the evaluators of one search (one per worker thread). */
const CACHE_BYTES = 256 << 20;

export class Evaluator {
  evaluations = 0;
  /** Images the float model classifies right. */
  readonly floatCorrect: number;
  readonly outSize: number;
  private readonly reference: Float32Array;
  /** 1 where the float model classifies image n right. */
  private readonly floatRight: Uint8Array;
  private readonly cuts: Cut[];
  private readonly cache = new Map<string, Map<string, Float32Array>>();
  private cacheBytes = 0;
  private readonly count: number;
  private readonly per: number;

  constructor(
    private readonly graph: Graph,
    private readonly space: Space,
    private readonly samples: Tensor,
    private readonly labels: Int32Array,
    private readonly cacheBytesMax = CACHE_BYTES,
  ) {
    const input = graph.inputs[0]!;
    if ((input.shape[0] ?? 1) !== 1) throw new Error('internal error: the word-length evaluator runs batch-1 graphs');
    this.count = samples.shape[0]!;
    this.per = sizeOf(input.shape);
    this.outSize = sizeOf(graph.values.get(graph.outputs[0]!)!.shape);
    this.cuts = space.layers.map((l, i) => {
      const node = graph.nodes.findIndex((n) => n.name === l.name);
      const before = new Set([input.name, ...graph.nodes.slice(0, node).flatMap((n) => n.outputs)]);
      const live = [...new Set(graph.nodes.slice(node).flatMap((n) => n.inputs).filter((v) => before.has(v)))];
      return { node, live, prefix: 1 + 4 * i };
    });
    // The float model's logits: the reference of the noise, and its top-1.
    this.reference = new Float32Array(this.count * this.outSize);
    this.floatRight = new Uint8Array(this.count);
    let correct = 0;
    for (let n = 0; n < this.count; n++) {
      const env = this.run(graph, new Map([[input.name, this.sample(n)]]), 0);
      this.floatRight[n] = this.score(env, n, this.reference, true);
      correct += this.floatRight[n]!;
    }
    this.floatCorrect = correct;
  }

  get floatTop1(): number {
    return this.floatCorrect / this.count;
  }

  evaluate(config: Config): Evaluation {
    return combine([this.evaluateSlice(config)], this.outSize);
  }

  evaluateSlice(config: Config): SliceEvaluation {
    this.evaluations++;
    const tuned = wordlengthPass.run(this.graph, formatsOf(this.space, config)).graph;
    const keys = this.cuts.map((c) => config.slice(0, c.prefix).join(','));
    let start = -1;
    for (let i = this.cuts.length - 1; i >= 0 && start < 0; i--) if (this.cache.has(keys[i]!)) start = i;
    if (start >= 0) {
      const hit = this.cache.get(keys[start]!)!; // most recently used goes last
      this.cache.delete(keys[start]!);
      this.cache.set(keys[start]!, hit);
    }
    const fresh = this.cuts.map((c, i) => (i > start && !this.cache.has(keys[i]!) ? new Map(c.live.map((v) => [v, new Float32Array(this.count * this.size(v))])) : undefined));
    const inputName = this.graph.inputs[0]!.name;
    let correct = 0, flips = 0;
    const noise = new Float64Array(this.count);
    for (let n = 0; n < this.count; n++) {
      let env: Map<string, Tensor>;
      if (start >= 0) {
        const saved = this.cache.get(keys[start]!)!;
        env = new Map([...saved].map(([v, data]) => [v, this.view(v, data, n)]));
      } else env = new Map([[inputName, castInput(this.sample(n), tuned.values.get(inputName)!.format!)]]);
      env = this.run(tuned, env, start >= 0 ? this.cuts[start]!.node : 0, (k) => {
        const i = this.cuts.findIndex((c) => c.node === k);
        const store = i >= 0 ? fresh[i] : undefined;
        if (store) for (const [v, data] of store) data.set(env.get(v)!.data, n * this.size(v));
      });
      const right = this.score(env, n, this.reference, false);
      correct += right;
      if (right !== this.floatRight[n]) flips++;
      const out = env.get(this.graph.outputs[0]!)!.data;
      let e = 0;
      for (let j = 0; j < this.outSize; j++) e += (out[j]! - this.reference[n * this.outSize + j]!) ** 2;
      noise[n] = e;
    }
    fresh.forEach((m, i) => m && this.remember(keys[i]!, m));
    return { correct, flips, noise };
  }

  private sample(n: number): Tensor {
    return makeTensor('float32', this.graph.inputs[0]!.shape, (this.samples.data as Float32Array).subarray(n * this.per, (n + 1) * this.per));
  }

  private size(v: string): number {
    return sizeOf(this.graph.values.get(v)!.shape);
  }

  private view(v: string, data: Float32Array, n: number): Tensor {
    const s = this.size(v);
    return makeTensor('float32', this.graph.values.get(v)!.shape, data.subarray(n * s, (n + 1) * s));
  }

  /** Runs nodes[from..] over env; `before(k)` is called before node k with env holding everything computed so far. */
  private run(graph: Graph, env: Map<string, Tensor>, from: number, before?: (k: number) => void): Map<string, Tensor> {
    for (let k = from; k < graph.nodes.length; k++) {
      before?.(k);
      const node = graph.nodes[k]!;
      const ins = node.inputs.map((i) => env.get(i) ?? graph.constants.get(i)!);
      const outs = evalNode(node, ins, node.outputs.map((o) => graph.values.get(o)!.shape));
      node.outputs.forEach((o, i) => env.set(o, outs[i]!));
    }
    return env;
  }

  /** 1 if image n is classified right; with `record`, stores its logits as the reference. */
  private score(env: Map<string, Tensor>, n: number, ref: Float32Array, record: boolean): number {
    const out = env.get(this.graph.outputs[0]!)!.data;
    if (record) ref.set(out, n * this.outSize);
    let best = 0;
    for (let j = 1; j < this.outSize; j++) if (out[j]! > out[best]!) best = j;
    return best === this.labels[n] ? 1 : 0;
  }

  private remember(key: string, values: Map<string, Float32Array>): void {
    const bytes = [...values.values()].reduce((s, a) => s + a.byteLength, 0);
    this.cache.set(key, values);
    this.cacheBytes += bytes;
    for (const [k, v] of this.cache) {
      if (this.cacheBytes <= this.cacheBytesMax || k === key) break;
      this.cache.delete(k);
      this.cacheBytes -= [...v.values()].reduce((s, a) => s + a.byteLength, 0);
    }
  }
}
