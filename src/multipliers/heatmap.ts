/** Error heat map as SVG: mean signed error (approx - exact) over 4 x 4 blocks of operand pairs, A down, B across,
 *  operands in numeric order (-128..127 for signed). Blue = product too small, red = too large, white = exact. */
import { exactProduct } from './metrics.js';
import type { Multiplier } from './types.js';

const BLOCK = 4;
const CELL = 6; // pixels per block
const N = 256 / BLOCK;

function colour(x: number): string {
  const t = Math.min(1, Math.abs(x));
  const fade = Math.round(255 * (1 - t));
  return x >= 0 ? `rgb(255,${fade},${fade})` : `rgb(${fade},${fade},255)`;
}

export function errorHeatmapSvg(m: Multiplier): string {
  const code = (v: number): number => (m.signed ? (v - 128) & 255 : v); // numeric order -> 8-bit code
  const mean = new Float64Array(N * N);
  for (let va = 0; va < 256; va++)
    for (let vb = 0; vb < 256; vb++) {
      const a = code(va), b = code(vb);
      const e = m.table[a * 256 + b]! - exactProduct(a, b, m.signed);
      mean[Math.floor(va / BLOCK) * N + Math.floor(vb / BLOCK)]! += e / (BLOCK * BLOCK);
    }
  const scale = Math.max(1e-9, ...Array.from(mean, Math.abs));
  const size = N * CELL, pad = 40;
  const rects: string[] = [];
  for (let i = 0; i < N; i++)
    for (let j = 0; j < N; j++) {
      const v = mean[i * N + j]!;
      if (v !== 0) rects.push(`<rect x="${pad + j * CELL}" y="${pad + i * CELL}" width="${CELL}" height="${CELL}" fill="${colour(v / scale)}"/>`);
    }
  const lo = m.signed ? -128 : 0, hi = m.signed ? 127 : 255;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${size + 2 * pad}" height="${size + 2 * pad + 20}" font-family="sans-serif" font-size="11">`,
    `<title>${m.id}: mean error per ${BLOCK}x${BLOCK} operand block (max |mean| ${scale.toFixed(1)})</title>`,
    `<rect x="${pad}" y="${pad}" width="${size}" height="${size}" fill="white" stroke="black"/>`,
    ...rects,
    `<text x="${pad}" y="${pad - 8}">${m.id}: approx - exact, B (weight) ${lo}..${hi} across, A (activation) ${lo}..${hi} down</text>`,
    `<text x="${pad}" y="${size + pad + 16}">blue: too small, red: too large; full colour = ${scale.toFixed(1)}</text>`,
    '</svg>',
    '',
  ].join('\n');
}
