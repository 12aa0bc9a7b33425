/** The output folder of an exploration command (approx, share-explore): the chosen design as an IR (with the
 *  model's dataset.json), pareto.json and pareto.svg, written atomically. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { saveIr } from '../ir/serialize.js';
import type { Graph } from '../ir/types.js';
import { writeDirAtomically } from '../io/atomic-dir.js';
import type { OutputClaim } from '../io/output-guard.js';
import { paretoSvg, type PlotPoint } from '../report/pareto-svg.js';
import { copyDatasetConfig } from './dataset-copy.js';

/** The plot: every fully measured design, the front, the baseline (cost 1) and the chosen design. */
export interface ExplorationPlot {
  readonly title: string;
  readonly xLabel: string;
  readonly evaluationImages: number;
  readonly baselineTop1: number;
  readonly all: readonly PlotPoint[];
  readonly front: readonly PlotPoint[];
  readonly chosen: PlotPoint;
}

export async function writeExplorationDir(out: string | OutputClaim, modelPath: string, chosen: Graph, report: unknown, plot: ExplorationPlot): Promise<void> {
  const svg = paretoSvg({ ...plot, exact: { energy: 1, top1: plot.baselineTop1 }, yLabel: `top-1 % on ${plot.evaluationImages} evaluation images` });
  await writeDirAtomically(out, (tmp) => {
    saveIr(tmp, chosen);
    copyDatasetConfig(modelPath, tmp);
    writeFileSync(join(tmp, 'pareto.json'), JSON.stringify(report, null, 2) + '\n');
    writeFileSync(join(tmp, 'pareto.svg'), svg);
  });
}
