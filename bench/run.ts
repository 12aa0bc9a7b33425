/** `npm run bench`: runs every benchmark in `bench/` and prints one JSON object (name -> measured figures).
 *  `npm run bench -- NAME...` runs only the named ones. Benchmarks measure; tests never time anything. */
import { benchmarks } from './index.js';

const wanted = process.argv.slice(2);
const results: Record<string, unknown> = {};
for (const b of benchmarks) {
  if (wanted.length > 0 && !wanted.includes(b.name)) continue;
  process.stderr.write(`bench ${b.name}: ${b.summary}\n`);
  const t0 = performance.now();
  results[b.name] = { ...(await b.run()), wall_seconds: +((performance.now() - t0) / 1000).toFixed(3) };
}
process.stdout.write(JSON.stringify({ node: process.version, cores: (await import('node:os')).cpus().length, results }, null, 2) + '\n');
