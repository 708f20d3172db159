/**
 * Every example runs as a user would run it, against the package users install: the examples are
 * copied into the app where test/harness/packed.ts installed the packed tarball, so `'conclave'`
 * resolves to `node_modules/conclave` (the tarball's dist/), never to `src/`. They run with tsx
 * against the shared cluster and must exit 0.
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, expect, it } from 'vitest';
import { sharedCluster } from './harness/index.js';
import { packedApp } from './harness/packed.js';

const examples = readdirSync(new URL('../examples', import.meta.url)).filter((f) => f.endsWith('.ts'));
let app = '';
let tsx = '';

beforeAll(async () => {
  const pkg = await packedApp();
  app = pkg.app;
  tsx = pathToFileURL(join(pkg.root, 'node_modules/tsx/dist/loader.mjs')).href;
  if (!existsSync(join(app, 'examples'))) {
    cpSync(join(pkg.root, 'examples'), join(app, 'examples'), { recursive: true });
    // examples/support starts a throwaway etcd with the test harness when CONCLAVE_ENDPOINTS is unset.
    symlinkSync(join(pkg.root, 'test'), join(app, 'test'), 'dir');
    writeFileSync(join(app, 'examples/package.json'), JSON.stringify({ type: 'module' })); // as the repo's own package.json says
  }
}, 600_000);

it.each(examples)('examples/%s runs from the installed tarball and exits cleanly', async (file) => {
  const env = { ...process.env, CONCLAVE_ENDPOINTS: sharedCluster().endpoints.join(',') };
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, ['--import', tsx, `examples/${file}`], { cwd: app, env, timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
  expect(stderr, stdout).not.toMatch(/Error/);
  expect(code, stderr).toBe(0);
  expect(stdout).toMatch(/done/);
});
