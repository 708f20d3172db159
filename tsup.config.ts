import { defineConfig } from 'tsup';

// Two entry points: `conclave` (Node, every transport) and `conclave/http` (browsers and edge
// runtimes: no Node built-in in its graph). No sourcemaps: they would point at sources the
// package does not ship.
export default defineConfig({
  entry: { index: 'src/index.ts', http: 'src/http.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: false,
  clean: true,
  target: 'es2022',
  splitting: false,
  treeshake: true,
});
