/** A self-contained SVG scatter of accuracy against relative energy: every evaluated design (grey), the front
 *  (connected), the exact design and the chosen one marked. No dependencies, so reports stay offline. */

export interface PlotPoint {
  readonly energy: number;
  readonly top1: number;
}

export interface ParetoPlot {
  readonly title: string;
  readonly all: readonly PlotPoint[];
  readonly front: readonly PlotPoint[];
  readonly exact?: PlotPoint;
  readonly chosen?: PlotPoint;
  readonly xLabel: string;
  readonly yLabel: string;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

export function paretoSvg(p: ParetoPlot): string {
  const W = 640, H = 420, L = 70, R = 20, T = 40, B = 55;
  const pts = [...p.all, ...p.front, ...(p.exact ? [p.exact] : [])];
  const xMax = Math.max(1.05, ...pts.map((q) => q.energy)), xMin = 0;
  const yVals = pts.map((q) => 100 * q.top1);
  const yMin = Math.floor(Math.min(...yVals) - 0.5), yMax = Math.ceil(Math.max(...yVals) + 0.2);
  const x = (e: number) => L + ((e - xMin) / (xMax - xMin)) * (W - L - R);
  const y = (t: number) => T + (1 - (100 * t - yMin) / (yMax - yMin || 1)) * (H - T - B);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="14">${esc(p.title)}</text>`);
  for (let i = 0; i <= 5; i++) {
    const e = xMin + ((xMax - xMin) * i) / 5, t = yMin + ((yMax - yMin) * i) / 5;
    out.push(`<line x1="${x(e)}" y1="${T}" x2="${x(e)}" y2="${H - B}" stroke="#eee"/><text x="${x(e)}" y="${H - B + 16}" text-anchor="middle">${e.toFixed(2)}</text>`);
    out.push(`<line x1="${L}" y1="${y(t / 100)}" x2="${W - R}" y2="${y(t / 100)}" stroke="#eee"/><text x="${L - 6}" y="${y(t / 100) + 4}" text-anchor="end">${t.toFixed(1)}</text>`);
  }
  out.push(`<rect x="${L}" y="${T}" width="${W - L - R}" height="${H - T - B}" fill="none" stroke="#444"/>`);
  out.push(`<text x="${(L + W - R) / 2}" y="${H - 12}" text-anchor="middle">${esc(p.xLabel)}</text>`);
  out.push(`<text transform="translate(16 ${(T + H - B) / 2}) rotate(-90)" text-anchor="middle">${esc(p.yLabel)}</text>`);
  for (const q of p.all) out.push(`<circle cx="${x(q.energy).toFixed(1)}" cy="${y(q.top1).toFixed(1)}" r="2.5" fill="#bbb"/>`);
  const front = [...p.front].sort((a, b) => a.energy - b.energy);
  if (front.length > 0) out.push(`<polyline fill="none" stroke="#1f77b4" stroke-width="1.5" points="${front.map((q) => `${x(q.energy).toFixed(1)},${y(q.top1).toFixed(1)}`).join(' ')}"/>`);
  for (const q of front) out.push(`<circle cx="${x(q.energy).toFixed(1)}" cy="${y(q.top1).toFixed(1)}" r="4" fill="#1f77b4"><title>energy ${q.energy.toFixed(3)}, top-1 ${(100 * q.top1).toFixed(2)}%</title></circle>`);
  if (p.exact) out.push(`<rect x="${x(p.exact.energy) - 5}" y="${y(p.exact.top1) - 5}" width="10" height="10" fill="none" stroke="black" stroke-width="2"><title>exact</title></rect><text x="${x(p.exact.energy) - 8}" y="${y(p.exact.top1) - 8}" text-anchor="end">exact</text>`);
  if (p.chosen) out.push(`<circle cx="${x(p.chosen.energy)}" cy="${y(p.chosen.top1)}" r="8" fill="none" stroke="#d62728" stroke-width="2"><title>chosen</title></circle><text x="${x(p.chosen.energy) + 10}" y="${y(p.chosen.top1) + 16}" fill="#d62728">chosen</text>`);
  out.push('</svg>');
  return out.join('\n') + '\n';
}
