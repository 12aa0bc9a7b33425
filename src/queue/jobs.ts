/** The kinds of job an `adequate worker` runs, each a pair: `setup` turns a run's stored setup (blobs.ts) into the
 *  state a worker keeps between jobs of that run (a decoded graph, an evaluator with its caches), and `run` answers
 *  one job from it (verify's asynchronously: it waits for g++ or Verilator). Every result is plain JSON (BullMQ stores return values as JSON). A kind's submitting side lives
 *  beside its local pool (src/dse/approx/pool.ts, ...), and both call the same evaluator, so a job gives exactly
 *  what the local pool gives for the same work. */
import { decodeIr } from '../ir/serialize.js';
import { localEvaluator, type DesignScore } from '../dse/approx/pool.js';
import type { Candidate, LayerInfo } from '../dse/approx/explore.js';
import type { Compensation } from '../dse/approx/weight-update.js';
import { SharingEvaluator } from '../dse/share/evaluator.js';
import type { ShareQueuePayload, ShareQueueSetup } from '../dse/share/pool.js';
import { ShareSpace } from '../dse/share/space.js';
import { Evaluator } from '../dse/wordlength/evaluator.js';
import { queueSlice, spaceSignature, type QueuePayload, type QueueResult, type QueueSetup } from '../dse/wordlength/pool.js';
import { buildSpace } from '../dse/wordlength/space.js';
import { unpackBuild, verifyShard, type ShardJson, type VerifyQueuePayload, type VerifyQueueSetup } from '../verify/shards.js';

export interface JobKind<Setup, State, Payload, Result> {
  /** `hash`: the setup's content hash (a name for what is derived from it, such as an unpacked build). */
  setup(s: Setup, hash: string): State;
  run(state: State, payload: Payload): Result | Promise<Result>;
}

/** approx: a design (a library index per layer) on some chunks of the evaluation images. */
export interface ApproxSetup {
  readonly json: string;
  readonly weights: Uint8Array;
  readonly inputs: Float32Array;
  readonly inputShape: readonly number[];
  readonly labels: Int32Array;
  readonly library: readonly Candidate[];
  readonly layers: readonly LayerInfo[];
  readonly compensation: Compensation;
}
export interface ApproxPayload {
  readonly perLayer: readonly number[];
  readonly chunks: readonly number[];
}

const approx: JobKind<ApproxSetup, ReturnType<typeof localEvaluator>, ApproxPayload, DesignScore> = {
  setup: (s) => localEvaluator(decodeIr(JSON.parse(s.json), s.weights, 'queue'), { dtype: 'float32', shape: s.inputShape, data: s.inputs }, s.labels, s.library, s.layers, s.compensation),
  run: (local, p) => local.evaluate(p.perLayer, p.chunks),
};

/** share: a design (genome) on chunks [first, last) of the evaluation images; the worker rebuilds the space (its
 *  clusterings are exact and deterministic, so the same shared weights) and the evaluator. */
interface ShareState {
  readonly space: ShareSpace;
  readonly evaluator: SharingEvaluator;
}
const share: JobKind<ShareQueueSetup, ShareState, ShareQueuePayload, { correct: number; count: number }> = {
  setup: (s) => {
    const graph = decodeIr(JSON.parse(s.json), s.weights, 'queue');
    const space = new ShareSpace(graph, s.granularities, s.maxBits);
    return { space, evaluator: new SharingEvaluator(graph, s.layerNames, { dtype: 'float32', shape: s.inputShape, data: s.inputs }, s.labels) };
  },
  run: ({ space, evaluator }, p) => evaluator.evaluate(space.options(p.genome).map((o) => ({ key: o.key, shared: o.shared })), p.first, p.last),
};

/** wordlength: a configuration on one slice of the tuning images (an evaluator per slice, built when first asked). */
interface WordlengthState {
  readonly setup: QueueSetup;
  readonly evaluators: Map<number, Evaluator>;
}
const wordlength: JobKind<QueueSetup, WordlengthState, QueuePayload, QueueResult> = {
  setup: (setup) => ({ setup, evaluators: new Map() }),
  run: (state, p) => {
    let ev = state.evaluators.get(p.slice);
    if (!ev) {
      const init = queueSlice(state.setup, p.slice);
      const graph = decodeIr(JSON.parse(init.json), init.weights, 'queue');
      const space = buildSpace(graph, init.kind, init.stats, init.options);
      if (spaceSignature(space) !== init.signature) throw new Error('internal error: a word-length worker rebuilt a different search space');
      ev = new Evaluator(graph, space, { dtype: 'float32', shape: init.inputShape, data: init.inputs }, init.labels, init.cacheBytes);
      state.evaluators.set(p.slice, ev);
    }
    if (!p.config) return { correct: ev.floatCorrect, flips: 0, noise: [] };
    const r = ev.evaluateSlice(p.config);
    return { correct: r.correct, flips: r.flips, noise: Array.from(r.noise) };
  },
};

/** verify: inputs [start, end) of a verification, on the worker's unpacked copy of the build. */
const verify: JobKind<VerifyQueueSetup, { dir: string; setup: VerifyQueueSetup }, VerifyQueuePayload, ShardJson> = {
  setup: (setup, hash) => ({ dir: unpackBuild(hash, setup.files), setup }),
  run: ({ dir, setup }, p) => verifyShard(dir, setup, p),
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const JOB_KINDS: Readonly<Record<string, JobKind<any, any, any, unknown>>> = { approx, share, wordlength, verify };
