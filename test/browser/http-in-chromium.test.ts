/**
 * The HTTP transport in a real browser: headless Chromium (Debian's `chromium`,
 * installed by scripts/install-chromium.sh, driven through playwright-core,
 * which never downloads a browser) loads a page from 127.0.0.1 whose bundle
 * (esbuild, platform browser: no Node built-ins can sneak in) connects to an
 * etcd started with `--cors '*'`, puts, watches, runs an election and takes a mutex, an rw-lock and
 * a semaphore. The page imports `conclave/http`, bundled from the PACKED TARBALL installed by
 * test/harness/packed.ts (never from src/).
 *
 * A missing Chromium FAILS this test (set CONCLAVE_CHROMIUM to another binary).
 */
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createServer, type Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { kvGet, startSingle, uniquePrefix, type EtcdCluster } from '../harness/index.js';
import { packedApp } from '../harness/packed.js';
import type { ScenarioResult } from './page/scenario.js';

const CHROMIUM = process.env['CONCLAVE_CHROMIUM'] ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const pageDir = fileURLToPath(new URL('./page/', import.meta.url));

let etcd: EtcdCluster;
let server: Server;
let pageUrl = '';
let browser: Browser | undefined;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: run \`bash scripts/install-chromium.sh\` (or set CONCLAVE_CHROMIUM)`);
  }
  const { app } = await packedApp();
  // The page's source is copied into the app so that 'conclave/http' resolves to the installed tarball
  // (from the repository it would resolve to the repository itself: tsconfig paths, package self-reference).
  mkdirSync(join(app, 'browser-page'), { recursive: true });
  copyFileSync(`${pageDir}scenario.ts`, join(app, 'browser-page/scenario.ts'));
  const bundled = await build({
    absWorkingDir: app,
    entryPoints: ['browser-page/scenario.ts'],
    tsconfigRaw: {},
    metafile: true,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'chrome120',
    write: false,
    logLevel: 'silent',
  });
  const inputs = Object.keys(bundled.metafile.inputs);
  if (!inputs.includes('node_modules/conclave/dist/http.js') || inputs.some((f) => !f.startsWith('node_modules/') && f !== 'browser-page/scenario.ts')) {
    throw new Error(`the page bundle must take conclave/http from the tarball, got inputs ${inputs.join(', ')}`);
  }
  const bundle = bundled.outputFiles[0]!.text;
  const html = await readFile(`${pageDir}index.html`, 'utf8');
  server = createServer((req, res) => {
    if (req.url === '/') res.writeHead(200, { 'content-type': 'text/html' }).end(html);
    else if (req.url === '/bundle.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle);
    else if (req.url === '/favicon.ico') res.writeHead(204).end();
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no server address');
  pageUrl = `http://127.0.0.1:${address.port}/`;
  etcd = await startSingle({ name: 'browser', extraArgs: ['--cors=*'] });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true, timeout: 30_000 });
}, 600_000);

afterAll(async () => {
  await browser?.close();
  server?.closeAllConnections();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  await etcd?.stop();
});

it('a page (conclave/http from the tarball) puts, watches, runs an election and takes a mutex, rw-lock and semaphore', async () => {
  const page = await browser!.newPage();
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console: ${msg.text()} ${JSON.stringify(msg.location())}`);
  });
  await page.goto(pageUrl);
  await page.waitForFunction(() => typeof window.conclaveScenario === 'function', undefined, { timeout: 10_000 });
  const prefix = uniquePrefix('browser');
  const endpoint = etcd.clientUrls[0]!;
  const result: ScenarioResult = await page.evaluate(([ep, p]) => window.conclaveScenario(ep!, p!), [endpoint, prefix]);

  expect(result.userAgent).toMatch(/Chrome/);
  expect(result.eventRevisions).toEqual(result.putRevisions);
  expect(result.eventValues).toEqual(['hello', 'from the browser']);
  // The election ran (elections are implemented): the page saw itself elected, then no leader after resigning.
  expect(result.election).toBeDefined();
  expect(result.election!.leaderValue).toBe('browser-tab');
  expect(result.election!.leaderKey.startsWith('browser-election/')).toBe(true);
  expect(result.election!.afterResign).toBe(true);
  // Locks work in the browser (their unique keys need no Node API).
  expect(result.locks.mutexKey.startsWith('browser-mutex/')).toBe(true);
  expect(BigInt(result.locks.fencingToken)).toBeGreaterThan(0n);
  expect(result.locks.readers).toBe(2);
  expect(result.locks.writerKey.startsWith('browser-rw/write/')).toBe(true);
  expect(result.locks.semaphoreHeld).toBe(2);
  expect(result.locks.semaphoreFull).toBe(true);
  expect(result.plainBytes).toBe(true);
  // What the page wrote is in etcd.
  expect(await kvGet(endpoint, `${prefix}greeting`)).toBe('from the browser');
  expect(problems).toEqual([]);
  await page.close();
});
