#!/usr/bin/env node
// Entry point of the `adequate` CLI: runs the compiled TypeScript (built by `npm ci` through the `prepare` script).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
const main = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  process.stderr.write('adequate: the compiled sources are missing (dist/); run `npm ci` or `npm run build` in the package folder\n');
  process.exit(1);
}
await import(main.href);
