/**
 * The package as users get it, built once per test run on first use: the repository's files (what a
 * fresh clone has: tracked and untracked-but-not-ignored, no dist/) are copied to a staging dir,
 * `npm pack` there builds it through the package's own `prepare` script (no manual build step), and
 * the tarball is installed with `npm install <tarball>` into an empty app (dependencies from the npm
 * cache). The packaging, examples and browser tests all use that app, never `src/`.
 *
 * Test files run in parallel worker processes: the first caller builds under a directory lock in the
 * run's dir (made by the global setup); the others wait for its result file, bounded in time.
 *
 * @module
 */

import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';
import type {} from './provided-context.js';

/** What {@link packedApp} resolves to. */
export interface PackedApp {
  /** The repository root the package was packed from. */
  root: string;
  /** The `.tgz` made by `npm pack`. */
  tarball: string;
  /** Paths inside the tarball (`dist/index.js`, `README.md`, ...). */
  files: string[];
  /** An empty project with only the tarball installed (`<app>/node_modules/conclave`). */
  app: string;
  /** The tarball's unpacked size in bytes, as npm reports it. */
  unpackedSize: number;
}

const root = fileURLToPath(new URL('../..', import.meta.url));
const WAIT_MS = 600_000;

function run(command: string, args: string[], cwd: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${command} ${args.join(' ')} failed: ${error.message}\n${stdout}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

async function build(dir: string): Promise<PackedApp> {
  const stage = join(dir, 'stage');
  const app = join(dir, 'app');
  mkdirSync(stage);
  mkdirSync(app);
  const listed = await run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], root, 60_000);
  for (const file of listed.split('\0')) {
    if (file === '' || !existsSync(join(root, file))) continue;
    mkdirSync(dirname(join(stage, file)), { recursive: true });
    copyFileSync(join(root, file), join(stage, file));
  }
  // The dev dependencies `prepare` builds with (what `npm install` in a fresh clone gives).
  symlinkSync(join(root, 'node_modules'), join(stage, 'node_modules'), 'dir');
  // `prepare` (the build) prints to stdout too: the JSON report is the last top-level array.
  const out = await run('npm', ['pack', '--json', '--pack-destination', dir], stage, 300_000);
  const start = out.startsWith('[') ? 0 : out.lastIndexOf('\n[') + 1;
  const packed = JSON.parse(out.slice(start)) as Array<{
    filename: string;
    unpackedSize: number;
    files: Array<{ path: string }>;
  }>;
  const tarball = join(dir, packed[0]!.filename);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'conclave-user-app', version: '1.0.0', private: true }));
  await run('npm', ['install', tarball, '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts'], app, 300_000);
  return { root, tarball, files: packed[0]!.files.map((f) => f.path), app, unpackedSize: packed[0]!.unpackedSize };
}

async function waitForFile(path: string, deadline: number): Promise<void> {
  const { watch } = await import('node:fs');
  if (existsSync(path)) return;
  await new Promise<void>((resolve, reject) => {
    const watcher = watch(dirname(path), () => {
      if (existsSync(path)) done();
    });
    const timer = setTimeout(() => done(new Error(`the packed package was not ready within ${WAIT_MS} ms`)), deadline - Date.now());
    const check = setInterval(() => existsSync(path) && done(), 1_000);
    function done(error?: Error): void {
      watcher.close();
      clearTimeout(timer);
      clearInterval(check);
      if (error) reject(error);
      else resolve();
    }
    if (existsSync(path)) done();
  });
}

/** Writes `path` atomically (write + rename): a waiter woken by its creation never reads it half-written. */
function publish(path: string, text: string): void {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}

let mine: Promise<PackedApp> | undefined;

/**
 * The packed and installed package of this test run (built on the first call of the run).
 *
 * @example
 * ```ts
 * const { app } = await packedApp();
 * await execFileAsync(process.execPath, ['esm.mjs'], { cwd: app });   // imports 'conclave' from the tarball
 * ```
 */
export function packedApp(): Promise<PackedApp> {
  mine ??= (async () => {
    const dir = inject('conclavePackDir') as string | undefined;
    if (!dir) throw new Error('no pack dir: run tests through vitest.config.ts (globalSetup test/harness/global-setup.ts)');
    const result = join(dir, 'result.json');
    const deadline = Date.now() + WAIT_MS;
    let owner = false;
    try {
      mkdirSync(join(dir, 'lock'));
      owner = true;
    } catch {
      // another worker builds it
    }
    if (owner) {
      try {
        const built = await build(dir);
        publish(result, JSON.stringify({ ok: built }));
      } catch (error) {
        publish(result, JSON.stringify({ error: String(error instanceof Error ? error.message : error) }));
      }
    }
    await waitForFile(result, deadline);
    const parsed = JSON.parse(readFileSync(result, 'utf8')) as { ok?: PackedApp; error?: string };
    if (!parsed.ok) throw new Error(`packing the package failed: ${parsed.error}`);
    return parsed.ok;
  })();
  return mine;
}
