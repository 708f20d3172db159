/**
 * `conclave inspect` from the packed tarball against the shared cluster: a held lock with two
 * waiters in FIFO order (a Conclave holder, an `etcdctl lock` waiter, a Conclave waiter), an
 * election leader, a queue's depth and a registered service, in the contract's JSON; the table;
 * exit codes and messages for bad flags and an unreachable etcd.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Conclave, type Lock } from '../../src/index.js';
import { sharedCluster, uniquePrefix } from '../harness/index.js';
import { packedApp } from '../harness/packed.js';
import { keysWhen } from '../contract/lock-helpers.js';
import { EtcdctlChild } from '../interop/etcdctl-child.js';
import { runCli } from './cli-process.js';

// The tarball is packed and installed once per run (minutes on a busy machine).
beforeAll(() => packedApp(), 600_000);

interface InspectJson {
  locks: Array<{ name: string; holder: { key: string; lease: string; fencingToken: string }; waiters: Array<{ key: string }> }>;
  elections: Array<{ name: string; leader: { key: string; value: string }; candidates: Array<{ key: string }> }>;
  queues: Array<{ name: string; depth: number; claimed: number; delayed: number; deadLetter: number }>;
  topics: Array<{ name: string; retained: number; groups: Array<{ name: string; lag: number }> }>;
  services: Array<{ name: string; instances: Array<{ id: string; address: string }> }>;
}

describe('conclave inspect', () => {
  const ns = uniquePrefix('cli inspect');
  let endpoints: string[];
  let holderClient: Conclave;
  let waiterClient: Conclave;
  let etcdctl: EtcdctlChild | undefined;
  let lock: Lock;
  let etcdctlKey = '';
  let conclaveWaiterKey = '';

  beforeAll(async () => {
    endpoints = sharedCluster().endpoints;
    holderClient = await connect({ endpoints, namespace: ns });
    waiterClient = await connect({ endpoints, namespace: ns });
    lock = await holderClient.mutex('jobs/nightly').acquire();
    // etcdctl writes raw keys: its lock name carries the namespace.
    etcdctl = EtcdctlChild.start(endpoints[0]!, ['lock', `${ns}jobs/nightly`]);
    const two = await keysWhen(holderClient, 'jobs/nightly/', (kvs) => kvs.length === 2, 15_000, "etcdctl's key behind the holder");
    etcdctlKey = two.find((kv) => kv.key !== lock.key)!.key;
    void waiterClient.mutex('jobs/nightly').acquire().catch(() => undefined);
    const three = await keysWhen(holderClient, 'jobs/nightly/', (kvs) => kvs.length === 3, 15_000, "Conclave's key behind etcdctl's");
    conclaveWaiterKey = three.find((kv) => kv.key !== lock.key && kv.key !== etcdctlKey)!.key;

    await holderClient.election('scheduler').campaign('node-a');
    const q = holderClient.queue<{ n: number }>('emails');
    for (let n = 0; n < 3; n++) await q.enqueue({ n });
    await holderClient.services('api').register({ id: 'api-1', address: '127.0.0.1:8080' });
  });

  afterAll(async () => {
    await etcdctl?.stop('SIGKILL');
    await waiterClient?.close();
    await holderClient?.close();
  });

  it('--json: the held lock with its two waiters in order, the leader, the queue depth and the service', async () => {
    const r = await runCli(['inspect', '--json', '--endpoints', endpoints.join(','), '--namespace', ns]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as InspectJson;
    expect(Object.keys(out)).toEqual(expect.arrayContaining(['locks', 'elections', 'queues', 'topics', 'services']));
    expect(out.locks).toEqual([
      {
        name: 'jobs/nightly',
        holder: expect.objectContaining({ key: lock.key, fencingToken: lock.fencingToken.toString(), lease: BigInt(`0x${lock.key.split('/').pop()}`).toString() }),
        waiters: [expect.objectContaining({ key: etcdctlKey }), expect.objectContaining({ key: conclaveWaiterKey })],
      },
    ]);
    expect(out.elections).toEqual([
      expect.objectContaining({ name: 'scheduler', leader: expect.objectContaining({ value: 'node-a' }), candidates: [expect.objectContaining({ key: expect.stringMatching(/^scheduler\/[0-9a-f]+$/) })] }),
    ]);
    expect(out.queues).toEqual([{ name: 'emails', kind: 'fifo', depth: 3, claimed: 0, delayed: 0, deadLetter: 0 }]);
    expect(out.services).toEqual([{ name: 'api', instances: [expect.objectContaining({ id: 'api-1', address: '127.0.0.1:8080' })] }]);
    expect(out.topics).toEqual([]);
  });

  it('the table names the holder, its fencing token and the waiters in order', async () => {
    const r = await runCli(['inspect'], { env: { CONCLAVE_ENDPOINTS: endpoints.join(','), CONCLAVE_NAMESPACE: ns } });
    expect(r.code).toBe(0);
    const row = r.stdout.split('\n').find((l) => l.startsWith('jobs/nightly '))!;
    expect(row).toContain(lock.key);
    expect(row).toContain(` ${lock.fencingToken} `);
    expect(row.indexOf(etcdctlKey)).toBeLessThan(row.indexOf(conclaveWaiterKey));
    expect(r.stdout).toMatch(/^emails +fifo +3 +0 +0 +0$/m);
    expect(r.stdout).toMatch(/^api +api-1 +127\.0\.0\.1:8080$/m);
  });
});

describe('conclave exit codes', () => {
  it('bad flags: a clear message and exit code 2', async () => {
    const unknown = await runCli(['inspect', '--no-such-flag']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown option '--no-such-flag'/);
    const transport = await runCli(['inspect', '--transport', 'carrier-pigeon']);
    expect(transport.code).toBe(2);
    expect(transport.stderr).toMatch(/--transport: expected one of grpc, grpc-proxy, http/);
    const command = await runCli(['frobnicate']);
    expect(command.code).toBe(2);
    expect(command.stderr).toMatch(/unknown command 'frobnicate'/);
  });

  it('unreachable etcd: a clear message, no stack trace, exit code 1', async () => {
    // Port 9 (discard) on loopback: nothing listens there.
    const r = await runCli(['inspect', '--endpoints', '127.0.0.1:9', '--dial-timeout', '2000']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^conclave: etcd is unreachable: .*127\.0\.0\.1:9/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
