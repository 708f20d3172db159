/**
 * The direct gRPC transport against real etcd 3.4 clusters: unreachable endpoints, failover in a
 * 3-member cluster, auth, TLS (local launcher: test/adapters/local-etcd.ts).
 */
import * as grpc from '@grpc/grpc-js';
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGrpcTransport } from '../../adapters/grpc/index.js';
import { AuthError, ConnectionError } from '../../src/errors.js';
import type { ResponseHeader } from '../../src/transport/index.js';
import { rmSync } from 'node:fs';
import { freePort, makeTestPki, pollUntil, startLocalEtcd, type LocalCluster, type TestPki } from './local-etcd.js';
import { b, expectRejects, recorder, str, streamRecorder } from './recorders.js';

describe('grpc adapter: unreachable endpoints', () => {
  let silent: Server | undefined;
  const sockets = new Set<Socket>();
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => (silent ? silent.close(() => r()) : r()));
  });

  it('fails a closed port with ConnectionError at once (never connected, every endpoint refused), ECONNREFUSED in the message', async () => {
    const port = await freePort();
    const t = createGrpcTransport({ endpoints: [`127.0.0.1:${port}`], dialTimeoutMs: 1000 });
    const started = Date.now();
    const err = await expectRejects(t.range({ key: b('x') }), ConnectionError);
    const elapsed = Date.now() - started;
    expect(err.retryable).toBe(true);
    expect(err.message).toMatch(/ECONNREFUSED/);
    expect(elapsed).toBeLessThan(1600);
    // Writes too (never sent, so never applied).
    await expectRejects(t.put({ key: b('x'), value: b('y') }), ConnectionError);
    await expectRejects(t.connect(), ConnectionError);
    await t.close();
  });

  it('fails a silent (blackholed) server with ConnectionError within dialTimeoutMs', async () => {
    silent = createServer((s) => {
      sockets.add(s);
      s.on('error', () => undefined);
    });
    await new Promise<void>((r) => silent!.listen(0, '127.0.0.1', () => r()));
    const addr = silent.address();
    const port = typeof addr === 'object' && addr ? addr.port : 0;
    const t = createGrpcTransport({ endpoints: [`127.0.0.1:${port}`], dialTimeoutMs: 800 });
    const started = Date.now();
    await expectRejects(t.range({ key: b('x') }), ConnectionError);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(700);
    expect(elapsed).toBeLessThan(1400);
    const handlers = streamRecorder<ResponseHeader>();
    const ws = t.openWatch(handlers);
    ws.watch({ key: b('x') }, recorder());
    await pollUntil(() => handlers.errors.length === 1, 3000);
    expect(handlers.errors[0]).toBeInstanceOf(ConnectionError);
    await t.close();
  });
});

