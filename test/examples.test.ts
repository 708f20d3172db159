/**
 * Every example runs as a user would run it (`tsx examples/<name>.ts`),
 * against the shared cluster, and must exit 0.
 */
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { sharedCluster } from './harness/index.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const examples = readdirSync(new URL('../examples', import.meta.url)).filter((f) => f.endsWith('.ts'));

it.each(examples)('examples/%s runs and exits cleanly', async (file) => {
  const env = { ...process.env, CONCLAVE_ENDPOINTS: sharedCluster().endpoints.join(',') };
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = execFile(process.execPath, ['--import', 'tsx', `examples/${file}`], { cwd: root, env, timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    void child;
  });
  expect(stderr, stdout).not.toMatch(/Error/);
  expect(code, stderr).toBe(0);
  expect(stdout).toMatch(/done/);
});
