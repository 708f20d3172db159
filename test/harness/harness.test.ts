import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  isPidAlive,
  kvGet,
  kvPut,
  parseMetrics,
  pollUntil,
  sharedCluster,
  startCluster,
  startRelay,
  startSingle,
  sumMetric,
  trackedPids,
  uniquePrefix,
  type EtcdCluster,
  type EtcdMember,
} from './index.js';

describe('metrics parser', () => {
  const sample = [
    '# HELP etcd_server_has_leader Whether or not a leader exists. 1 is existence, 0 is not.',
    '# TYPE etcd_server_has_leader gauge',
    'etcd_server_has_leader 1',
    '# TYPE grpc_server_started_total counter',
    'grpc_server_started_total{grpc_method="Range",grpc_service="etcdserverpb.KV",grpc_type="unary"} 12',
    'grpc_server_started_total{grpc_method="Watch",grpc_service="etcdserverpb.Watch",grpc_type="bidi_stream"} 3',
    'grpc_server_started_total{grpc_method="Put",grpc_service="etcdserverpb.KV",grpc_type="unary",} 4.5e1',
    'weird{path="a\\"b,c}",nl="x\\ny",bs="\\\\"} -2 1700000000000',
    'etcd_disk_wal_fsync_duration_seconds_bucket{le="+Inf"} 7',
    'go_gc_duration_seconds{quantile="0.5"} NaN',
    'up_inf +Inf',
    '',
  ].join('\n');

  it('parses names, labels (with escapes), values and timestamps', () => {
    const samples = parseMetrics(sample);
    expect(samples).toHaveLength(8);
    expect(samples[0]).toEqual({ name: 'etcd_server_has_leader', labels: {}, value: 1 });
    expect(samples[4]).toEqual({
      name: 'weird',
      labels: { path: 'a"b,c}', nl: 'x\ny', bs: '\\' },
      value: -2,
      timestamp: 1700000000000,
    });
    expect(samples[5]?.labels).toEqual({ le: '+Inf' });
    expect(Number.isNaN(samples[6]?.value)).toBe(true);
    expect(parseMetrics('up_inf +Inf')[0]?.value).toBe(Number.POSITIVE_INFINITY);
  });

  it('sums samples whose labels include the wanted ones', () => {
    const samples = parseMetrics(sample);
    expect(sumMetric(samples, 'etcd_server_has_leader')).toBe(1);
    expect(sumMetric(samples, 'grpc_server_started_total')).toBe(60);
    expect(sumMetric(samples, 'grpc_server_started_total', { grpc_service: 'etcdserverpb.KV' })).toBe(57);
    expect(sumMetric(samples, 'grpc_server_started_total', { grpc_method: 'Watch' })).toBe(3);
    expect(sumMetric(samples, 'grpc_server_started_total', { grpc_method: 'Nope' })).toBe(0);
    expect(sumMetric(samples, 'missing')).toBe(0);
  });

  it('rejects malformed lines', () => {
    expect(() => parseMetrics('x{a="1"')).toThrow();
    expect(() => parseMetrics('x abc')).toThrow();
  });
});

describe('uniquePrefix', () => {
  it('is sanitized and unique', () => {
    const a = uniquePrefix('lock renew/é');
    expect(a).toMatch(/^t\/lock_renew__\/[0-9a-f]{8}\/$/);
    expect(uniquePrefix('lock renew/é')).not.toBe(a);
    expect(uniquePrefix()).toMatch(/^t\/test\/[0-9a-f]{8}\/$/);
  });
});

describe('shared cluster (global setup)', () => {
  it('provides 3 healthy endpoints', async () => {
    const shared = sharedCluster();
    expect(shared.endpoints).toHaveLength(3);
    for (const endpoint of shared.endpoints) expect(endpoint).toMatch(/^127\.0\.0\.1:\d+$/);
    for (const url of shared.metricsUrls) {
      const text = await (await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(2_000) })).text();
      expect(sumMetric(parseMetrics(text), 'etcd_server_has_leader')).toBe(1);
    }
  });
});

describe('startSingle', () => {
  it('starts one member with extra flags', async () => {
    await using single = await startSingle({ name: 'single', extraArgs: ['--max-request-bytes=4096'] });
    expect(single.members).toHaveLength(1);
    const member = single.members[0] as EtcdMember;
    expect(await single.leader()).toBe(member);
    await expect(kvPut(member.clientUrl, 'big', 'x'.repeat(6_000))).rejects.toThrow(/request is too large/);
  });

  it('fails fast with the log tail when etcd cannot start', async () => {
    const started = Date.now();
    await expect(startSingle({ name: 'broken', extraArgs: ['--no-such-flag'] })).rejects.toThrow(
      /flag provided but not defined: -no-such-flag/,
    );
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(trackedPids()).toEqual([]);
  });
});

