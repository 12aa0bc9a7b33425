/** An IR folder made from a model keeps the model's dataset.json, so `adequate eval OUT` needs no flags either:
 *  the copy has every path resolved (relative paths made absolute; npm: paths kept as they are). */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { findDatasetConfig, DATASET_CONFIG_NAME } from '../io/dataset.js';

export function copyDatasetConfig(modelPath: string, outDir: string): void {
  const cfg = findDatasetConfig(modelPath);
  if (!cfg) return;
  const json = JSON.parse(readFileSync(cfg.file, 'utf8')) as Record<string, unknown>;
  const base = dirname(cfg.file);
  const fix = (v: unknown) => (typeof v === 'string' && !v.startsWith('npm:') && !isAbsolute(v) ? resolve(base, v) : v);
  for (const key of ['inputs', 'labels']) if (key in json) json[key] = fix(json[key]);
  for (const split of ['test', 'calib']) {
    const s = json[split] as Record<string, unknown> | undefined;
    if (s) for (const key of ['inputs', 'labels']) if (key in s) s[key] = fix(s[key]);
  }
  writeFileSync(join(outDir, DATASET_CONFIG_NAME), JSON.stringify(json, null, 2) + '\n');
}
