// Headless runner: the playground's own worker and kernels in headless Chromium (real WebGPU),
// from the command line.
//
//   npm run cli -- generate --model <path|url> --prompt "..." [--chat] [--max-tokens N]
//     [--temperature T] [--top-k K] [--top-p P] [--min-p M] [--repeat-penalty R] [--seed S]
//     [--context N] [--json] [--dump-logits K] [--no-build]
//
// A local file is served to the page with HTTP Range support, exactly as a hub URL would be.
// --json prints JSON lines: {"id","text"} per token as it is sampled ({"id","text","top"} with
// --dump-logits K: the top-K [id, logit] pairs it was sampled from), then one final line with
// "done": true, the ids, text, ttft_ms, prefill_tok_s, decode_tok_s, byte counts and the adapter.
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { spawnSync } from 'node:child_process';
import { ISOLATION_HEADERS, launchChromium, sendFile } from './lib/serve.mjs';

const USAGE = `usage: npm run cli -- generate --model <path|url> --prompt "..." [--chat] [--max-tokens N]
  [--temperature T] [--top-k K] [--top-p P] [--min-p M] [--repeat-penalty R] [--seed S]
  [--context N] [--json] [--dump-logits K] [--no-build]`;

function fail(msg) {
  console.error(`cli: ${msg}\n${USAGE}`);
  process.exit(2);
}

const [cmd, ...rest] = process.argv.slice(2);
if (cmd !== 'generate') fail(cmd ? `unknown command "${cmd}"` : 'missing command');
let a;
try {
  a = parseArgs({
    args: rest,
    options: {
      model: { type: 'string' },
      prompt: { type: 'string' },
      chat: { type: 'boolean', default: false },
      'max-tokens': { type: 'string', default: '64' },
      temperature: { type: 'string', default: '0' },
      'top-k': { type: 'string', default: '0' },
      'top-p': { type: 'string', default: '1' },
      'min-p': { type: 'string', default: '0' },
      'repeat-penalty': { type: 'string', default: '1' },
      'repeat-last-n': { type: 'string', default: '64' },
      seed: { type: 'string', default: '42' },
      context: { type: 'string' },
      json: { type: 'boolean', default: false },
      'dump-logits': { type: 'string', default: '0' },
      'no-build': { type: 'boolean', default: false },
      'keep-open': { type: 'boolean', default: false },
    },
  }).values;
} catch (e) {
  fail(e.message);
}
if (!a.model) fail('--model is required');
if (a.prompt === undefined) fail('--prompt is required');
const num = (name) => {
  const v = Number(a[name]);
  if (!Number.isFinite(v)) fail(`--${name} must be a number (got "${a[name]}")`);
  return v;
};

const root = resolve(import.meta.dirname, '..');
const dist = join(root, 'dist');
if (!a['no-build'] || !existsSync(join(dist, 'cli.html'))) {
  const r = spawnSync('npx', ['vite', 'build', '--logLevel', 'error'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) fail('vite build failed');
}

const isUrl = /^https?:\/\//.test(a.model);
const modelPath = isUrl ? null : resolve(a.model);
if (modelPath && !existsSync(modelPath)) fail(`no such file: ${modelPath}`);

/** Serve dist/ (cross-origin isolated, as the app is) and the local model with Range support. */
function serve(req, res) {
  const url = new URL(req.url, 'http://x');
  const headers = ISOLATION_HEADERS;
  let file;
  if (modelPath && url.pathname === `/__model/${encodeURIComponent(basename(modelPath))}`) file = modelPath;
  else file = join(dist, decodeURIComponent(url.pathname === '/' ? '/index.html' : url.pathname));
  if (!file.startsWith(dist) && file !== modelPath) return res.writeHead(403).end();
  sendFile(req, res, file, headers);
}

const server = createServer(serve);
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${server.address().port}`;
const modelUrl = isUrl ? a.model : `${base}/__model/${encodeURIComponent(basename(modelPath))}`;

const browser = await launchChromium();
let code = 0;
try {
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
  await page.exposeFunction('onCliToken', (id, text, top) => {
    if (a.json) console.log(JSON.stringify(top ? { id, text, top } : { id, text }));
    else process.stdout.write(text);
  });
  await page.exposeFunction('onCliProgress', (stage, done, total) => {
    if (!a.json && process.stderr.isTTY) process.stderr.write(`\r${stage} ${total > 1e6 ? `${(done / 2 ** 20).toFixed(1)}/${(total / 2 ** 20).toFixed(1)} MiB` : `${done}/${total}`}   `);
  });
  await page.goto(`${base}/cli.html`);
  await page.waitForFunction(() => 'playgroundCli' in window);
  const sampling = {
    temperature: num('temperature'),
    topK: num('top-k'),
    topP: num('top-p'),
    minP: num('min-p'),
    repetitionPenalty: num('repeat-penalty'),
    repeatLastN: num('repeat-last-n'),
    seed: num('seed'),
    maxTokens: num('max-tokens'),
  };
  const request = a.chat
    ? { mode: 'chat', messages: [{ role: 'user', content: a.prompt }], sampling, dumpLogits: num('dump-logits') || undefined }
    : { mode: 'raw', prompt: a.prompt, sampling, dumpLogits: num('dump-logits') || undefined };
  const load = a.context ? { contextLength: num('context') } : undefined;
  const out = await page.evaluate((args) => window.playgroundCli.run(args), { modelUrl, request, load });
  if (!out.ok) {
    console.error(`\n${out.error.name}: ${out.error.message}${out.error.hint ? `\n  ${out.error.hint}` : ''}`);
    code = 1;
  } else if (a.json) {
    const { device, model, result } = out;
    const s = result.stats;
    console.log(JSON.stringify({
      done: true,
      finish: result.finish,
      text: result.text,
      prompt_ids: result.promptTokenIds,
      token_ids: result.tokenIds,
      ttft_ms: s.timeToFirstTokenMs,
      prefill_tok_s: s.prefillTokensPerS,
      decode_tok_s: s.decodeTokensPerS,
      prompt_tokens: s.promptTokens,
      generated_tokens: s.generatedTokens,
      weight_bytes: model.weightBytes,
      kv_cache_bytes: model.kvCacheBytes,
      activation_bytes: model.activationBytes,
      load_ms: model.loadMs,
      model: { name: model.name, arch: model.arch, tensor_types: model.tensorTypes, context: model.contextLength },
      adapter: device.adapter,
    }));
  } else {
    const s = out.result.stats;
    console.error(`\n\n[${out.result.finish}] ${out.result.tokenIds.length} tokens; prompt ${s.promptTokens} tokens; ` +
      `TTFT ${s.timeToFirstTokenMs.toFixed(0)} ms; prefill ${s.prefillTokensPerS.toFixed(1)} tok/s; decode ${s.decodeTokensPerS.toFixed(1)} tok/s ` +
      `on ${[out.device.adapter.vendor, out.device.adapter.architecture].filter(Boolean).join(' ')}`);
  }
} finally {
  await browser.close();
  server.close();
}
process.exit(code);
