/** The accelerator as an outsider drives it: how the host turns a float input into the input codes it streams, and
 *  how it reads the output codes back as floats (ir/arithmetic.md, "Where the accelerator ends"). The top's header
 *  comment (Verilog and HLS) and build.json's `interface` state these numbers, so a testbench written without
 *  adequate can feed the accelerator and check its outputs. */
import type { QuantParams } from '../ir/types.js';
import type { AcceleratorPlan } from './plan.js';
import { streamText, type StreamFormat } from './stream.js';

export interface PortMapping {
  readonly shape: readonly number[];
  readonly codes: number;
  readonly dtype: string;
  /** Per tensor (one entry) or per index along `axis`. */
  readonly scale: readonly number[];
  readonly zero_point: readonly number[];
  readonly axis?: number;
  readonly code_min: number;
  readonly code_max: number;
  readonly mapping: string;
}

export interface HostInterface {
  readonly input: PortMapping;
  readonly output: PortMapping;
  readonly order: string;
  /** The stream beats (--stream-width, src/hw/stream.ts): bits per beat, codes per beat (lanes of `lane_bits`, code
   *  i of a beat in bits [lane_bits*i + lane_bits-1 : lane_bits*i]), beats per frame, codes in the last beat. */
  readonly stream?: {
    readonly width: number | null;
    readonly input: { readonly beat_bits: number; readonly lane_bits: number; readonly codes_per_beat: number; readonly beats: number; readonly last_beat_codes: number };
    readonly output: { readonly beat_bits: number; readonly lane_bits: number; readonly codes_per_beat: number; readonly beats: number; readonly last_beat_codes: number };
  };
}

const RANGE = { uint8: [0, 255], int8: [-128, 127], int32: [-(2 ** 31), 2 ** 31 - 1] } as const;

function port(q: QuantParams, shape: readonly number[], codes: number, mapping: string): PortMapping {
  return {
    shape, codes, dtype: q.dtype, scale: q.scale, zero_point: q.zeroPoint, ...(q.axis !== undefined ? { axis: q.axis } : {}),
    code_min: q.qmin ?? RANGE[q.dtype][0], code_max: q.qmax ?? RANGE[q.dtype][1], mapping,
  };
}

export function hostInterface(plan: AcceleratorPlan, stream?: StreamFormat): HostInterface {
  const beats = (p: StreamFormat['input']) => ({ beat_bits: p.bits, lane_bits: p.laneBits, codes_per_beat: p.codes, beats: p.beats, last_beat_codes: p.lastCodes });
  return {
    input: port(plan.quantize.attrs.quant, plan.input.shape, plan.input.size, 'code = clamp(round_half_even(x / scale) + zero_point, code_min, code_max)'),
    output: port(plan.dequantize.attrs.quant, plan.output.shape, plan.output.size, 'x = (code - zero_point) * scale'),
    order: `C order (row-major) of the shape, batch 1; ${stream ? streamText(stream) : 'one code per stream beat'}`,
    ...(stream ? { stream: { width: stream.width ?? null, input: beats(stream.input), output: beats(stream.output) } } : {}),
  };
}

/** The same as comment lines (without the comment marker), for the tops' headers. */
export function interfaceLines(i: HostInterface): string[] {
  const nums = (xs: readonly number[]) => (xs.length === 1 ? String(xs[0]) : `[${xs.join(', ')}] along axis`);
  const line = (name: string, p: PortMapping) =>
    `${name}: ${p.codes} codes [${p.shape.join(', ')}], ${p.dtype} ${p.code_min}..${p.code_max}, scale ${nums(p.scale)}, zero point ${nums(p.zero_point)}${p.axis !== undefined ? ` ${p.axis}` : ''}: ${p.mapping}`;
  return [line('input', i.input), line('output', i.output), `order: ${i.order}`];
}
