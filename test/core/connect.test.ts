/**
 * connect(): fails fast and typed; the client fails over when its member dies.
 */
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AbortError, AuthError, ConnectionError, InvalidArgumentError, connect, type Conclave } from '../../src/index.js';
import { freePort, runEtcdctl, startCluster, startSingle, type EtcdCluster } from '../harness/index.js';

describe('connect', () => {
  it('to a closed port fails with ConnectionError within the dial timeout', async () => {
    const port = await freePort();
    const started = performance.now();
    const err = await connect({ endpoints: [`127.0.0.1:${port}`], dialTimeoutMs: 1500 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as ConnectionError).retryable).toBe(true);
    expect(performance.now() - started).toBeLessThan(1500 + 1000);
  });

  it.each(['grpc', 'grpc-proxy', 'http'] as const)('[%s] every endpoint refusing fails at once (not at the dial timeout), ECONNREFUSED kept in the cause chain', async (transport) => {
    const ports = [await freePort(), await freePort()];
    const dialTimeoutMs = 20_000;
    const started = performance.now();
    const err = await connect({ endpoints: ports.map((p) => `127.0.0.1:${p}`), transport, dialTimeoutMs }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as ConnectionError).retryable).toBe(true);
    expect(performance.now() - started).toBeLessThan(dialTimeoutMs / 2);
    const chain: string[] = [];
    for (let e = err as { code?: unknown; message?: unknown; cause?: unknown } | undefined, i = 0; e && i < 6; e = e.cause as typeof e, i++) chain.push(`${String(e.code)} ${String(e.message)}`);
    expect(chain.join(' <- ')).toMatch(/ECONNREFUSED/);
  });

  it('to a port that accepts but never answers fails with ConnectionError within the dial timeout', async () => {
    const silent: Server = createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as { port: number }).port;
    try {
      const started = performance.now();
      const err = await connect({ endpoints: [`127.0.0.1:${port}`], dialTimeoutMs: 1000 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConnectionError);
      expect(performance.now() - started).toBeLessThan(1000 + 1000);
    } finally {
      silent.close();
    }
  });

  it.each([
    [{ endpoints: [] }],
    [{ endpoints: ['not a host'] }],
    [{ endpoints: ['ftp://x:1'] }],
    [{ endpoints: 'localhost:2379' }],
    [{ transport: 'carrier-pigeon' }],
    [{ namespace: 5 }],
    [{ sessionTtlSeconds: 0 }],
    [{ sessionTtlSeconds: 1.5 }],
    [{ sessionTtlSeconds: -3 }],
    [{ auth: { username: '', password: 'x' } }],
    [{ dialTimeoutMs: 0 }],
  ])('refuses bad options %j with InvalidArgumentError', async (options) => {
    await expect(connect(options as never)).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  it('an aborted signal rejects with AbortError', async () => {
    await expect(connect({ endpoints: ['127.0.0.1:1'], signal: AbortSignal.abort() })).rejects.toBeInstanceOf(AbortError);
  });
});

describe('auth', () => {
  let cluster: EtcdCluster;
  beforeAll(async () => {
    cluster = await startSingle();
    const e = { endpoints: cluster.endpoints };
    for (const args of [['user', 'add', 'root:rootpw'], ['role', 'add', 'root'], ['user', 'grant-role', 'root', 'root'], ['auth', 'enable']]) {
      const r = await runEtcdctl(args, e);
      expect(r.code, r.stderr).toBe(0);
    }
  });
  afterAll(() => cluster?.stop());

  it('a wrong password fails with AuthError', async () => {
    const err = await connect({ endpoints: cluster.endpoints, auth: { username: 'root', password: 'wrong' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthError);
  });

  it('the right password works', async () => {
    const c = await connect({ endpoints: cluster.endpoints, auth: { username: 'root', password: 'rootpw' } });
    try {
      await c.put('k', 'v');
      expect(new TextDecoder().decode((await c.get('k'))!.value)).toBe('v');
    } finally {
      await c.close();
    }
  });
});

describe('failover', () => {
  let cluster: EtcdCluster;
  let client: Conclave;
  beforeAll(async () => {
    cluster = await startCluster();
    client = await connect({ endpoints: cluster.endpoints });
  });
  afterAll(async () => {
    await client?.close();
    await cluster?.stop();
  });

  it('kill -9 the member the client is connected to: the next get succeeds through another member within 2 s', async () => {
    await client.put('failover', 'before');
    // The gRPC adapter prefers the first endpoint (pick_first): that is the member under the client.
    const connected = cluster.members[0]!;
    const wasLeader = (await cluster.leader()) === connected;
    await connected.kill();
    // If it was the raft leader, the others first elect a new one (etcd's election timeout, ~1-2 s):
    // that is etcd's time, not the client's failover, which is what is timed here.
    if (wasLeader) await cluster.waitForLeader({ notMember: connected });
    const started = performance.now();
    const kv = await client.get('failover');
    expect(performance.now() - started).toBeLessThan(2000);
    expect(new TextDecoder().decode(kv!.value)).toBe('before');
    await connected.restart();
  });
});
