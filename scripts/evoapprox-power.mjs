/** Prints the validation of the switching-activity power model against the EvoApprox library's published power
 *  (the table and figures in docs/multipliers.md). Needs `npm run build` and yosys.
 *  Usage: node scripts/evoapprox-power.mjs [--json] */
import { validateSwitchingPower } from '../dist/src/multipliers/power-validation.js';

const v = validateSwitchingPower();
const summary = {
  netlists: v.rows.length,
  spearman: +v.spearman.toFixed(3),
  pearson: +v.pearson.toFixed(3),
  median_relative_error: +v.medianRelativeError.toFixed(3),
  geometric_mean_ratio: +v.geometricMeanRatio.toFixed(3),
};
if (process.argv.includes('--json')) {
  console.log(JSON.stringify({ rows: v.rows, ...summary }, null, 2));
} else {
  console.log('| id | gates | published power (rel.) | switching estimate (rel.) | ratio |');
  console.log('|---|---:|---:|---:|---:|');
  for (const r of [...v.rows].sort((a, b) => a.published - b.published))
    console.log(`| ${r.id} | ${r.gates} | ${r.published.toFixed(4)} | ${r.switching.toFixed(4)} | ${(r.switching / r.published).toFixed(2)} |`);
  console.log(JSON.stringify(summary));
}
