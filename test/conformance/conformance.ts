/** Runs one ONNX backend node test (libonnx-testdata: model.onnx + test_data_set_N/{input,output}_K.pb) through the
 *  importer and the float golden model. Integer graph inputs (shapes, axes, indices) are bound as constants, the
 *  way a deployed model has them; float inputs are fed at run time. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runGraph } from '../../src/golden/evaluate.js';
import type { Tensor } from '../../src/ir/types.js';
import { importOnnx } from '../../src/onnx/import.js';
import { onnx } from '../../src/onnx/proto.js';
import { tensorFromProto } from '../../src/onnx/tensor.js';

export const NODE_TESTS = '/usr/share/libonnx-testdata/data/node';

export function listNodeTests(): string[] {
  return existsSync(NODE_TESTS) ? readdirSync(NODE_TESTS).filter((d) => existsSync(join(NODE_TESTS, d, 'model.onnx'))).sort() : [];
}

/** The op types a test's model uses (default domain only; others are prefixed with their domain). */
export function opsOf(test: string): string[] {
  const m = onnx.ModelProto.decode(readFileSync(join(NODE_TESTS, test, 'model.onnx')));
  return [...new Set((m.graph?.node ?? []).map((n) => (n.domain && n.domain !== 'ai.onnx' ? `${n.domain}::${n.opType}` : n.opType ?? '')))];
}

function readPb(file: string): Tensor {
  return tensorFromProto(onnx.TensorProto.decode(readFileSync(file)), '.', file);
}

export interface CaseResult {
  readonly ok: boolean;
  readonly detail: string;
}

/** Runs every data set of a test; ok when every output matches within |a-b| <= atol + rtol*|b| (exact for ints). */
export function runNodeTest(test: string, rtol = 1e-4, atol = 1e-5): CaseResult {
  const dir = join(NODE_TESTS, test);
  const bytes = readFileSync(join(dir, 'model.onnx'));
  const model = onnx.ModelProto.decode(bytes);
  const initNames = new Set((model.graph?.initializer ?? []).map((t) => t.name));
  const inputNames = (model.graph?.input ?? []).map((i) => i.name ?? '').filter((n) => !initNames.has(n));
  const outputNames = (model.graph?.output ?? []).map((o) => o.name ?? '');
  const sets = readdirSync(dir).filter((d) => d.startsWith('test_data_set_')).sort();
  for (const set of sets) {
    const ins = inputNames.map((_, k) => join(dir, set, `input_${k}.pb`)).filter(existsSync).map(readPb);
    const feeds = new Map<string, Tensor>(), bind = new Map<string, Tensor>(), shapes = new Map<string, readonly number[]>();
    ins.forEach((t, k) => {
      const name = inputNames[k]!;
      if (t.dtype === 'float32') {
        feeds.set(name, t);
        shapes.set(name, t.shape);
      } else bind.set(name, t);
    });
    const graph = importBinding(bytes, join(dir, 'model.onnx'), feeds, bind, shapes);
    const env = runGraph(graph, feeds);
    for (let k = 0; k < outputNames.length; k++) {
      const file = join(dir, set, `output_${k}.pb`);
      if (!existsSync(file)) continue;
      const want = readPb(file);
      const got = env.get(graph.outputs[k]!);
      if (!got) return { ok: false, detail: `${set}: output ${k} missing` };
      const mismatch = compare(got, want, rtol, atol);
      if (mismatch) return { ok: false, detail: `${set}: output ${outputNames[k]}: ${mismatch}` };
    }
  }
  return { ok: true, detail: `${sets.length} data sets` };
}

/** Imports with integer inputs bound; a float input the importer needs as a constant (BatchNormalization
 *  statistics, Clip bounds, QDQ scales: weights of a deployed model) is bound too, and the import retried. */
function importBinding(bytes: Uint8Array, file: string, feeds: Map<string, Tensor>, bind: Map<string, Tensor>, shapes: Map<string, readonly number[]>) {
  for (;;) {
    try {
      return importOnnx(bytes, file, { inputShapes: shapes, bindConstants: bind });
    } catch (e) {
      const name = /input '([^']+)' \(.*\) must be a constant/.exec(e instanceof Error ? e.message : '')?.[1];
      const t = name === undefined ? undefined : feeds.get(name);
      if (!t || name === undefined) throw e;
      feeds.delete(name);
      shapes.delete(name);
      bind.set(name, t);
    }
  }
}

export function compare(got: Tensor, want: Tensor, rtol: number, atol: number): string | undefined {
  if (got.shape.join('x') !== want.shape.join('x')) return `shape ${got.shape.join('x')} != ${want.shape.join('x')}`;
  const exact = want.dtype !== 'float32';
  for (let i = 0; i < want.data.length; i++) {
    const a = got.data[i]!, b = want.data[i]!;
    if (Number.isNaN(a) && Number.isNaN(b)) continue;
    const bad = exact ? a !== b : !(Math.abs(a - b) <= atol + rtol * Math.abs(b)) && a !== b;
    if (bad) return `element ${i}: got ${a}, want ${b}`;
  }
  return undefined;
}
