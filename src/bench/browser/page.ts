// The page side of a browser bench: exposes `window.__benchRun(args)` for scripts/bench.mjs, which
// calls it once and receives the result as a JSON string. Log lines go to the runner's exposed
// `__benchLog` (the terminal) and to the page's <pre id="log"> (for a page opened by hand with
// BENCH_KEEP_OPEN=1, where `?run` or `?run=a,b` starts the bench with those args).
import type { BenchContext, BrowserBench } from './contract';

declare global {
  interface Window {
    __benchLog?: (line: string) => Promise<void>;
    __benchRun?: (args: string[]) => Promise<string>;
  }
}

export function installBench(run: BrowserBench): void {
  const pre = document.getElementById('log');
  const log = (line: string) => {
    if (pre) pre.textContent += `${line}\n`;
    if (window.__benchLog) void window.__benchLog(line);
    else console.log(line);
  };
  window.__benchRun = async (args: string[]) => {
    const ctx: BenchContext = { log, args };
    const result = await run(ctx);
    return JSON.stringify(result ?? null);
  };
  const q = new URLSearchParams(location.search).get('run');
  if (q !== null && !window.__benchLog) {
    window.__benchRun(q ? q.split(',') : []).then(
      (json) => log(`BENCH_JSON ${json}`),
      (e) => log(`bench failed: ${e instanceof Error ? e.message : String(e)}`),
    );
  }
}