describe('grpc adapter: failover in a 3-member cluster', () => {
  let etcd: LocalCluster;
  beforeAll(async () => {
    etcd = await startLocalEtcd({ size: 3 });
  });
  afterAll(async () => {
    await etcd?.stop();
  });

  it('moves to a live member when the one in use is killed', async () => {
    const t = createGrpcTransport({ endpoints: etcd.endpoints, dialTimeoutMs: 2000 });
    try {
      const first = await t.range({ key: b('fo/k') });
      // pick_first: the first endpoint; cross-checked with the answering member's id.
      const peer = t.currentPeer;
      expect(Object.keys(t)).not.toContain('currentPeer');
      const victim = etcd.members.find((m) => m.clientAddress === peer)!;
      expect(victim).toBeDefined();
      expect(victim).toBe(etcd.members[0]);
      const { members } = await t.memberList();
      expect(members.find((m) => m.id === first.header.memberId)!.clientUrls).toEqual([victim.clientUrl]);
      const victimWasLeader = (await t.status()).leader === first.header.memberId;

      const handlers = streamRecorder<ResponseHeader>();
      let watchErrorAt = 0;
      const ws = t.openWatch({
        onMessage: handlers.onMessage,
        onError: (e) => {
          watchErrorAt = Date.now();
          handlers.onError(e);
        },
      });
      const rec = recorder();
      ws.watch({ key: b('fo/k') }, rec);
      await pollUntil(() => rec.created.length === 1, 5000);

      // Keep reads flowing while the member dies: none may fail.
      let stop = false;
      let reads = 0;
      const readLoop = (async () => {
        while (!stop) {
          await t.range({ key: b('fo/k') });
          reads++;
        }
      })();
      await new Promise((r) => setTimeout(r, 100));

      const killedAt = Date.now();
      await victim.kill('SIGKILL');
      const exitedAt = Date.now();
      const res = await t.range({ key: b('fo/k') });
      const failoverMs = Date.now() - exitedAt;
      expect(failoverMs).toBeLessThan(2000);
      expect(res.header.memberId).not.toBe(first.header.memberId);
      expect(t.currentPeer === victim.clientAddress).toBe(false);

      await pollUntil(() => handlers.errors.length === 1, 5000);
      const watchErrorMs = watchErrorAt - killedAt;
      expect(handlers.errors[0]).toBeInstanceOf(ConnectionError);

      // Writes work on the new member.
      await t.put({ key: b('fo/k'), value: b('after') });
      stop = true;
      await readLoop;
      expect(reads).toBeGreaterThan(0);
      console.info(
        `failover (victim ${victimWasLeader ? 'was' : 'was not'} the leader): kill -9 -> exit ${exitedAt - killedAt} ms; ` +
          `exit -> next range ok ${failoverMs} ms; ` +
          `kill -> watch onError ${watchErrorMs} ms; ${reads} concurrent reads, 0 failed`,
      );
      ws.close();
    } finally {
      await t.close();
      await etcd.members[0]!.restart();
    }
  });

  it('never duplicates a write cut by a dying member', async () => {
    const t = createGrpcTransport({ endpoints: etcd.endpoints, dialTimeoutMs: 2000 });
    try {
      await t.range({ key: b('dup') });
      const victim = etcd.members.find((m) => m.clientAddress === t.currentPeer)!;
      const key = b('dup/counter');
      let ok = 0;
      let unknown = 0;
      let stop = false;
      const writer = (async () => {
        for (let i = 0; !stop; i++) {
          try {
            await t.put({ key, value: b(String(i)) });
            ok++;
          } catch (err) {
            expect(err).toBeInstanceOf(ConnectionError);
            expect((err as ConnectionError).retryable).toBe(true);
            unknown++;
          }
        }
      })();
      await new Promise((r) => setTimeout(r, 100));
      await victim.kill('SIGKILL');
      await new Promise((r) => setTimeout(r, 1000));
      stop = true;
      await writer;
      const kv = (await t.range({ key })).kvs[0]!;
      // Every put is one version: duplicates would push the version past the attempts.
      expect(kv.version).toBeLessThanOrEqual(BigInt(ok + unknown));
      expect(kv.version).toBeGreaterThanOrEqual(BigInt(ok));
      console.info(`writes during failover: ${ok} ok, ${unknown} outcome-unknown (ConnectionError)`);
    } finally {
      await t.close();
      for (const m of etcd.members) if (!m.alive) await m.restart();
    }
  });
});

