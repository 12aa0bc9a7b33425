#!/usr/bin/env node
// Writes docs/cli.md: the CLI reference, generated from the yargs definitions by running `adequate <command> --help`
// for every command. `node scripts/cli-reference.mjs --check` exits 1 when docs/cli.md is out of date (a test runs it).
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'bin', 'adequate.js');
const help = (args) => {
  const r = spawnSync(process.execPath, [bin, ...args, '--help'], { encoding: 'utf8', env: { ...process.env, COLUMNS: '110' } });
  if (r.status !== 0) throw new Error(`adequate ${args.join(' ')} --help failed: ${r.stderr}`);
  return r.stdout.trimEnd();
};

const top = help([]);
// Command names from the top-level help's command list ("  adequate NAME ...").
const names = [...top.matchAll(/^ {2}adequate ([a-z-]+)/gm)].map((m) => m[1]);
const sections = [];
for (const name of names) {
  const text = help([name]);
  sections.push(`## adequate ${name}\n\n\`\`\`text\n${text}\n\`\`\``);
  for (const m of text.matchAll(/^ {2}adequate [a-z-]+ ([a-z-]+)/gm)) sections.push(`### adequate ${name} ${m[1]}\n\n\`\`\`text\n${help([name, m[1]])}\n\`\`\``);
}
const doc = `# Command-line reference\n\nGenerated from the CLI's own definitions by \`node scripts/cli-reference.mjs\` (do not edit by hand; a test\nchecks it is current).\n\n\`\`\`text\n${top}\n\`\`\`\n\n${sections.join('\n\n')}\n`;
const file = join(root, 'docs', 'cli.md');
if (process.argv.includes('--check')) {
  let current = '';
  try { current = readFileSync(file, 'utf8'); } catch { /* missing counts as stale */ }
  if (current !== doc) {
    process.stderr.write('docs/cli.md is out of date: run node scripts/cli-reference.mjs\n');
    process.exit(1);
  }
} else {
  writeFileSync(file, doc);
  process.stdout.write(`wrote docs/cli.md (${names.length} commands)\n`);
}
