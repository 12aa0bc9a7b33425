/** What `adequate verify` hands to the HLS and RTL verifiers, and what they give back. */
import type { BuildManifest } from '../emit/build-dir.js';
import type { Graph } from '../ir/types.js';
import type { Dataset } from '../io/dataset.js';

export interface VerifyRequest {
  /** The build folder. */
  readonly build: string;
  readonly manifest: BuildManifest;
  /** The IR the build was emitted from (the build's own copy). */
  readonly graph: Graph;
  readonly data: Dataset;
  /** Inferences to run (at most data.count). */
  readonly count: number;
  /** Compare every intermediate layer, not only the output. */
  readonly layers: boolean;
  /** Write a waveform (RTL only). */
  readonly trace: boolean;
  readonly onProgress?: (done: number, total: number) => void;
}

export interface VerifyOutcome {
  /** The --json object (at least count, mismatches, and top1 with labels). */
  readonly json: Readonly<Record<string, unknown>>;
  /** The human-readable report (a table and a verdict line). */
  readonly text: string;
  /** True when every compared value matched. */
  readonly passed: boolean;
}

/** Exit code of a verification that ran but found mismatches (2 = bad input, 1 = internal fault). */
export const EXIT_MISMATCH = 3;