describe('a 3-member cluster of its own', () => {
  let cluster: EtcdCluster;
  const ac = () => AbortSignal.timeout(2_000);

  beforeAll(async () => {
    cluster = await startCluster({ name: 'harness' });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('starts with all members healthy', async () => {
    expect(cluster.members).toHaveLength(3);
    expect(cluster.endpoints).toEqual(cluster.members.map((m) => m.clientAddress));
    expect(cluster.clientUrls.every((u) => /^http:\/\/127\.0\.0\.1:\d+$/.test(u))).toBe(true);
    const ids = new Set<string>();
    for (const member of cluster.members) {
      expect(member.running).toBe(true);
      expect(await member.health(ac())).toBe(true);
      expect(member.id).toMatch(/^[0-9a-f]+$/);
      ids.add(member.id as string);
      expect(existsSync(member.logFile)).toBe(true);
    }
    expect(ids.size).toBe(3);
  });

  it('finds exactly one leader', async () => {
    const leader = await cluster.leader();
    const statuses = await Promise.all(cluster.members.map((m) => m.status(ac())));
    expect(statuses.filter((s) => s.memberId === s.leader)).toHaveLength(1);
    expect(new Set(statuses.map((s) => s.leader)).size).toBe(1);
    expect(BigInt(statuses[0]?.leader ?? '0').toString(16)).toBe(leader.id);
    expect(await cluster.followers()).toHaveLength(2);
  });

  it('reads metrics: etcd_server_has_leader is 1', async () => {
    for (const member of cluster.members) expect(await member.metric('etcd_server_has_leader')).toBe(1);
  });

  it('pauses and resumes a follower', async () => {
    const [follower] = await cluster.followers();
    const member = follower as EtcdMember;
    member.pause();
    try {
      expect(member.paused).toBe(true);
      await expect(member.health(AbortSignal.timeout(500))).rejects.toThrow();
    } finally {
      member.resume();
    }
    expect(member.paused).toBe(false);
    const answered = await pollUntil(async (signal) => (await member.health(signal)) || undefined, {
      timeoutMs: 10_000,
      description: 'resumed follower to be healthy',
    });
    expect(answered).toBe(true);
  });

  it('elects a new leader after kill -9 of the leader, and restart() brings it back', async () => {
    const old = await cluster.leader();
    const oldPid = old.pid as number;
    await old.kill();
    expect(old.running).toBe(false);
    expect(isPidAlive(oldPid)).toBe(false);
    const next = await cluster.waitForLeader({ notMember: old, timeoutMs: 15_000 });
    expect(next).not.toBe(old);
    expect(next.id).not.toBe(old.id);

    await old.restart();
    expect(old.running).toBe(true);
    expect(old.pid).not.toBe(oldPid);
    await cluster.waitHealthy();
    for (const member of cluster.members) expect(await member.health(ac())).toBe(true);
    const list = await fetch(`${old.clientUrl}/v3/cluster/member/list`, {
      method: 'POST',
      body: '{}',
      signal: ac(),
    }).then((r) => r.json() as Promise<{ members: unknown[] }>);
    expect(list.members).toHaveLength(3);
  });

  it('relays TCP, and cuts it by drop and by blackhole', async () => {
    const member = cluster.members[0] as EtcdMember;
    await using relay = await startRelay(member.clientAddress);
    const viaRelay = (timeoutMs = 2_000): Promise<boolean> =>
      fetch(`http://${relay.address}/health`, { signal: AbortSignal.timeout(timeoutMs) })
        .then((r) => r.json() as Promise<{ health: string }>)
        .then((body) => body.health === 'true');

    expect(await viaRelay()).toBe(true);
    expect(relay.connections).toBeGreaterThanOrEqual(1);

    relay.cut('drop');
    expect(relay.connections).toBe(0);
    await expect(viaRelay()).rejects.toThrow();

    relay.restore();
    expect(await viaRelay()).toBe(true);

    relay.cut('blackhole');
    await expect(viaRelay(500)).rejects.toThrow();
    relay.restore();
    expect(await viaRelay()).toBe(true);
  });

  it('runs a grpc-proxy that answers etcdctl and forwards puts', async () => {
    const prefix = uniquePrefix('proxy');
    const proxy = await cluster.startGrpcProxy({ namespace: prefix });
    expect(proxy.address).toMatch(/^127\.0\.0\.1:\d+$/);
    const put = await cluster.etcdctl(['put', 'k', 'via-proxy'], { endpoints: [proxy.address] });
    expect(put.code, put.stderr).toBe(0);
    const get = await cluster.etcdctl(['get', 'k', '--print-value-only'], { endpoints: [proxy.address] });
    expect(get.stdout.trim()).toBe('via-proxy');
    const member = cluster.members[1] as EtcdMember;
    expect(await kvGet(member.clientUrl, `${prefix}k`, ac())).toBe('via-proxy');

    proxy.pause();
    const stalled = await cluster.etcdctl(['get', 'k', '--command-timeout=500ms'], { endpoints: [proxy.address] });
    proxy.resume();
    expect(stalled.code).not.toBe(0);
    const again = await cluster.etcdctl(['get', 'k', '--print-value-only'], { endpoints: [proxy.address] });
    expect(again.stdout.trim()).toBe('via-proxy');
  });

  it('stop() leaves no started process alive and removes the temp dir', async () => {
    const pids = cluster.startedPids;
    expect(pids.length).toBeGreaterThanOrEqual(5); // 3 members + restarted one + proxy
    await cluster.stop();
    await cluster.stop(); // idempotent
    for (const pid of pids) {
      expect(() => process.kill(pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
    }
    expect(trackedPids()).toEqual([]);
    expect(existsSync(cluster.dir)).toBe(false);
  });
});
