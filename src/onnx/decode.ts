/** Bytes -> ModelProto, with the sanity checks that tell an ONNX model from other protobuf or random bytes. */
import { userError } from '../errors.js';
import { onnx, toNum, type ModelProto } from './proto.js';

export interface DecodedModel {
  readonly model: ModelProto;
  readonly irVersion: number;
  /** Version of the default ONNX domain ('' or 'ai.onnx'). */
  readonly opset: number;
}

/** The newest default-domain opset whose op definitions the importer follows (docs/ops.md). Newer models import with
 *  a warning: an op whose meaning changed after this opset would be read with its older meaning. */
export const NEWEST_OPSET = 22;

export function decodeModel(bytes: Uint8Array, file: string): DecodedModel {
  const bad = (why: string) =>
    userError('E_ONNX_DECODE', `${file}: not a readable ONNX model (${why}); check that the file is a complete .onnx export`);
  let model: ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw bad(e instanceof Error ? e.message : String(e));
  }
  const irVersion = toNum(model.irVersion);
  if (!model.graph) throw bad('no graph');
  if (!(irVersion >= 1 && irVersion <= 100)) throw bad(`IR version ${irVersion}`);
  if ((model.graph.node ?? []).length === 0 && (model.graph.output ?? []).length === 0) throw bad('empty graph');
  const defaults = model.opsetImport.filter((o) => !o.domain || o.domain === 'ai.onnx');
  // IR version < 3 models carry no opset import: they are opset 1.
  const opset = defaults.length > 0 ? Math.max(...defaults.map((o) => toNum(o.version))) : irVersion < 3 ? 1 : NaN;
  if (!(opset >= 1 && opset <= 1000)) throw bad(`default-domain opset ${opset}`);
  return { model, irVersion, opset };
}
