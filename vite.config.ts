import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { esrganAssets } from './scripts/esrgan-assets.ts';

// Cross-origin isolation gives the worker precise timers and SharedArrayBuffer;
// every asset is same-origin, so the headers cost nothing.
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  plugins: [react(), esrganAssets()],
  server: { headers: isolation, host: '127.0.0.1', port: 5173 },
  preview: { headers: isolation, host: '127.0.0.1', port: 4173 },
  worker: { format: 'es' },
  build: {
    target: 'es2022',
    sourcemap: true,
    // cli.html: the page the headless runner (npm run cli) drives; not linked from the app.
    rollupOptions: { input: { main: 'index.html', cli: 'cli.html' } },
  },
});
