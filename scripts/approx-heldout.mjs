// Re-measures every front design of an `adequate approx` run on the held-out images (the --holdout images after the
// --eval ones, which the search never saw), with each weight-update mode: the README's table of approximate designs.
// Usage: node scripts/approx-heldout.mjs QDIR APPROX_OUT [--eval 2000] [--holdout 5000]   (after npm run build)
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { loadIr } from '../dist/src/ir/serialize.js';
import { layerInfo, libraryCandidates } from '../dist/src/dse/approx/setup.js';
import { designBindings } from '../dist/src/dse/approx/explore.js';
import { bindMultipliers } from '../dist/src/passes/bind-multipliers.js';
import { loadDatasetFor } from '../dist/src/cli/dataset-options.js';
import { evaluateParallel } from '../dist/src/golden/parallel.js';

const [qdir, out, ...rest] = process.argv.slice(2);
const flag = (name, dflt) => (rest.includes(name) ? Number(rest[rest.indexOf(name) + 1]) : dflt);
const evalCount = flag('--eval', 2000), holdout = flag('--holdout', 5000);
const graph = loadIr(qdir);
const pareto = JSON.parse(readFileSync(join(out, 'pareto.json'), 'utf8'));
const shape = graph.inputs[0].shape;
const held = loadDatasetFor(qdir, { offset: evalCount, limit: holdout }, shape, 'test');
const calib = loadDatasetFor(qdir, { limit: 200 }, shape, 'calib'); // what `adequate approx` uses for histograms
const names = graph.nodes.filter((n) => n.op === 'QConv' || n.op === 'QGemm').map((n) => n.name);
const layers = layerInfo(graph, names, calib.inputs);
const library = await libraryCandidates(pareto.library, graph.constants.get(graph.nodes.find((n) => n.op === 'QConv' || n.op === 'QGemm').inputs[1]).dtype === 'int8');
const index = new Map(library.map((c, i) => [c.id, i]));
const top1 = async (g) => (await evaluateParallel(g, held, {})).top1;
const exact = await top1(graph);
console.log(`exact on ${held.count} held-out images: ${(100 * exact).toFixed(2)} %`);
console.log('| relative energy | tiles | search top-1 | held-out, histogram update | uniform update | no update |');
console.log('|---|---|---|---|---|---|');
for (const d of pareto.front) {
  const perLayer = d.layers.map((l) => index.get(l.multiplier));
  const cells = [];
  for (const mode of ['histogram', 'uniform', 'none']) {
    const g = bindMultipliers.run(graph, { layers: designBindings(perLayer, layers, library, mode) }).graph;
    const t = await top1(g);
    cells.push(`${(100 * t).toFixed(2)} %${mode === 'histogram' ? ` (${(100 * (t - exact)).toFixed(2)})` : ''}`);
  }
  console.log(`| ${d.relative_energy.toFixed(3)} | ${[...new Set(d.layers.map((l) => l.multiplier))].join(', ')} | ${(100 * d.top1).toFixed(2)} % | ${cells.join(' | ')} |`);
}
