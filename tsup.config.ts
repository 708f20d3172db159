import type { Plugin } from 'esbuild';
import { defineConfig } from 'tsup';

/**
 * The CLI (cli/, Node only) imports the library only through `src/index.ts`: in the build that import stays an
 * import of the package's own `./index.js` (dist/cli.js sits beside it), so the library is not
 * bundled a second time.
 */
const libraryAsSibling: Plugin = {
  name: 'conclave-library-as-sibling',
  setup(build) {
    build.onResolve({ filter: /^(\.\.\/)+src\/index\.js$/ }, (args) =>
      /[\\/]cli[\\/]/.test(args.importer) ? { path: './index.js', external: true } : undefined,
    );
  },
};

// Two library entry points: `conclave` (Node, every transport) and `conclave/http` (browsers and
// edge runtimes: no Node built-in in its graph); and the `conclave` command (`bin`, ESM, Node
// only; its `#!/usr/bin/env node` line is kept from cli/main.ts). No sourcemaps: they would
// point at sources the package does not ship.
export default defineConfig([
  {
    entry: { index: 'src/index.ts', http: 'src/http.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: false,
    // Both configs build at once: leave the CLI's output alone.
    clean: ['!cli.js'],
    target: 'es2022',
    splitting: false,
    treeshake: true,
  },
  {
    entry: { cli: 'cli/main.ts' },
    format: ['esm'],
    platform: 'node',
    dts: false,
    sourcemap: false,
    clean: false,
    target: 'es2022',
    splitting: false,
    treeshake: true,
    esbuildPlugins: [libraryAsSibling],
  },
]);
