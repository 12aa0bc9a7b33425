/** Every benchmark `npm run bench` runs, in order. */
import { multipliersBench } from './multipliers.js';
import type { Benchmark } from './types.js';

export const benchmarks: Benchmark[] = [multipliersBench];
