// Lint rules are part of the architecture: the pure core (protocol/, core/, config/ except the
// loader) may not touch I/O, the clock or timers; only adapters may. Import directions between the
// layers of src/ are in eslint.layers.js (docs/architecture.md).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';
import { importResolverSettings, layerConfigs } from './eslint.layers.js';

const ioModules = [
  'fs',
  'fs/promises',
  'child_process',
  'net',
  'dgram',
  'http',
  'https',
  'os',
  'path',
  'better-sqlite3',
  'fastify',
  'pino',
  'ws',
  'unix-dgram',
  'prom-client',
  'saxes',
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'test/fixtures/**', 'riposte-home/**', '.bench-tmp/**'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['*.js', 'scripts/*.mjs'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    plugins: { 'import-x': importX },
    // Without them import-x follows no `.js` specifier to its `.ts` file (no-cycle saw nothing).
    settings: importResolverSettings,
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/explicit-module-boundary-types': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true },
      ],
      '@typescript-eslint/no-unnecessary-condition': 'off',
      // fastify handlers and hooks are async by contract even when they do not await.
      '@typescript-eslint/require-await': 'off',
      eqeqeq: 'error',
      curly: 'error',
      'import-x/no-cycle': 'error',
      'max-lines': ['error', { max: 300, skipBlankLines: true, skipComments: true }],
      'max-lines-per-function': ['error', { max: 60, skipBlankLines: true, skipComments: true }],
      complexity: ['error', 12],
      'max-depth': ['error', 3],
      'max-params': ['error', 4],
    },
  },
  ...layerConfigs,
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      'max-lines': ['error', { max: 500, skipBlankLines: true, skipComments: true }],
      'max-lines-per-function': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      // node:test's test()/describe() return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite'] },
          ],
        },
      ],
    },
  },
  {
    files: ['src/protocol/**/*.ts', 'src/core/**/*.ts', 'src/config/**/*.ts'],
    ignores: ['src/config/load-config.ts', 'src/config/xml-reader.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: ioModules, patterns: ['node:*'] }],
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'Pure code takes `now` as an argument.' },
        { object: 'Math', property: 'random', message: 'Pure code takes randomness as an argument.' },
      ],
      'no-restricted-globals': ['error', 'setTimeout', 'setInterval', 'setImmediate', 'process'],
    },
  },
  {
    // The web console (browser code, Preact components): JSX components are long and return JSX;
    // event handlers returning the setter's void are idiomatic there.
    files: ['console/**/*.ts', 'console/**/*.tsx'],
    rules: {
      'max-lines-per-function': 'off',
      '@typescript-eslint/explicit-module-boundary-types': 'off',
      '@typescript-eslint/no-confusing-void-expression': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);
