/** The accelerator's stream beats (`--stream-width 8|32|64`): how many codes an s_axis/m_axis beat carries and where.
 *  Both emitters (Verilog, HLS), the cycle model and the testbenches read this one description.
 *  Input: a beat of W bits carries W/8 input codes (input codes are 8-bit), code i of the beat in bits [8i+7:8i]
 *  (little-endian lanes). Output: W = 8 carries one 8-bit code (only when the output codes are 8-bit); W = 32 one code
 *  sign-extended (zero-extended when unsigned) to 32 bits; W = 64 two such 32-bit codes, code i in bits
 *  [32i+31:32i]. A frame is ceil(N / codes per beat) beats; the last beat may be partial: its lanes past the N-th code
 *  are ignored on input and zero on output. Without a width each emitter keeps its original interface: one code per
 *  beat (Verilog: 8-bit input beats, 32-bit output beats; HLS: each code's width rounded up to whole bytes). */
import { userError } from '../errors.js';

export const STREAM_WIDTHS = [8, 32, 64] as const;
export type StreamWidth = (typeof STREAM_WIDTHS)[number];

/** One stream port: beat width, code lanes per beat and their width, beats per frame, codes in the last beat. */
export interface StreamPort {
  readonly bits: number;
  readonly laneBits: number;
  readonly codes: number;
  readonly beats: number;
  readonly lastCodes: number;
}

export interface StreamFormat {
  /** The width asked for (undefined: the emitter's original one-code-per-beat interface). */
  readonly width?: StreamWidth;
  readonly input: StreamPort;
  readonly output: StreamPort;
}

function port(size: number, bits: number, laneBits: number, codes: number): StreamPort {
  const beats = Math.ceil(size / codes);
  return { bits, laneBits, codes, beats, lastCodes: size - (beats - 1) * codes };
}

/** The beats of a design whose input and output codes are `input.bits` and `output.bits` wide (N = size codes).
 *  `original` is the emitter's beat width of each port without a width (one code per beat). Throws E_USAGE for a
 *  width the codes do not fit. */
export function streamFormat(width: StreamWidth | undefined, input: { size: number; bits: number }, output: { size: number; bits: number }, original: { input: number; output: number }): StreamFormat {
  if (width === undefined) return { input: port(input.size, original.input, original.input, 1), output: port(output.size, original.output, original.output, 1) };
  if (!(STREAM_WIDTHS as readonly number[]).includes(width)) throw userError('E_USAGE', `--stream-width ${String(width)} must be 8, 32 or 64 (bits per stream beat)`);
  if (input.bits > 8) throw userError('E_USAGE', `--stream-width ${width}: the input codes are ${input.bits}-bit and a beat carries 8-bit input codes; quantize the input to 8 bits or drop --stream-width`);
  if (width === 8 && output.bits > 8) throw userError('E_USAGE', `--stream-width 8: the output codes are ${output.bits}-bit, wider than an 8-bit output beat; use --stream-width 32 (one code per beat) or 64 (two)`);
  if (output.bits > 32) throw userError('E_USAGE', `--stream-width ${width}: the output codes are ${output.bits}-bit, wider than a 32-bit output lane; drop --stream-width`);
  const outLane = width === 8 ? 8 : 32;
  return { width, input: port(input.size, width, 8, width / 8), output: port(output.size, width, outLane, width / outLane) };
}

/** Parses a --stream-width value (a CLI or config number). */
export function parseStreamWidth(value: unknown, flag = '--stream-width'): StreamWidth | undefined {
  if (value === undefined) return undefined;
  if (!(STREAM_WIDTHS as readonly unknown[]).includes(value)) throw userError('E_USAGE', `${flag} ${String(value)} must be 8, 32 or 64 (bits per stream beat)`);
  return value as StreamWidth;
}

/** One line for the tops' header comments and build.json. */
export function streamText(s: StreamFormat): string {
  const side = (name: string, p: StreamPort, pad: string) =>
    p.codes === 1
      ? `${name} beats of ${p.bits} bits, one code each`
      : `${name} beats of ${p.bits} bits, ${p.codes} codes of ${p.laneBits} bits each (code i of a beat in bits [${p.laneBits}i+${p.laneBits - 1}:${p.laneBits}i]), ${p.beats} beats per frame${p.lastCodes < p.codes ? `, the last holding ${p.lastCodes} code(s) (${pad})` : ''}`;
  return `${side('input', s.input, 'its other lanes are ignored')}; ${side('output', s.output, 'its other lanes are 0')}`;
}
