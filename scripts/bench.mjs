// `npm run bench`: bundle a benchmark entry (TypeScript, shaders imported as text) with Vite's SSR
// build and run it in Node on the real WebGPU substrates. Prints numbers; asserts nothing.
//   npm run bench                 # kernel variants (src/bench/kernels.ts)
//   npm run bench -- <name>       # src/bench/<name>.ts
import { spawnSync } from 'node:child_process';
import { build } from 'vite';

const name = process.argv[2] ?? 'kernels';
const outDir = '.cache/bench';
await build({
  logLevel: 'warn',
  configFile: false,
  build: { ssr: `src/bench/${name}.ts`, outDir, emptyOutDir: true, target: 'node20', rollupOptions: { output: { entryFileNames: `${name}.mjs` } } },
});
const r = spawnSync(process.execPath, [`${outDir}/${name}.mjs`], { stdio: 'inherit' });
process.exit(r.status ?? 1);
