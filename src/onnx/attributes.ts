/** Typed access to a NodeProto's attributes: defaults, type checks, and errors that name the node. */
import { userError } from '../errors.js';
import type { Tensor } from '../ir/types.js';
import { onnx, toNum, toNums, type AttributeProto, type NodeProto } from './proto.js';
import { tensorFromProto } from './tensor.js';

const AT = onnx.AttributeProto.AttributeType;

export class Attributes {
  private readonly byName: Map<string, AttributeProto>;

  constructor(
    node: NodeProto,
    readonly where: string,
    private readonly modelDir: string,
  ) {
    this.byName = new Map((node.attribute ?? []).map((a) => [a.name ?? '', a]));
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  int(name: string, fallback?: number): number {
    const a = this.get(name, AT.INT, fallback);
    return a === undefined ? fallback! : toNum(a.i);
  }

  float(name: string, fallback?: number): number {
    const a = this.get(name, AT.FLOAT, fallback);
    return a === undefined ? fallback! : (a.f ?? 0);
  }

  string(name: string, fallback?: string): string {
    const a = this.get(name, AT.STRING, fallback);
    return a === undefined ? fallback! : new TextDecoder().decode(a.s ?? new Uint8Array());
  }

  ints(name: string, fallback?: readonly number[]): number[] {
    const a = this.get(name, AT.INTS, fallback);
    return a === undefined ? [...fallback!] : toNums(a.ints);
  }

  floats(name: string, fallback?: readonly number[]): number[] {
    const a = this.get(name, AT.FLOATS, fallback);
    return a === undefined ? [...fallback!] : [...(a.floats ?? [])];
  }

  tensor(name: string): Tensor | undefined {
    const a = this.get(name, AT.TENSOR, null);
    return a?.t ? tensorFromProto(a.t, this.modelDir, `${this.where} attribute ${name}`) : undefined;
  }

  /** An attribute the op has no support for in a given value: one clear line. */
  unsupported(name: string, value: unknown, supported: string): never {
    throw userError('E_ONNX_ATTRIBUTE', `${this.where}: attribute ${name}=${JSON.stringify(value)} is not supported (${supported})`);
  }

  /** Returns the attribute if present; `undefined` when absent and a fallback exists (null = optional, no fallback);
   *  throws when a required attribute is missing or has the wrong type. */
  private get(name: string, type: number, fallback: unknown): AttributeProto | undefined {
    const a = this.byName.get(name);
    if (a === undefined) {
      if (fallback === undefined)
        throw userError('E_ONNX_ATTRIBUTE', `${this.where}: required attribute '${name}' is missing`);
      return undefined;
    }
    if (a.type !== undefined && a.type !== null && a.type !== type && a.type !== AT.UNDEFINED)
      throw userError(
        'E_ONNX_ATTRIBUTE',
        `${this.where}: attribute '${name}' has type ${AT[a.type] ?? a.type}, expected ${AT[type]}`,
      );
    return a;
  }
}

/** "node 'conv1' (Conv)" — how errors name an ONNX node. */
export function describeNode(node: NodeProto, index: number): string {
  const name = node.name ? `'${node.name}'` : `#${index}`;
  const domain = node.domain ? `${node.domain}::` : '';
  return `node ${name} (${domain}${node.opType ?? '?'})`;
}
