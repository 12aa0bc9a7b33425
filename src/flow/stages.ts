/** The stages of `adequate compile`, in order: what each reads, whether it runs, and the adequate command lines that
 *  make it. A stage is nothing but CLI commands, so every stage can be rerun alone with the command the report shows.
 *  Folder numbers are fixed per stage (OUT/5-approx is always the approximate binding), so folders keep their names
 *  when optional stages are switched on or off. */
import type { FlowConfig, StageSection } from './config.js';
import { loadIr } from '../ir/serialize.js';
import { bindsApproximateMultiplier } from '../passes/bind-multipliers.js';

export type StageId = 'import' | 'quantize' | 'share' | 'wordlength' | 'approx' | 'hls' | 'csim' | 'verilog' | 'rtl' | 'synth';

export interface StageDef {
  readonly id: StageId;
  readonly number: number;
  readonly title: string;
  /** Runs unless its section says `enabled: false` (or, for optional stages, unless it says `enabled: true`). */
  readonly onByDefault: boolean;
  /** True when the stage's first command writes the stage folder itself (`-o`); else the flow writes it. */
  readonly writesFolder: boolean;
}

export const STAGES: readonly StageDef[] = [
  { id: 'import', number: 1, title: 'import ONNX, infer shapes, fold BatchNorm and constants', onByDefault: true, writesFolder: true },
  { id: 'quantize', number: 2, title: 'calibrate, quantize to integers, measure float and quantized accuracy', onByDefault: true, writesFolder: true },
  { id: 'share', number: 3, title: 'weight sharing (clustered weights)', onByDefault: false, writesFolder: true },
  { id: 'wordlength', number: 4, title: 'word-length tuning (fixed or custom float)', onByDefault: false, writesFolder: true },
  { id: 'approx', number: 5, title: 'approximate multipliers (ALWANN, NSGA-II)', onByDefault: true, writesFolder: true },
  { id: 'hls', number: 6, title: 'emit HLS C++', onByDefault: true, writesFolder: true },
  { id: 'csim', number: 7, title: 'C simulation (g++) against the golden model', onByDefault: true, writesFolder: false },
  { id: 'verilog', number: 8, title: 'emit Verilog', onByDefault: true, writesFolder: true },
  { id: 'rtl', number: 9, title: 'Verilator simulation against the golden and cycle models', onByDefault: true, writesFolder: false },
  { id: 'synth', number: 10, title: 'Yosys synthesis (synth_xilinx)', onByDefault: true, writesFolder: false },
];

export function stageFolder(s: StageDef): string {
  return `${s.number}-${s.id}`;
}

const stageOn = (id: StageId, config: FlowConfig) => stageEnabled(STAGES.find((d) => d.id === id)!, config);

export function stageEnabled(s: StageDef, config: FlowConfig): boolean {
  const section = config[s.id] as StageSection | undefined;
  return section?.enabled ?? s.onByDefault;
}

/** Everything a stage's command lines depend on. Paths are as the user would type them (relative to the cwd). */
export interface StageContext {
  readonly model: string;
  readonly out: string;
  readonly config: FlowConfig;
  /** Folder of the stage's input (previous IR stage or build), or the model for import. */
  readonly input: string;
  /** The stage's own folder. */
  readonly folder: string;
  /** The approx stage's output IR (when it runs): the synth stage builds the same accelerator from it (same tiles,
   *  lanes and weights) with exact multipliers, the exact twin, to show both builds' resources side by side. Absent
   *  when the approx stage is off or chose the exact design (exactTwinSource). */
  readonly exactTwinIr?: string;
}

/** The IR the exact twin is built from: the approx stage's output when its chosen design binds an approximate
 *  multiplier to some layer; undefined when the stage chose the exact design, whose twin would be the same build
 *  synthesized twice. Read when the synth stage starts (the choice is only known once the approx stage has run). */
export function exactTwinSource(approxIr: string): string | undefined {
  return bindsApproximateMultiplier(loadIr(approxIr)) ? approxIr : undefined;
}

/** Where the synth stage writes the exact twin's Verilog build: beside the chosen design's build. */
export const exactTwinBuild = (verilogBuild: string): string => `${verilogBuild}-exact`;

