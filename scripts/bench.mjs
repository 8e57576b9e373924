// `npm run bench`: benchmarks. They print numbers and assert nothing.
//
//   npm run bench                        # kernel variants (src/bench/kernels.ts, Node)
//   npm run bench -- <name> [args...]    # src/bench/<name>.ts, else src/bench/<name>.browser.ts
//
// Node benches (src/bench/<name>.ts): bundled with Vite's SSR build (TypeScript, shaders imported as
// text) into .cache/bench-node/<name>.mjs and run in Node on the Dawn substrates, as before.
//
// Browser benches (src/bench/<name>.browser.ts, used when no src/bench/<name>.ts exists). Contract:
//   - The module's default export is
//       export default async function run(ctx: { log(line: string): void; args: string[] }): Promise<unknown>
//     (the type is `BrowserBench` in src/bench/browser/contract.ts).
//   - It is bundled for the browser with Vite into .cache/bench/web/<name>/ and served from a local
//     HTTP server on 127.0.0.1 (random port) with COOP/COEP (+ CORP) headers, so crossOriginIsolated is
//     true and wasm threads work. Every route answers HTTP Range requests:
//       /            the bundled page (index.html + bench.js)
//       /ort/        node_modules/onnxruntime-web/dist/
//       /wllama/     node_modules/@wllama/wllama/ (package root: esm/, its wasm files)
//       /public/     public/
//       /fixtures/   training/fixtures/
//       /assets/     .cache/bench-assets/ (files a bench generates; create it from Node beforehand)
//   - Debian's Chromium (/usr/bin/chromium, or $CHROMIUM_PATH) is launched headless by Playwright with
//     --enable-unsafe-webgpu and the background flags of ../shared/WEBGPU-HERE.md, never with
//     --enable-dawn-features=disable_workgroup_init (it makes ORT's MatMulNBits wrong). The page is
//     loaded and run(ctx) is called once; ctx.args are the CLI args after <name>.
//   - ctx.log lines stream to stdout as they come. The resolved value is printed at the end as one
//     line `BENCH_JSON <json>` and written to .cache/bench/<name>.json.
//   - A page error (uncaught exception, unhandled rejection) or a rejected run() fails the command
//     (exit 1) with the message. Page console warnings/errors go to stderr prefixed `[page]`.
//   - BENCH_KEEP_OPEN=1 keeps the server up after the run: open the printed URL in a browser by hand
//     (`/?run` runs the bench there, `/?run=a,b` with args).
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve, sep } from 'node:path';
import { build } from 'vite';
import { ISOLATION_HEADERS, launchChromium, sendFile } from './lib/serve.mjs';

const root = resolve(import.meta.dirname, '..');
const name = process.argv[2] ?? 'kernels';
const args = process.argv.slice(3);
const nodeEntry = join(root, `src/bench/${name}.ts`);
const browserEntry = join(root, `src/bench/${name}.browser.ts`);

