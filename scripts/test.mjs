// `npm test`: typecheck, lint, unit + kernel tests (Node, real WebGPU through Dawn), and the e2e
// specs (Debian Chromium, real WebGPU). Runs every step, prints a summary, exits non-zero if any failed.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const missing = [];
if (!existsSync('/usr/bin/chromium') && !process.env.CHROMIUM_PATH) missing.push("Debian's chromium (/usr/bin/chromium)");
if (!existsSync('.cache/lavapipe/lvp_icd.json')) missing.push('Mesa lavapipe (.cache/lavapipe)');
if (!existsSync('node_modules')) missing.push('npm packages (node_modules)');
if (missing.length) {
  console.error(`npm test: missing ${missing.join(', ')}.\nRun \`npm ci && npm run setup\` first (setup needs root for apt-get).`);
  process.exit(2);
}

const steps = [
  ['typecheck', 'npx', ['tsc', '--noEmit', '-p', 'tsconfig.json']],
  ['lint', 'npx', ['eslint', '.']],
  ['unit + kernel tests (Node WebGPU)', 'npx', ['vitest', 'run']],
  ['e2e (Chromium WebGPU)', 'npx', ['playwright', 'test']],
];

const results = [];
for (const [name, cmd, args] of steps) {
  console.log(`\n=== ${name}: ${cmd} ${args.join(' ')}`);
  const t0 = Date.now();
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: process.env });
  results.push({ name, ok: r.status === 0, s: (Date.now() - t0) / 1000 });
}
console.log('\n=== summary');
for (const r of results) console.log(`${r.ok ? 'ok  ' : 'FAIL'} ${r.name} (${r.s.toFixed(0)} s)`);
process.exit(results.every((r) => r.ok) ? 0 : 1);
