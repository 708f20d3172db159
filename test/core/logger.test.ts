/**
 * The logger hook: reconnects, retries, session loss and lock handovers reach `connect({ logger })`
 * (pino/console argument order: fields, message); silent without one; a throwing logger breaks nothing.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { InvalidArgumentError, connect, type Conclave, type Logger } from '../../src/index.js';
import { Log, checkLogger } from '../../src/logger.js';
import { gatewayPost, startRelay, startSingle, type EtcdCluster, type Relay } from '../harness/index.js';

type Entry = { level: string; message: string; fields: Record<string, unknown> };

function recorder(): Logger & { entries: Entry[]; waitFor(message: RegExp, ms?: number): Promise<Entry> } {
  const entries: Entry[] = [];
  const waiters = new Set<() => void>();
  const at = (level: string) => (fields: Record<string, unknown>, message: string) => {
    entries.push({ level, message, fields });
    for (const w of [...waiters]) w();
  };
  return {
    entries,
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    waitFor(message, ms = 20_000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const hit = entries.find((e) => message.test(e.message));
          if (!hit) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(hit);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no log entry ${message} within ${ms} ms; got ${entries.map((e) => e.message).join(' | ')}`));
        }, ms);
        waiters.add(check);
        check();
      });
    },
  };
}

let etcd: EtcdCluster;
let relay: Relay;
beforeAll(async () => {
  etcd = await startSingle({ name: 'logger' });
  relay = await startRelay(etcd.endpoints[0]!);
});
afterAll(async () => {
  await relay?.close();
  await etcd?.stop();
});

it('logs lock handovers (debug), session loss (warn), connection loss and restore (warn, info with downtimeMs), in pino order', async () => {
  const log = recorder();
  const client: Conclave = await connect({ endpoints: [relay.address], logger: log, sessionTtlSeconds: 5, dialTimeoutMs: 2_000 });
  try {
    const lock = await client.mutex('logged').acquire();
    const acquired = await log.waitFor(/^lock acquired$/);
    expect(acquired).toMatchObject({ level: 'debug', fields: { key: lock.key, fencingToken: lock.fencingToken.toString(), component: 'conclave' } });
    await lock.release();
    expect((await log.waitFor(/^lock released$/)).level).toBe('debug');

    // Session revoked from outside: warn, with the lease id.
    const held = await client.mutex('logged').acquire();
    const lease = (await client.get(held.key))!.lease;
    await gatewayPost(etcd.clientUrls[0]!, '/v3/lease/revoke', { ID: lease.toString() });
    const lost = await log.waitFor(/^session lost/);
    expect(lost).toMatchObject({ level: 'warn', fields: { lease: lease.toString(16), shared: true } });
    expect((await log.waitFor(/^lock lost/)).level).toBe('warn');

    // Connection lost and restored.
    relay.cut('drop');
    await expect(client.get('x', { timeoutMs: 3_000 })).rejects.toThrow();
    expect((await log.waitFor(/^etcd connection lost/)).level).toBe('warn');
    relay.restore();
    const restored = await log.waitFor(/^etcd connection restored/);
    expect(restored.level).toBe('info');
    expect(typeof restored.fields['downtimeMs']).toBe('number');
    expect(Number.isInteger(restored.fields['downtimeMs'])).toBe(true);
  } finally {
    await client.close();
  }
});

it('a logger that throws breaks nothing; a bad logger option is refused before connecting', async () => {
  const throwing: Logger = {
    debug: () => {
      throw new Error('logger down');
    },
  };
  const client = await connect({ endpoints: etcd.endpoints, logger: throwing });
  try {
    await client.mutex('still-works').withLock(async () => undefined);
  } finally {
    await client.close();
  }
  await expect(connect({ endpoints: etcd.endpoints, logger: 42 as unknown as Logger })).rejects.toBeInstanceOf(InvalidArgumentError);
  await expect(connect({ endpoints: etcd.endpoints, logger: {} as Logger })).rejects.toBeInstanceOf(InvalidArgumentError);
  await expect(connect({ endpoints: etcd.endpoints, logger: { info: 'x' } as unknown as Logger })).rejects.toBeInstanceOf(InvalidArgumentError);
});

it('Log (pure): forwards (fields, message) with component, skips absent levels, accepts console', () => {
  const got: unknown[][] = [];
  const log = new Log({ warn: (...args: unknown[]) => got.push(args) });
  log.warn('w', { a: 1 });
  log.info('i');
  expect(got).toEqual([[{ a: 1, component: 'conclave' }, 'w']]);
  expect(log.enabled('warn')).toBe(true);
  expect(log.enabled('debug')).toBe(false);
  expect(() => checkLogger(console)).not.toThrow();
});
