/** `adequate compile MODEL.onnx [--inputs X --labels Y] [-o OUT] [--config adequate.yaml]`: the whole flow, one folder
 *  per stage (OUT/<n>-<stage>/), unchanged stages skipped, then OUT/report.html. */
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { CommandModule } from 'yargs';
import { userError } from '../../errors.js';
import { applyOverrides, findConfigBeside, readConfig, type FlowConfig } from '../../flow/config.js';
import { flowCommands, runFlow } from '../../flow/run.js';
import { checkCommandLine } from '../parser.js';
import { stageFolder } from '../../flow/stages.js';
import { accuracyLadder, exactTwinRows, exactTwinSkipped, verificationRows, writeReport } from '../../report/html.js';
import { formatSeconds } from '../progress.js';
import { intOption } from '../options.js';
import { formatTable } from '../table.js';

interface Args {
  model: string;
  out?: string;
  config?: string;
  inputs?: string;
  labels?: string;
  seed?: number;
  set?: string[];
  force?: boolean;
  json?: boolean;
}

export const compileCommand: CommandModule<object, Args> = {
  command: 'compile <model>',
  describe: 'the whole flow: import, quantize, approximate, emit HLS and Verilog, verify, synthesize, report',
  builder: (y) =>
    y
      .positional('model', { type: 'string', demandOption: true, describe: 'an .onnx file' })
      .option('out', { alias: 'o', type: 'string', describe: 'output folder (default out/<model folder name>)' })
      .option('config', { type: 'string', describe: 'YAML or JSON config (default: adequate.yaml beside the model)' })
      .option('inputs', { type: 'string', describe: 'dataset samples (overrides the config and the model\'s dataset.json)' })
      .option('labels', { type: 'string', describe: 'dataset labels' })
      .option('seed', intOption('seed', { describe: 'random seed of the searches' }))
      .option('set', { type: 'string', array: true, describe: 'override one config value: section.key=value (repeatable), e.g. approx.gen=4' })
      .option('force', { type: 'boolean', describe: 'rerun every stage, even unchanged ones, and write into an -o that adequate did not make (never one that holds the model)' })
      .option('json', { type: 'boolean', describe: 'print one JSON object (stages, times, report path)' }) as never,
  handler: async (args) => {
    if (!args.model.endsWith('.onnx')) throw userError('E_USAGE', `${args.model} is not an .onnx file; compile starts from an ONNX model`);
    if (!existsSync(args.model)) throw userError('E_IO', `model ${args.model} does not exist; give the path of an .onnx file`);
    const configFile = args.config ?? findConfigBeside(args.model);
    let config: FlowConfig = configFile ? readConfig(configFile) : {};
    const sets = [...(args.set ?? [])];
    if (args.inputs !== undefined) sets.push(`dataset.inputs=${args.inputs}`);
    if (args.labels !== undefined) sets.push(`dataset.labels=${args.labels}`);
    if (args.seed !== undefined) sets.push(`seed=${args.seed}`);
    config = applyOverrides(config, sets);
    const out = args.out ?? join('out', basename(dirnameOf(args.model)));
    // Every stage's options are checked before the first stage runs (the stages run as child processes later).
    for (const { def, argv } of flowCommands(args.model, out, config)) {
      const bad = await checkCommandLine(argv);
      if (bad) throw userError(bad.code, `${bad.message} (in stage ${stageFolder(def)}: adequate ${argv.join(' ')}; fix the ${def.id} section of the config or its --set)`);
    }
    const log = (line: string) => process.stderr.write(line + '\n');
    log(`compile ${args.model} -> ${out}${configFile ? ` (config ${configFile})` : ''}`);
    const t0 = performance.now();
    const result = await runFlow({
      model: args.model,
      out,
      config,
      ...(args.force ? { force: true } : {}),
      inputs: [configFile, config.dataset?.inputs, config.dataset?.labels].filter((f): f is string => f !== undefined),
      events: {
        stageModified: (def, changed) => log(`      ${stageFolder(def)}: ${changed.length} file(s) changed since its run (${changed.slice(0, 3).join(', ')}${changed.length > 3 ? ', ...' : ''}); rerunning it`),
        stageStart: (def, i, n, skipped) => { if (!skipped) log(`[${i + 1}/${n}] ${stageFolder(def)}: ${def.title}`); },
        stageEnd: (def, o) => log(o.skipped ? `      ${stageFolder(def)}: unchanged, skipped` : `      ${stageFolder(def)}: done in ${formatSeconds(o.seconds)}${o.record.exitCode === 3 ? ' (MISMATCHES)' : ''}`),
      },
    });
    if (result.interrupted) {
      log(`interrupted: the ${result.stages.length} finished stage(s) in ${out} are kept; rerun the same command to continue`);
      process.exitCode = 130;
      return;
    }
    const report = await writeReport(out, args.model, configFile, result.stages.map((s) => s.record));
    const seconds = (performance.now() - t0) / 1000;
    if (args.json) {
      console.log(JSON.stringify({ out, report, seconds: +seconds.toFixed(1), exit_code: result.exitCode, stages: result.stages.map((s) => ({ stage: s.record.stage, folder: s.record.folder, skipped: s.skipped, seconds: +s.seconds.toFixed(1), exit_code: s.record.exitCode })) }, null, 2));
    } else {
      console.log(formatTable(['stage', 'folder', 'result', 'time'], result.stages.map((s) => [s.record.stage, s.record.folder, s.skipped ? 'unchanged' : s.record.exitCode === 3 ? 'MISMATCHES' : 'ok', s.skipped ? '-' : formatSeconds(s.seconds)])));
      const records = result.stages.map((s) => s.record);
      const ladder = accuracyLadder(records);
      if (ladder.length) console.log('\n' + formatTable(['accuracy', 'top-1', 'images', 'measured by'], ladder.map((r) => [r.step, r.top1, r.count, r.source])));
      const twin = exactTwinRows(records);
      if (twin.length) console.log(formatTable(['hardware', 'energy (model)', 'DSPs allowed', 'LUT', 'FF', 'DSP', 'BRAM'], twin.map((r) => [r.build, r.energy, r.dsp, r.luts, r.ffs, r.dsps, r.brams])));
      if (exactTwinSkipped(records)) console.log('no exact twin: the approx stage chose the exact design, so the synthesized build is the exact one');
      const checks = verificationRows(records);
      if (checks.length) console.log(formatTable(['verification', 'inferences', 'mismatches', 'details'], checks.map((r) => [r.what, r.count, r.mismatches, r.extra])));
      console.log(`report: ${report} (${formatSeconds(seconds)} in all)`);
    }
    if (result.exitCode) process.exitCode = result.exitCode;
  },
};

function dirnameOf(model: string): string {
  const parts = model.split(/[\\/]/);
  return parts.length > 1 ? parts.slice(0, -1).join('/') : basename(model, '.onnx');
}
