// Writes the generated files the end-to-end LLM bench reads from /assets/ (.cache/bench-assets/):
//   embedded-f32.onnx, embedded-reference.json   training/onnx/export_onnx.py (PyTorch 1.13, Debian)
//   smollm2-135m-shape-q4_0.gguf                   random weights of SmolLM2-135M's shape (~77 MB)
// Files already there are kept; pass --force to rebuild them.
//   npm run bench -- e2e/assets [--force]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildSmollm2, SMOLLM2_FILE } from './models';

// npm runs scripts from the package root; say so rather than write assets somewhere else.
const root = resolve(process.cwd());
if (!existsSync(join(root, 'training/onnx/export_onnx.py'))) {
  console.error(`e2e/assets: run from the repository root (npm run bench -- e2e/assets); cwd is ${root}`);
  process.exit(2);
}
const dir = join(root, '.cache/bench-assets');
const force = process.argv.includes('--force');
mkdirSync(dir, { recursive: true });

const python = process.env.PYTHON ?? '/usr/bin/python3';
if (force || !existsSync(join(dir, 'embedded-f32.onnx')) || !existsSync(join(dir, 'embedded-reference.json'))) {
  console.log(`ONNX export: ${python} training/onnx/export_onnx.py`);
  const r = spawnSync(python, ['training/onnx/export_onnx.py', '--out', dir], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`export_onnx.py failed (${r.error?.message ?? `exit ${r.status}`}): the ORT peers will report the missing file`);
    process.exitCode = 1;
  }
} else console.log('embedded-f32.onnx, embedded-reference.json: present');

const smol = join(dir, SMOLLM2_FILE);
if (force || !existsSync(smol)) {
  const t = performance.now();
  const bytes = buildSmollm2();
  writeFileSync(smol, bytes);
  console.log(`${SMOLLM2_FILE}: ${(bytes.length / 1e6).toFixed(1)} MB in ${((performance.now() - t) / 1e3).toFixed(1)} s`);
} else console.log(`${SMOLLM2_FILE}: present`);
