/** Every benchmark `npm run bench` runs, in order. */
import { goldenFloat } from './golden-float.js';
import { goldenInteger } from './golden-integer.js';
import { quantMethods } from './quant-methods.js';
import { approxBench } from './approx.js';
import { multipliersBench } from './multipliers.js';
import { wordlengthBench } from './wordlength.js';
import { verilatorBench } from './verilator.js';
import { hlsCsim, hlsCsimWordlength } from './hls-csim.js';
import { scaleBench } from './scale.js';
import { queueBench } from './queue.js';
import { foldingBench } from './folding.js';
import type { Benchmark } from './types.js';

export const benchmarks: Benchmark[] = [goldenFloat, goldenInteger, quantMethods, approxBench, multipliersBench, wordlengthBench, verilatorBench, foldingBench, hlsCsim, hlsCsimWordlength, scaleBench, queueBench];
