import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'docs/**', 'node_modules/**', 'adapters/grpc/proto.generated.ts', 'coverage/**'] },
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
    files: ['src/**', 'adapters/**', 'cli/**'],
    // adapters/grpc/codec.ts (543) goes when the generated wire schema replaces the hand-written codecs.
    ignores: ['adapters/grpc/proto.generated.ts', '**/gen/**', 'adapters/grpc/codec.ts'],
    rules: {
      'max-lines': ['error', { max: 450, skipBlankLines: false, skipComments: false }],
    },
  },
  {
    files: ['**/*.mjs', '**/*.js', 'scripts/**'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
);
