/** A benchmark: measures one thing and returns its figures (numbers with their unit in the key name). */
export interface Benchmark {
  readonly name: string;
  readonly summary: string;
  run(): Promise<Record<string, number | string>>;
}
