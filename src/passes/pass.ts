/** A pass: one pure function from graph to graph, with a kebab-case name that doubles as its CLI spelling.
 *  It never prints or touches files; if nothing changed it returns the same graph object. */
import type { Graph } from '../ir/types.js';

export interface PassResult {
  readonly graph: Graph;
  /** What the pass did, as counts (for --verbose and reports). */
  readonly stats: Readonly<Record<string, number>>;
}

export interface Pass<Options = Record<string, never>> {
  readonly name: string;
  readonly summary: string;
  run(graph: Graph, options?: Options): PassResult;
}
