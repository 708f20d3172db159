import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'docs/**', 'node_modules/**', 'adapters/shared/gen/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-restricted-imports': 'off',
    },
  },
  {
    files: ['src/**/*.ts'],
    rules: {
      // The SDK core is transport-neutral: nothing from gRPC or etcd3 below src/.
      'no-restricted-imports': ['error', { patterns: ['@grpc/*', 'etcd3', 'etcd3/*'] }],
    },
  },
  {
    // No hand-written source file over 450 lines (every line counts); generated code is exempt.
    files: ['src/**', 'adapters/**', 'cli/**', 'test/**', 'bench/**', 'scripts/**', 'examples/**'],
    ignores: ['**/gen/**'],
    rules: {
      'max-lines': ['error', { max: 450, skipBlankLines: false, skipComments: false }],
    },
  },
  {
    files: ['adapters/http/**/*.ts'],
    rules: {
      // The HTTP adapter runs in browsers: nothing from the gRPC adapter or grpc-js (what both adapters share is in adapters/shared/).
      'no-restricted-imports': ['error', { patterns: ['../grpc/*', '../grpc-proxy/*', '**/adapters/grpc/*', '**/adapters/grpc-proxy/*', '@grpc/*'] }],
    },
  },
  {
    files: ['adapters/shared/**/*.ts'],
    rules: {
      // etcd's semantics, the same over every wire: no adapter and no wire library below adapters/shared/.
      'no-restricted-imports': ['error', { patterns: ['../grpc/*', '../grpc-proxy/*', '../http/*', '**/adapters/grpc/*', '**/adapters/grpc-proxy/*', '**/adapters/http/*', '@grpc/*'] }],
    },
  },
  {
    files: ['**/*.mjs', '**/*.js', 'scripts/**'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
);