describe('grpc adapter: auth', () => {
  let etcd: LocalCluster;
  beforeAll(async () => {
    etcd = await startLocalEtcd({ args: ['--auth-token', 'simple', '--auth-token-ttl', '2'] });
    await etcd.etcdctl(['user', 'add', 'root:pw']);
    await etcd.etcdctl(['role', 'add', 'reader']);
    await etcd.etcdctl(['role', 'grant-permission', 'reader', '--prefix=true', 'read', 'allowed/']);
    await etcd.etcdctl(['user', 'add', 'reader:pw2']);
    await etcd.etcdctl(['user', 'grant-role', 'reader', 'reader']);
    await etcd.etcdctl(['auth', 'enable']);
  });
  afterAll(async () => {
    await etcd?.stop();
  });

  it('rejects a wrong password with AuthError', async () => {
    const t = createGrpcTransport({ endpoints: etcd.endpoints, auth: { username: 'root', password: 'nope' } });
    const err = await expectRejects(t.range({ key: b('a') }), AuthError);
    expect(err.code).toBe('AUTH_FAILED');
    await expectRejects(t.connect(), AuthError);
    await t.close();
  });

  it('cancels a watcher on a key the user may not read, keeping the stream', async () => {
    const root = createGrpcTransport({ endpoints: etcd.endpoints, auth: { username: 'root', password: 'pw' } });
    const reader = createGrpcTransport({ endpoints: etcd.endpoints, auth: { username: 'reader', password: 'pw2' } });
    try {
      await expectRejects(reader.range({ key: b('denied/x') }), AuthError).then((e) => expect(e.code).toBe('PERMISSION_DENIED'));
      const handlers = streamRecorder<ResponseHeader>();
      const ws = reader.openWatch(handlers);
      const allowed = recorder();
      const denied = recorder();
      ws.watch({ key: b('allowed/x') }, allowed);
      ws.watch({ key: b('denied/x') }, denied);
      await pollUntil(() => denied.canceled.length === 1 && allowed.created.length === 1, 5000);
      const c = denied.canceled[0]!;
      expect(c.error).toBeInstanceOf(AuthError);
      expect((c.error as AuthError).code).toBe('PERMISSION_DENIED');
      expect(c.reason).toMatch(/PermissionDenied/);
      await root.put({ key: b('allowed/x'), value: b('v') });
      await pollUntil(() => allowed.events.length === 1, 5000);
      expect(handlers.errors).toEqual([]);
      ws.close();
    } finally {
      await root.close();
      await reader.close();
    }
  });

  it('refuses calls without credentials', async () => {
    const t = createGrpcTransport({ endpoints: etcd.endpoints });
    await expectRejects(t.range({ key: b('a') }), AuthError);
    await t.close();
  });

  it('authenticates lazily and refreshes an expired token', async () => {
    // Records "<method> <status code>" of every call the channel makes.
    const calls: string[] = [];
    const recordStatus: grpc.Interceptor = (options, nextCall) =>
      new grpc.InterceptingCall(nextCall(options), {
        start(metadata, _listener, next) {
          next(metadata, {
            onReceiveStatus(status, nextStatus) {
              calls.push(`${options.method_definition.path.split('/').pop()} ${status.code}`);
              nextStatus(status);
            },
          });
        },
      });
    const t = createGrpcTransport({
      endpoints: etcd.endpoints,
      auth: { username: 'root', password: 'pw' },
      channelOptions: { interceptors: [recordStatus] },
    });
    try {
      await t.put({ key: b('auth/k'), value: b('v') });
      expect(str((await t.range({ key: b('auth/k') })).kvs[0]!.value)).toBe('v');
      expect(calls).toEqual(['Authenticate 0', 'Put 0', 'Range 0']);
      const direct = await t.authenticate('root', 'pw');
      expect(direct.token).toMatch(/\./);
      // Simple tokens expire after --auth-token-ttl (2 s) of disuse.
      await new Promise((r) => setTimeout(r, 3500));
      calls.length = 0;
      // Two concurrent calls with the expired token: one re-authentication, each call retried once.
      await Promise.all([t.put({ key: b('auth/k'), value: b('v2') }), t.range({ key: b('auth/other') })]);
      expect(calls.filter((c) => c.startsWith('Authenticate'))).toEqual(['Authenticate 0']);
      expect(calls.filter((c) => c.startsWith('Put'))).toEqual(['Put 16', 'Put 0']);
      expect(calls.filter((c) => c.startsWith('Range'))).toEqual(['Range 16', 'Range 0']);
      expect(str((await t.range({ key: b('auth/k') })).kvs[0]!.value)).toBe('v2');

      // Streams use the current token; one that died of an expired token is reopened with a fresh one.
      const h1 = streamRecorder<ResponseHeader>();
      const ws1 = t.openWatch(h1);
      const r1 = recorder();
      ws1.watch({ key: b('auth/w') }, r1);
      await pollUntil(() => r1.created.length === 1, 5000);
      await new Promise((r) => setTimeout(r, 3500));
      ws1.watch({ key: b('auth/w2') }, recorder());
      await pollUntil(() => h1.errors.length === 1, 5000);
      expect(h1.errors[0]).toBeInstanceOf(AuthError);
      const h2 = streamRecorder<ResponseHeader>();
      const ws2 = t.openWatch(h2);
      const r2 = recorder();
      ws2.watch({ key: b('auth/w') }, r2);
      await pollUntil(() => r2.created.length === 1, 5000);
      expect(r2.canceled).toEqual([]);
      ws2.close();
    } finally {
      await t.close();
    }
  });
});

