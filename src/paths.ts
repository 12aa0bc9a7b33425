/** Where the package's own data files (ir/schema.json, templates/, multipliers/) live, whether the code runs from
 *  src/ (tests) or dist/src/ (the built CLI): the nearest folder upward that holds adequate's package.json. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'adequate') return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('internal error: cannot find the adequate package root');
    dir = up;
  }
}

export const PACKAGE_ROOT = findRoot();

export function packagePath(...parts: string[]): string {
  return join(PACKAGE_ROOT, ...parts);
}
