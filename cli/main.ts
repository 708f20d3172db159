#!/usr/bin/env node
/**
 * The `conclave` command (the package's `bin`, built by tsup into `dist/cli.js`). It imports the
 * library only through `../index.js`, which the build keeps as the package's own `dist/index.js`.
 * @module
 */
import { main } from './program.js';

await main(process.argv);
// Everything is closed by now; a stray handle must not keep a finished command alive.
setTimeout(() => process.exit(), 2000).unref();