describe('grpc adapter: TLS', () => {
  let pki: TestPki;
  let etcd: LocalCluster;
  let port: number;
  beforeAll(async () => {
    pki = await makeTestPki();
    etcd = await startLocalEtcd({ pki });
    port = Number(etcd.members[0]!.clientAddress.split(':')[1]);
  });
  afterAll(async () => {
    await etcd?.stop();
    if (pki) rmSync(pki.dir, { recursive: true, force: true });
  });

  const clientTls = () => ({ ca: pki.ca, cert: pki.clientCert, key: Buffer.from(pki.clientKey) });

  it('connects with a CA and client certificate (host name and IP endpoints)', async () => {
    for (const endpoint of [`https://localhost:${port}`, `https://127.0.0.1:${port}`, `127.0.0.1:${port}`]) {
      const t = createGrpcTransport({ endpoints: [endpoint], tls: clientTls() });
      try {
        await t.put({ key: b('tls/k'), value: b(endpoint) });
        expect(str((await t.range({ key: b('tls/k') })).kvs[0]!.value)).toBe(endpoint);
      } finally {
        await t.close();
      }
    }
  });

  it('checks the server name', async () => {
    const t = createGrpcTransport({ endpoints: [`https://127.0.0.1:${port}`], tls: { ...clientTls(), serverName: 'wrong.example' }, dialTimeoutMs: 1000 });
    await expectRejects(t.range({ key: b('x') }), ConnectionError);
    await t.close();
    const ok = createGrpcTransport({ endpoints: [`https://127.0.0.1:${port}`], tls: { ...clientTls(), serverName: 'localhost' } });
    await ok.range({ key: b('x') });
    await ok.close();
  });

  it('skips verification with insecureSkipVerify', async () => {
    const t = createGrpcTransport({
      endpoints: [`https://127.0.0.1:${port}`],
      tls: { cert: pki.clientCert, key: pki.clientKey, insecureSkipVerify: true },
    });
    await t.range({ key: b('x') });
    await t.close();
  });

  it('fails with ConnectionError when the server is not trusted or the client has no certificate', async () => {
    const systemRoots = createGrpcTransport({ endpoints: [`https://127.0.0.1:${port}`], dialTimeoutMs: 800 });
    await expectRejects(systemRoots.range({ key: b('x') }), ConnectionError);
    await systemRoots.close();
    const noClientCert = createGrpcTransport({ endpoints: [`https://localhost:${port}`], tls: { ca: pki.ca }, dialTimeoutMs: 800 });
    await expectRejects(noClientCert.range({ key: b('x') }), ConnectionError);
    await noClientCert.close();
    const plain = createGrpcTransport({ endpoints: [`http://127.0.0.1:${port}`], dialTimeoutMs: 800 });
    await expectRejects(plain.range({ key: b('x') }), ConnectionError);
    await plain.close();
  });
});
