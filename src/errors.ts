/** Errors are an interface: a user error says what is wrong, where, and how to fix it, in one line, and makes the
 *  CLI exit with code 2. Anything else that escapes is an internal fault (exit code 1).
 *  Codes are stable strings so tests and scripts can match them. */

export type ErrorCode =
  | 'E_ONNX_DECODE' // not an ONNX file, truncated, or malformed protobuf
  | 'E_ONNX_UNSUPPORTED_OP' // an op (or domain/opset) the importer does not handle
  | 'E_ONNX_ATTRIBUTE' // an attribute value outside what is supported
  | 'E_ONNX_EXTERNAL_DATA' // external tensor data missing or out of range
  | 'E_SHAPE' // shapes that do not fit together, or a dimension that is not static
  | 'E_IR_INVALID' // an IR folder that does not match the schema
  | 'E_NPY' // unreadable or unsupported .npy file
  | 'E_DATASET' // datasets: wrong shape, count mismatch, unreadable file
  | 'E_USAGE' // command-line arguments that do not fit together
  | 'E_IO' // a file or folder that cannot be read or written
  | 'E_CONFIG' // a configuration file or value that is wrong
  | 'E_QUANT' // quantization: a request that does not fit the model or data
  | 'E_MULT' // multiplier library: bad netlist, table, or id
  | 'E_HW' // a graph the accelerator cannot implement, or a bad hardware option (lanes, part, clock)
  | 'E_DSE' // design-space exploration: impossible request
  | 'E_TOOL' // an external tool (Verilator, Yosys, g++) is missing or failed
  | 'E_QUEUE'; // the job queue (Redis) cannot be reached, or was lost during a run

export class UserError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

export function userError(code: ErrorCode, message: string): UserError {
  return new UserError(code, message);
}

export function isUserError(e: unknown): e is UserError {
  return e instanceof UserError;
}

/** Throws an internal error: a broken invariant of the tool itself, never the user's fault. */
export function internal(message: string): never {
  throw new Error(`internal error: ${message}`);
}

/** A failure whose error line is already printed (a compile stage's own adequate process printed it): the CLI exits
 *  with `exitCode` and prints nothing more. */
export class ReportedError extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'ReportedError';
  }
}
