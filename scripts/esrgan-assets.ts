// A Vite plugin that serves esrgan-slim's real model files (weights, model.json) and its sample image
// from node_modules under /models/esrgan-slim/, in dev and preview, and copies them into the build.
// The package's "exports" field forbids deep imports, and copying it into public/ would duplicate
// 3 MB of a dependency in git.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Connect, Plugin } from 'vite';

const PKG = resolve(import.meta.dirname, '../node_modules/@upscalerjs/esrgan-slim');
const PREFIX = '/models/esrgan-slim/';

/** URL path under PREFIX -> file on disk. */
function files(): Map<string, string> {
  const out = new Map<string, string>();
  for (const scale of ['x2', 'x3', 'x4']) {
    const dir = join(PKG, 'models', scale);
    for (const f of readdirSync(dir)) out.set(`${scale}/${f}`, join(dir, f));
  }
  out.set('fixture.png', join(PKG, 'assets', 'fixture.png'));
  return out;
}

const TYPES: Record<string, string> = { json: 'application/json', png: 'image/png', bin: 'application/octet-stream' };

function middleware(): Connect.NextHandleFunction {
  const map = files();
  return (req, res, next) => {
    const path = (req.url ?? '').split('?')[0];
    if (!path.startsWith(PREFIX)) return next();
    const file = map.get(decodeURIComponent(path.slice(PREFIX.length)));
    if (!file) return next();
    res.setHeader('Content-Type', TYPES[file.split('.').pop() ?? ''] ?? 'application/octet-stream');
    res.setHeader('Content-Length', statSync(file).size);
    res.end(readFileSync(file));
  };
}

export function esrganAssets(): Plugin {
  return {
    name: 'esrgan-assets',
    configureServer(server) {
      server.middlewares.use(middleware());
    },
    configurePreviewServer(server) {
      server.middlewares.use(middleware());
    },
    generateBundle() {
      for (const [name, file] of files()) this.emitFile({ type: 'asset', fileName: `models/esrgan-slim/${name}`, source: readFileSync(file) });
    },
  };
}
