/** The kinds of job an `adequate worker` runs, each a pair: `setup` turns a run's stored setup (blobs.ts) into the
 *  state a worker keeps between jobs of that run (a decoded graph, an evaluator with its caches), and `run` answers
 *  one job from it. Every result is plain JSON (BullMQ stores return values as JSON). A kind's submitting side lives
 *  beside its local pool (src/dse/approx/pool.ts, ...), and both call the same evaluator, so a job gives exactly
 *  what the local pool gives for the same work. */
import { decodeIr } from '../ir/serialize.js';
import { localEvaluator } from '../dse/approx/pool.js';
import type { Candidate, LayerInfo } from '../dse/approx/explore.js';
import type { WeightUpdateMode } from '../dse/approx/weight-update.js';

export interface JobKind<Setup, State, Payload, Result> {
  setup(s: Setup): State;
  run(state: State, payload: Payload): Result;
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
  readonly weightUpdate: WeightUpdateMode;
}
export interface ApproxPayload {
  readonly perLayer: readonly number[];
  readonly chunks: readonly number[];
}

const approx: JobKind<ApproxSetup, ReturnType<typeof localEvaluator>, ApproxPayload, { correct: number; count: number }> = {
  setup: (s) => localEvaluator(decodeIr(JSON.parse(s.json), s.weights, 'queue'), { dtype: 'float32', shape: s.inputShape, data: s.inputs }, s.labels, s.library, s.layers, s.weightUpdate),
  run: (local, p) => local.evaluate(p.perLayer, p.chunks),
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const JOB_KINDS: Readonly<Record<string, JobKind<any, any, any, unknown>>> = { approx };
