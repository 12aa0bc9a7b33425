/** A build folder (what `adequate emit hls|verilog` writes and `adequate verify` reads) is self-contained: it holds
 *  the emitted sources, a copy of the IR they were made from (`ir/`, with its dataset.json), and `build.json`, the
 *  manifest that says what kind of build it is and with which options. */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { userError } from '../errors.js';
import { saveIr, loadIr } from '../ir/serialize.js';
import type { Graph } from '../ir/types.js';
import type { HostInterface } from '../hw/interface.js';
import type { MemoryRecord } from '../hw/schedule.js';
import { copyDatasetConfig } from '../cli/dataset-copy.js';

export const BUILD_MANIFEST = 'build.json';
export const BUILD_IR_DIR = 'ir';

export type BuildKind = 'hls' | 'verilog';

/** How an approximate multiplier becomes hardware: its gate-level netlist, its 65,536-entry table as a ROM, or
 *  (auto) the netlist when the library has one, else the table. Exact tiles always use `*`. */
export type MultiplierImpl = 'auto' | 'table' | 'netlist';

export interface BuildManifest {
  readonly kind: BuildKind;
  /** The IR folder or model the build was emitted from, as given. */
  readonly source: string;
  readonly model: string;
  readonly lanes: number;
  /** P x S per tile and the window unit's taps (src/hw/fold.ts); absent in builds before folding: `lanes` x 1. */
  readonly folding?: { readonly tiles: readonly { readonly pe: number; readonly simd: number }[]; readonly window: number };
  /** Multiplier library folder used (undefined = built-ins only). */
  readonly library?: string;
  /** Emitter-specific options (part, clock, ...). */
  readonly options: Readonly<Record<string, unknown>>;
  /** Quantized builds: the input and output codes as the host maps them (src/hw/interface.ts). */
  readonly interface?: HostInterface;
  /** Verilog builds: the activation memories and what each holds (src/hw/schedule.ts memoryRecords). */
  readonly memories?: readonly MemoryRecord[];
}

/** Writes the manifest and the IR copy into a (temporary) build folder. */
export function writeBuildBase(dir: string, manifest: BuildManifest, graph: Graph): void {
  writeFileSync(join(dir, BUILD_MANIFEST), JSON.stringify(manifest, null, 2) + '\n');
  mkdirSync(join(dir, BUILD_IR_DIR), { recursive: true });
  saveIr(join(dir, BUILD_IR_DIR), graph);
  copyDatasetConfig(manifest.source, join(dir, BUILD_IR_DIR));
}

export function readBuild(dir: string, expected?: BuildKind): { manifest: BuildManifest; graph: Graph; irDir: string } {
  const file = join(dir, BUILD_MANIFEST);
  if (!existsSync(file)) {
    // Never suggest `-o DIR` here: DIR may be the user's IR folder, and emit replaces its output folder whole.
    const isIr = existsSync(join(dir, 'model.ir.json'));
    throw userError('E_USAGE', `${dir} is not a build folder (no ${BUILD_MANIFEST})${isIr ? '; it is an IR folder' : ''}: make a build from ${isIr ? 'it' : 'an IR'} into a new folder with adequate emit hls|verilog ${isIr ? dir : 'IR'} -o BUILD, then verify BUILD`);
  }
  let manifest: BuildManifest;
  try {
    manifest = JSON.parse(readFileSync(file, 'utf8')) as BuildManifest;
  } catch (e) {
    throw userError('E_USAGE', `${file} is not valid JSON (${(e as Error).message}); emit the build again`);
  }
  if (manifest.kind !== 'hls' && manifest.kind !== 'verilog') throw userError('E_USAGE', `${file}: kind '${String(manifest.kind)}' is neither hls nor verilog; emit the build again`);
  if (expected && manifest.kind !== expected) {
    throw userError('E_USAGE', `${dir} is a ${manifest.kind} build, not ${expected}; ${expected === 'hls' ? 'emit one with adequate emit hls' : 'drop --hls or emit with adequate emit verilog'}`);
  }
  const irDir = join(dir, BUILD_IR_DIR);
  return { manifest, graph: loadIr(irDir), irDir };
}
