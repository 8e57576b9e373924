import { defineConfig } from 'vitest/config';

// Unit and kernel tests run in Node. Kernel tests use a real WebGPU device from the
// `webgpu` package (Dawn) on SwiftShader and, when present, Mesa lavapipe for shader-f16
// (see src/test/node-gpu.ts). The browser path runs the same kernel cases through e2e/.
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'scripts/**/*.test.ts'],
    environment: 'node',
    pool: 'forks',
    testTimeout: 180_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