if (existsSync(nodeEntry)) {
  // The bundle must sit two folders below the root (.cache/bench-node/x.mjs): sources find files
  // relative to import.meta.dirname as if from src/<folder>/ (src/test/node-gpu.ts, src/bench/llm-models.ts).
  // One file per bench and no emptying, so two benches can build at once.
  const outDir = join(root, '.cache/bench-node');
  const file = `${name.replaceAll('/', '__')}.mjs`;
  await build({
    root,
    logLevel: 'warn',
    configFile: false,
    publicDir: false,
    build: { ssr: nodeEntry, outDir, emptyOutDir: false, target: 'node20', rollupOptions: { output: { entryFileNames: file } } },
  });
  const r = spawnSync(process.execPath, [join(outDir, file), ...args], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
if (!existsSync(browserEntry)) {
  console.error(`bench: no src/bench/${name}.ts or src/bench/${name}.browser.ts`);
  process.exit(2);
}

// ---- browser bench -------------------------------------------------------------------------------

const webDir = join(root, `.cache/bench/web/${name}`);
const ENTRY = 'virtual:bench-entry';
await build({
  root,
  logLevel: 'warn',
  configFile: false,
  publicDir: false,
  plugins: [
    {
      name: 'bench-entry',
      resolveId: (id) => (id === ENTRY ? `\0${ENTRY}` : null),
      load: (id) =>
        id === `\0${ENTRY}`
          ? `import run from ${JSON.stringify(browserEntry)};\nimport { installBench } from ${JSON.stringify(join(root, 'src/bench/browser/page.ts'))};\ninstallBench(run);\n`
          : null,
    },
  ],
  build: {
    outDir: webDir,
    emptyOutDir: true,
    target: 'es2022',
    minify: false,
    sourcemap: true,
    rollupOptions: { input: ENTRY, output: { format: 'es', entryFileNames: 'bench.js', chunkFileNames: '[name]-[hash].js' } },
  },
});
writeFileSync(
  join(webDir, 'index.html'),
  `<!doctype html>\n<html><head><meta charset="utf-8"><title>bench: ${name}</title></head>\n<body><pre id="log"></pre><script type="module" src="/bench.js"></script></body></html>\n`,
);

const ROUTES = [
  ['/ort/', join(root, 'node_modules/onnxruntime-web/dist')],
  ['/wllama/', join(root, 'node_modules/@wllama/wllama')],
  ['/public/', join(root, 'public')],
  ['/fixtures/', join(root, 'training/fixtures')],
  ['/assets/', join(root, '.cache/bench-assets')],
  ['/', webDir],
];

function resolveFile(pathname) {
  for (const [prefix, dir] of ROUTES) {
    if (!pathname.startsWith(prefix)) continue;
    const rel = pathname === '/' ? 'index.html' : decodeURIComponent(pathname.slice(prefix.length));
    const file = resolve(dir, rel);
    return file === dir || file.startsWith(dir + sep) ? file : null;
  }
  return null;
}

function serve(req, res) {
  const headers = { ...ISOLATION_HEADERS, 'Cache-Control': 'no-store' };
  const pathname = new URL(req.url, 'http://x').pathname;
  if (pathname === '/favicon.ico') return res.writeHead(204, headers).end();
  const file = resolveFile(pathname);
  if (!file) return res.writeHead(403, headers).end('forbidden');
  sendFile(req, res, file, headers);
}

const server = createServer(serve);
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${server.address().port}`;

const browser = await launchChromium();
let code = 0;
try {
  const page = await browser.newPage();
  // The first page error wins the race against run(): the bench fails with its message.
  const pageError = new Promise((_, reject) => page.on('pageerror', (e) => reject(new Error(`page error: ${e.message}`))));
  pageError.catch(() => {});
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') console.error(`[page] ${m.type()}: ${m.text()}`);
  });
  await page.exposeFunction('__benchLog', (line) => console.log(line));
  await page.goto(`${base}/`);
  await Promise.race([page.waitForFunction(() => '__benchRun' in window, null, { timeout: 60_000 }), pageError]);
  const t0 = performance.now();
  const json = await Promise.race([page.evaluate((a) => window.__benchRun(a), args), pageError]);
  const result = JSON.parse(json);
  console.log(`BENCH_JSON ${JSON.stringify(result)}`);
  const jsonPath = join(root, `.cache/bench/${name}.json`);
  mkdirSync(dirname(jsonPath), { recursive: true }); // names may have folders: npm run bench -- e2e/x
  writeFileSync(jsonPath, JSON.stringify(result, null, 2) + '\n');
  console.error(`bench ${name}: done in ${((performance.now() - t0) / 1e3).toFixed(1)} s; JSON in .cache/bench/${name}.json`);
} catch (e) {
  console.error(`bench ${name} failed: ${e instanceof Error ? e.message : String(e)}`);
  code = 1;
} finally {
  await browser.close();
  if (process.env.BENCH_KEEP_OPEN) console.error(`server kept open at ${base}/?run (Ctrl-C to stop)`);
  else server.close();
}
if (!process.env.BENCH_KEEP_OPEN) process.exit(code);
