// The contract between scripts/bench.mjs and a browser bench (src/bench/<name>.browser.ts): the
// module's default export receives a context and resolves to a JSON-serialisable result.

export interface BenchContext {
  /** One line of output; streams to the terminal as it comes. */
  log(line: string): void;
  /** The command-line arguments after the bench name (`npm run bench -- <name> a b` gives ['a', 'b']). */
  args: string[];
}

export type BrowserBench = (ctx: BenchContext) => Promise<unknown>;
