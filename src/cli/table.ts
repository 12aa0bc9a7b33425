/** Plain-text tables for terminal output: columns padded to their widest cell, numbers right-aligned. */

export type Cell = string | number;

export function formatTable(header: readonly string[], rows: readonly (readonly Cell[])[], footer?: readonly Cell[]): string {
  const all = [header, ...rows, ...(footer ? [footer] : [])].map((r) => r.map((c) => String(c)));
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  const isNumber = (c: Cell | undefined) => typeof c === 'number' || c === '' || (typeof c === 'string' && /^[-+]?[\d,]*\.?\d+(e[-+]?\d+)?\s*%?$/i.test(c));
  const numeric = header.map((_, i) => rows.length > 0 && rows.every((r) => isNumber(r[i])));
  const line = (r: readonly string[]): string =>
    r
      .map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  const out = [line(all[0]!), rule, ...all.slice(1, 1 + rows.length).map(line)];
  if (footer) out.push(rule, line(all[all.length - 1]!));
  return out.join('\n') + '\n';
}

/** Thousands separators for big counts (MACs, parameters). */
export function groupDigits(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}
