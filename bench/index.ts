/** Every benchmark `npm run bench` runs, in order. */
import type { Benchmark } from './types.js';

export const benchmarks: Benchmark[] = [];
