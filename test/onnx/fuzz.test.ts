/** Random byte flips of a valid model: the importer either imports the result or throws a UserError; it never
 *  crashes with anything else. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { isUserError } from '../../src/errors.js';
import { importOnnx } from '../../src/onnx/import.js';
import { importPipeline, runPipeline } from '../../src/passes/pipeline.js';
import { REPO } from '../helpers/cli.js';
import { seeded } from '../helpers/onnx-builder.js';

test('300 mutated models never crash the importer', () => {
  const original = readFileSync(join(REPO, 'test/models/mixed_cnn.onnx'));
  const noise = seeded(2024, 300 * 8);
  let imported = 0, rejected = 0;
  for (let k = 0; k < 300; k++) {
    const bytes = Uint8Array.from(original);
    // Flip 1 to 4 bytes, or truncate, at seeded positions.
    const flips = 1 + Math.floor(((noise[k * 8]! + 1) / 2) * 4);
    for (let f = 0; f < flips; f++) {
      const pos = Math.floor(((noise[k * 8 + 1 + f]! + 1) / 2) * bytes.length);
      bytes[pos] = (bytes[pos]! ^ (1 + Math.floor(((noise[k * 8 + 5]! + 1) / 2) * 255))) & 255;
    }
    const cut = k % 10 === 0 ? Math.floor(((noise[k * 8 + 6]! + 1) / 2) * bytes.length) : bytes.length;
    try {
      runPipeline(importOnnx(bytes.subarray(0, cut), 'fuzz.onnx'), importPipeline);
      imported++;
    } catch (e) {
      if (!isUserError(e)) throw new Error(`mutation ${k} crashed: ${e instanceof Error ? e.stack : e}`);
      rejected++;
    }
  }
  expect(imported + rejected).toBe(300);
  expect(rejected).toBeGreaterThan(0);
});