/** The adequate command lines of a stage (argv without the program), each printing one JSON object with --json. */
export function stageCommands(s: StageDef, ctx: StageContext): string[][] {
  const { config, input, folder } = ctx;
  // The emitters also take the config's hardware folding (their own section's keys win).
  const emitFlags = (section: StageSection | undefined) => sectionFlags({ ...(config.hardware ?? {}), ...(section ?? {}) });
  // The word-length search measures the order of the tiles' SIMD lanes, so it takes the hardware's S unless its own
  // section says otherwise.
  const wordlengthSection = config.hardware?.simd !== undefined ? { simd: config.hardware.simd, ...(config.wordlength ?? {}) } : config.wordlength;
  const flags = s.id === 'hls' || s.id === 'verilog' ? emitFlags(config[s.id]) : sectionFlags(s.id === 'wordlength' ? wordlengthSection : (config[s.id] as StageSection | undefined));
  const data = datasetFlags(config);
  const seed = config.seed !== undefined ? ['--seed', String(config.seed)] : [];
  const queue = queueFlags(config);
  switch (s.id) {
    case 'import':
      return [['import', input, '-o', folder, ...flags, '--json']];
    case 'quantize': // measures float and quantized accuracy on the same held-out images
      return [['quantize', input, '-o', folder, ...data, ...flags, '--json']];
    case 'share':
      return [['share', input, '-o', folder, ...flags, '--json'], ['eval', folder, ...data, '--json']];
    case 'wordlength': {
      // A tuned IR is HLS C++ too (docs/hls.md): when the HLS stages are on, the stage also emits it into
      // <folder>/hls and C-simulates it bit for bit against the word-length golden model. (The Verilog tiles take
      // integer IRs only, and the approximate binding works on the quantized branch.)
      const tune = ['wordlength', input, '-o', folder, ...data, ...flags, ...queue, '--json'];
      if (!(stageOn('hls', config) && stageOn('csim', config))) return [tune];
      const build = `${folder}/hls`;
      // The tuned IR records its S (wordlength --simd), which the emitter builds; an --simd here could only disagree.
      return [tune, ['emit', 'hls', folder, '-o', build, ...withoutFlag(emitFlags(config.hls), '--simd'), '--json'], ['verify', build, '--hls', ...data, ...sectionFlags(config.csim), ...queue, '--json']];
    }
    case 'approx':
      return [['approx', input, '-o', folder, ...data, ...seed, ...flags, ...queue, '--json']];
    case 'hls':
      return [['emit', 'hls', input, '-o', folder, ...flags, '--json']];
    case 'csim':
      return [['verify', input, '--hls', ...data, ...flags, ...queue, '--json']];
    case 'verilog':
      return [['emit', 'verilog', input, '-o', folder, ...flags, '--json']];
    case 'rtl':
      return [['verify', input, ...data, ...flags, ...queue, '--json']];
    case 'synth': {
      // The chosen design with and without DSP48 cells; then, when the chosen design approximates, the exact twin
      // (emitted with the verilog stage's flags) with and without DSPs. Results in this order (src/report/html.ts).
      const chosen = [['synth', input, ...flags, '--json'], ['synth', input, '--no-dsp', ...flags, '--json']];
      if (ctx.exactTwinIr === undefined) return chosen;
      const twin = exactTwinBuild(input);
      return [...chosen, ['emit', 'verilog', ctx.exactTwinIr, '-o', twin, '--exact-multipliers', ...emitFlags(config.verilog), '--json'], ['synth', twin, ...flags, '--json'], ['synth', twin, '--no-dsp', ...flags, '--json']];
    }
  }
}

/** A section's keys as command-line flags, in the section's order (enabled is the flow's own key). */
export function sectionFlags(section: StageSection | undefined): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(section ?? {})) {
    if (k === 'enabled' || v === undefined || v === null) continue;
    if (typeof v === 'boolean') out.push(v ? `--${k}` : `--no-${k}`);
    else if (Array.isArray(v)) for (const x of v) out.push(`--${k}`, String(x));
    else out.push(`--${k}`, String(v));
  }
  return out;
}

/** argv without one valued flag (`--simd 3`). */
function withoutFlag(argv: readonly string[], flag: string): string[] {
  return argv.filter((a, i) => a !== flag && argv[i - 1] !== flag);
}

/** `--queue URL [--shared-dir DIR]` of the stages that can use the job queue (the config's `queue:`). */
function queueFlags(config: FlowConfig): string[] {
  const q = config.queue;
  return q ? ['--queue', q.url, ...(q['shared-dir'] !== undefined ? ['--shared-dir', q['shared-dir']] : [])] : [];
}

/** A stage command without its queue flags: where the work runs changes no result, so no stage's content key. */
export function withoutQueueFlags(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--queue' || argv[i] === '--shared-dir') i++;
    else out.push(argv[i]!);
  }
  return out;
}

function datasetFlags(config: FlowConfig): string[] {
  const d = config.dataset ?? {};
  return [
    ...(d.inputs !== undefined ? ['--inputs', d.inputs] : []),
    ...(d.labels !== undefined ? ['--labels', d.labels] : []),
    ...(d.limit !== undefined ? ['--limit', String(d.limit)] : []),
    ...(d.offset !== undefined ? ['--offset', String(d.offset)] : []),
  ];
}

/** Which earlier stage's folder a stage reads (the last enabled IR stage before it, or a build). */
export function stageInput(s: StageDef, enabled: ReadonlySet<StageId>, folderOf: (id: StageId) => string, model: string): string {
  const lastIr = (before: number) => {
    const chain: StageId[] = ['approx', 'share', 'quantize', 'import'];
    const id = chain.find((c) => enabled.has(c) && STAGES.find((x) => x.id === c)!.number < before);
    return id ? folderOf(id) : model;
  };
  switch (s.id) {
    case 'import':
      return model;
    case 'wordlength':
      return folderOf('import');
    case 'csim':
      return folderOf('hls');
    case 'rtl':
    case 'synth':
      return folderOf('verilog');
    default:
      return lastIr(s.number === 6 || s.number === 8 ? 6 : s.number);
  }
}
