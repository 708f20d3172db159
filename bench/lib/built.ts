/**
 * Runs a bench script as users run the package: bundled the way `tsup` builds `dist/` (esbuild,
 * ESM, es2022, every package external and loaded from node_modules) and executed by plain `node`,
 * without tsx. Under tsx, every source file of the library is transformed in a loader thread
 * (about +35 MB of RSS in a bare process, more with each file) and every named closure is wrapped
 * by `__name` (an extra property store per closure), so RSS cells must not run under it.
 *
 * @example
 * ```ts
 * const result = await runBuilt('bench/scenarios/perf/memory-main.ts', ['idle', 'conclave', endpoint, metricsUrl, runId]);
 * ```
 * @module
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { reportChildPid } from './perf.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** Bundles `script` (a path from the repository root) into a fresh folder under `.tmp/` (so packages resolve from node_modules); returns the entry file. */
export async function buildScript(script: string): Promise<{ entry: string; dir: string }> {
  const { build } = await import('esbuild');
  mkdirSync(join(repoRoot, '.tmp'), { recursive: true });
  const dir = await mkdtemp(join(repoRoot, '.tmp', 'bench-built-'));
  await build({
    entryPoints: { main: join(repoRoot, script) },
    outdir: dir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    splitting: true, // a dynamic import of the library is its own chunk: sides without it never load it
    format: 'esm',
    platform: 'node',
    target: 'es2022',
    packages: 'external',
    logLevel: 'warning',
  });
  return { entry: join(dir, 'main.mjs'), dir };
}

/** Bundles and runs `script` with plain node; resolves with the JSON of its last stdout line. */
export async function runBuilt(script: string, args: readonly string[]): Promise<unknown> {
  const { entry, dir } = await buildScript(script);
  try {
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, [entry, ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] });
      reportChildPid(child.pid);
      let text = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      child.on('error', reject);
      child.on('close', () => resolve(text));
    });
    const last = out.trim().split('\n').pop() ?? '';
    const result = JSON.parse(last) as { error?: string };
    if (result.error) throw new Error(result.error);
    return result;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
