import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { REPO } from '../helpers/cli.js';

test('docs/cli.md is the CLI reference the current commands generate', () => {
  const r = spawnSync(process.execPath, [join(REPO, 'scripts/cli-reference.mjs'), '--check'], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
}, 120_000);
