import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';

// Data flows one way: ui -> store -> engine -(Comlink)-> worker -> models -> kernels -> runtime.
// These rules keep the arrows honest: each layer may import only the layers below it.
const layer = (files, banned, why) => ({
  files,
  rules: {
    'no-restricted-imports': [
      'error',
      { patterns: banned.map((group) => ({ group: [`**/${group}/*`, `**/${group}`], message: why })) },
    ],
  },
});

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.cache/**', 'public/**', 'training/**', 'scratch/**', 'test-results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.browser, ...globals.worker, ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    files: ['src/ui/**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    rules: reactHooks.configs.recommended.rules,
  },
  layer(['src/ui/**'], ['runtime', 'kernels', 'models', 'worker', 'formats'], 'The UI talks to the store only (ui -> store -> engine).'),
  layer(['src/store/**'], ['runtime', 'kernels', 'models', 'worker', 'ui'], 'Stores reach the worker through src/engine only.'),
  layer(['src/engine/**'], ['runtime', 'kernels', 'models', 'ui', 'store'], 'The engine client imports only worker *types* via the protocol.'),
  layer(['src/runtime/**'], ['kernels', 'models', 'worker', 'engine', 'ui', 'store'], 'The runtime is the bottom layer.'),
  layer(['src/kernels/**'], ['models', 'worker', 'engine', 'ui', 'store'], 'Kernels depend on the runtime only.'),
  layer(['src/models/**'], ['worker', 'engine', 'ui', 'store'], 'Models sit below the worker.'),
);
