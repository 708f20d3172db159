/**
 * `conclave ui` from the packed tarball: the page, loaded in headless Chromium (Debian's
 * `chromium` through playwright-core), shows a lock's holder and, when the lock changes hands,
 * the new holder without reload (server-sent events), with the handover in its timeline. A
 * screenshot is written to test/cli/__screenshots__/ui.png. With etcd unreachable the page says
 * so in a banner and the feed reports the status.
 *
 * A missing Chromium FAILS this test (set CONCLAVE_CHROMIUM to another binary).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Conclave } from '../../src/index.js';
import { sharedCluster, uniquePrefix } from '../harness/index.js';
import { packedApp } from '../harness/packed.js';
import { CliChild } from './cli-process.js';

const CHROMIUM = process.env['CONCLAVE_CHROMIUM'] ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const SCREENSHOTS = fileURLToPath(new URL('./__screenshots__/', import.meta.url));

let browser: Browser | undefined;
const children: CliChild[] = [];

async function startUi(args: string[]): Promise<string> {
  const child = await CliChild.start(['ui', '--port', '0', ...args]);
  children.push(child);
  await child.until((out) => /http:\/\/127\.0\.0\.1:\d+\//.test(out), 30_000, 'the URL');
  return /http:\/\/127\.0\.0\.1:\d+\//.exec(child.stdout)![0];
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: run \`bash scripts/install-chromium.sh\` (or set CONCLAVE_CHROMIUM)`);
  await packedApp();
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true, timeout: 30_000 });
}, 600_000);

afterAll(async () => {
  await Promise.all(children.map((c) => c.stop()));
  await browser?.close();
});

describe('conclave ui', () => {
  const ns = uniquePrefix('cli ui');
  let a: Conclave;
  let b: Conclave;

  beforeAll(async () => {
    const { endpoints } = sharedCluster();
    a = await connect({ endpoints, namespace: ns });
    b = await connect({ endpoints, namespace: ns });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it('shows the holder, then the next holder without reload, and the handover in the timeline', async () => {
    const { endpoints } = sharedCluster();
    const first = await a.mutex('deploy/prod').acquire();
    const next = b.mutex('deploy/prod').acquire({ timeoutMs: 30_000 });
    await a.election('scheduler').campaign('node-a');
    void b.election('scheduler').campaign('node-b').catch(() => undefined); // a second candidate, waiting
    const q = a.queue<{ to: string }>('emails');
    for (const to of ['ann@example.com', 'bob@example.com', 'cy@example.com']) await q.enqueue({ to });
    await a.services('api').register({ id: 'api-1', address: '10.0.0.5:8080' });
    await b.services('api').register({ id: 'api-2', address: '10.0.0.6:8080' });
    await a.topic('orders').publish({ order: 1 });
    const reader = await a.rwlock('catalog').readLock();

    const url = await startUi(['--endpoints', endpoints.join(','), '--namespace', ns]);
    const page = await browser!.newPage({ viewport: { width: 1180, height: 820 } });
    const problems: string[] = [];
    page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
    await page.goto(url);
    const holder = page.locator('tr[data-lock="deploy/prod"] td.holder');
    await expect.poll(() => holder.textContent(), { timeout: 20_000 }).toBe(first.key);
    await expect.poll(() => page.locator('#status').textContent(), { timeout: 10_000 }).toBe('live');
    expect(await page.locator('tr[data-lock="deploy/prod"] td.waiters').textContent()).toMatch(/^deploy\/prod\/[0-9a-f]+$/);
    expect(await page.locator('tr[data-election="scheduler"] td.value').textContent()).toBe('node-a');
    let navigations = 0;
    page.on('framenavigated', () => navigations++);

    await first.release();
    const second = await next;
    await expect.poll(() => holder.textContent(), { timeout: 20_000 }).toBe(second.key);
    await expect.poll(() => page.locator('#timeline').textContent(), { timeout: 10_000 }).toContain(`lock deploy/prod → ${second.key}`);
    expect(navigations).toBe(0);
    expect(problems).toEqual([]);

    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: `${SCREENSHOTS}ui.png`, fullPage: true });
    await page.close();
    await second.release();
    await reader.release();
  });

  it('with etcd unreachable: a banner on the page, and the feed reports the status', async () => {
    const url = await startUi(['--endpoints', '127.0.0.1:9', '--dial-timeout', '1000']);
    const page = await browser!.newPage();
    await page.goto(url);
    await expect.poll(() => page.locator('#banner').textContent(), { timeout: 20_000 }).toMatch(/^etcd is unreachable: .*127\.0\.0\.1:9/);
    expect(await page.locator('#banner').isVisible()).toBe(true);
    expect(await page.locator('#status').textContent()).toBe('unreachable');
    const state = (await (await fetch(`${url}state`)).json()) as { status: string; message?: string };
    expect(state.status).toBe('unreachable');
    expect(state.message).toMatch(/127\.0\.0\.1:9/);
    await page.screenshot({ path: `${SCREENSHOTS}ui-unreachable.png` });
    await page.close();
  });
});
