/** Progress for long work: a redrawn bar with rate and ETA on a terminal, plain lines (at most one per few seconds)
 *  when stderr is not a TTY. Writes to stderr so that stdout stays clean for tables and JSON. A total of 0 is
 *  open-ended work (a search that stops when it converges): the count and the rate, no bar, percentage or ETA. */

export interface Progress {
  tick(done: number, note?: string): void;
  end(note?: string): void;
}

export function startProgress(label: string, total: number, stream: NodeJS.WriteStream = process.stderr): Progress {
  const t0 = Date.now();
  const tty = Boolean(stream.isTTY) && process.env.CI !== 'true';
  let lastPlain = 0;
  let lastDraw = 0;
  const render = (done: number, note: string): string => {
    const secs = (Date.now() - t0) / 1000;
    const rate = secs > 0 ? done / secs : 0;
    const eta = rate > 0 ? (total - done) / rate : 0;
    const pct = total > 0 ? Math.min(1, done / total) : 1;
    const rateText = rate >= 100 ? `${rate.toFixed(0)}/s` : rate >= 1 || rate === 0 ? `${rate.toFixed(1)}/s` : `${(1 / rate).toFixed(1)}s each`;
    if (total <= 0) return `${label} ${done} ${rateText}${note ? ' ' + note : ''}`;
    return `${label} ${done}/${total} ${(pct * 100).toFixed(0)}% ${rateText} ETA ${formatSeconds(eta)}${note ? ' ' + note : ''}`;
  };
  return {
    tick(done, note = '') {
      const now = Date.now();
      if (tty) {
        if (now - lastDraw < 100 && (done < total || total <= 0)) return;
        lastDraw = now;
        if (total <= 0) {
          stream.write(`\r${render(done, note)}\x1b[K`);
          return;
        }
        const width = 24;
        const filled = total > 0 ? Math.round((width * Math.min(done, total)) / total) : width;
        const bar = '#'.repeat(filled) + '.'.repeat(width - filled);
        stream.write(`\r[${bar}] ${render(done, note)}\x1b[K`);
      } else if (now - lastPlain >= 5000 || done === total) {
        lastPlain = now;
        stream.write(render(done, note) + '\n');
      }
    },
    end(note = '') {
      const secs = (Date.now() - t0) / 1000;
      const msg = `${label} done in ${formatSeconds(secs)}${note ? ' ' + note : ''}`;
      stream.write(tty ? `\r${msg}\x1b[K\n` : msg + '\n');
    },
  };
}

export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  return `${m}m${Math.round(s - 60 * m)
    .toString()
    .padStart(2, '0')}s`;
}
