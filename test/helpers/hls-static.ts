/** The static rules for emitted HLS C++, checked on the text of a build (comments and string literals removed):
 *  no dynamic allocation, no recursion, no unbounded loops, and no floating point in the design.
 *  Floating point: the design files (adequate_top.cpp, adequate.h, adequate_multipliers.h, adequate_weights.h) hold
 *  no float, double or float literal, and no function reachable from adequate_top (through the call graph of every
 *  function the build defines, adequate_types.h and adequate_stream.h included) mentions float or double. The only
 *  doubles of a build are in adequate_types.h functions the design never calls (float_format::encode/decode,
 *  fixed_std::from_double/to_double, round_half_even: conversions for hosts and tests). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';

const SOURCES = ['adequate_top.cpp', 'adequate.h', 'adequate_types.h', 'adequate_stream.h', 'adequate_multipliers.h', 'adequate_weights.h', 'tb.cpp'];
const DESIGN = ['adequate_top.cpp', 'adequate.h', 'adequate_multipliers.h', 'adequate_weights.h'];

/** Checks one build folder; `mustReach` names functions the design must call (so the reachability check has
 *  something to check). Returns the functions reachable from adequate_top. */
export function staticChecks(build: string, mustReach: readonly string[]): Set<string> {
  const code = (f: string) => readFileSync(join(build, f), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '').replace(/"(\\.|[^"\\])*"/g, '""');
  for (const f of SOURCES) {
    const c = code(f);
    for (const bad of [/\b(malloc|calloc|realloc|free|alloca)\s*\(/, /\bnew\b/, /\bdelete\b/, /std::(vector|string|map|list|deque|unique_ptr|shared_ptr)/, /\bwhile\b/, /\bgoto\b/, /for\s*\(\s*[^;]*;\s*;/])
      expect(c, `${build}/${f} must not contain ${bad}`).not.toMatch(bad);
    // Every loop counts an int up to a bound: for (int i = a; i < b; i++).
    for (const m of c.matchAll(/for\s*\(([^)]*)\)/g)) expect(m[1], `${build}/${f}: loop 'for (${m[1]})'`).toMatch(/^int (\w+) = [^;]+; \1 < [^;]+; \1\+\+$/);
  }
  for (const f of DESIGN) expect(code(f), `${build}/${f}`).not.toMatch(/\b(float|double)\b|\d\.\d|\d[eE][-+]?\d/);
  // The call graph of every defined function, by name (same-named members of different structs are one node, which
  // over-approximates the calls: safe for both checks below).
  const bodies = new Map<string, string[]>();
  for (const f of ['adequate_top.cpp', 'adequate_multipliers.h', 'adequate_types.h', 'adequate_stream.h'])
    for (const [name, body] of functionBodies(code(f))) bodies.set(name, [...(bodies.get(name) ?? []), body]);
  const calls = (fn: string) => [...bodies.keys()].filter((g) => bodies.get(fn)!.some((b) => new RegExp(`\\b${g}\\s*[(<]`).test(b)));
  // No recursion: no cycle.
  const state = new Map<string, 'open' | 'done'>();
  const visit = (fn: string, path: string[]): void => {
    if (state.get(fn) === 'done') return;
    expect(state.get(fn), `recursion: ${[...path, fn].join(' -> ')}`).not.toBe('open');
    state.set(fn, 'open');
    for (const g of calls(fn)) visit(g, [...path, fn]);
    state.set(fn, 'done');
  };
  for (const fn of bodies.keys()) visit(fn, []);
  expect(bodies.has('adequate_top') && bodies.has('tile_0')).toBe(true);
  // No floating point in anything the design runs.
  const reached = new Set<string>(['adequate_top']);
  for (const todo = ['adequate_top']; todo.length > 0; ) for (const g of calls(todo.pop()!)) if (!reached.has(g)) reached.add(g), todo.push(g);
  for (const fn of reached) for (const body of bodies.get(fn)!) expect(body, `${build}: ${fn}, reachable from adequate_top, uses floating point`).not.toMatch(/\b(float|double)\b/);
  for (const fn of mustReach) expect(reached.has(fn), `${build}: adequate_top reaches ${fn}`).toBe(true);
  return reached;
}

/** Function definitions of C++ text: name -> bodies (brace-matched). */
function functionBodies(c: string): [string, string][] {
  const out: [string, string][] = [];
  for (const m of c.matchAll(/^[ \t]*(?:static\s+|inline\s+)*[\w:<>,]+[\s*&]+(\w+)\s*\([^;{]*\)\s*(?:const\s*)?\{/gm)) {
    let depth = 0, i = m.index + m[0].length - 1;
    const start = i;
    for (; i < c.length; i++) {
      if (c[i] === '{') depth++;
      else if (c[i] === '}' && --depth === 0) break;
    }
    if (!['if', 'for', 'switch', 'return', 'else'].includes(m[1]!)) out.push([m[1]!, c.slice(start + 1, i)]);
  }
  return out;
}
