/**
 * The frame of the Go interop tests: each file runs its body once per Conclave transport
 * (grpc, grpc-proxy, http: `describeContract`), beside a Go driver (etcd's real Go client,
 * always direct gRPC to the cluster under test). Both sides work in the same fresh key prefix:
 * Conclave through its `namespace` option, Go through `clientv3/namespace`, so names are the
 * same on both sides and the keys identical.
 */
import { afterAll, beforeAll } from 'vitest';
import type { Conclave, KeyValue } from '../../src/index.js';
import { describeContract, type TransportUnderTest } from '../contract/transports.js';
import { keysWhen, roundTrips } from '../contract/lock-helpers.js';
import { GoDriver, type ChildEvent } from './go-driver.js';

/** What a Go interop test gets. */
export interface GoInteropContext {
  transport: TransportUnderTest;
  /** The block's key prefix (both sides' namespace). */
  prefix: string;
  /** A Conclave client in the prefix (shared by the block). */
  client: () => Promise<Conclave>;
  /** Another Conclave client in the prefix (its own connection and session; closed after the file). */
  another: () => Promise<Conclave>;
  /** The block's Go driver, in the prefix. */
  go: () => GoDriver;
  /** A fresh name in the prefix (no name is a prefix of another: Go's recipes read names as prefixes). */
  name: (label: string) => string;
}

/**
 * `describe`s `body` per transport with a Go driver beside it; see the module documentation.
 * With `ownCluster`, each block runs on a single-member cluster of its own (for tests that need
 * etcd's revision to stand still between two steps) instead of the shared one.
 */
export function describeGoInterop(title: string, body: (ctx: GoInteropContext) => void, options: { ownCluster?: boolean } = {}): void {
  describeContract(title, ({ transport, prefix, client, open, cluster }) => {
    let driver: GoDriver | undefined;
    let n = 0;
    beforeAll(async () => {
      driver = await GoDriver.start({ endpoints: cluster().endpoints, namespace: prefix, label: `go[${transport.name}]` });
    }, 180_000); // a cold build of the driver compiles etcd's client (see go-build.ts)
    afterAll(async () => {
      await driver?.stop();
    });
    body({
      transport,
      prefix,
      client,
      another: () => open({ namespace: prefix }),
      go: () => {
        if (!driver) throw new Error('the Go driver did not start');
        return driver;
      },
      name: (label) => `${label}-${String(++n).padStart(3, '0')}`,
    });
  }, options);
}

/** Resolves with `go`'s first event `op` of object `obj` (or of name `name`), bounded in time. */
export function goEvent(go: GoDriver, op: string, match: { obj?: string; name?: string; value?: string }, ms = 20_000): Promise<ChildEvent> {
  return go.waitForEvent(
    (e) =>
      e.event === op &&
      (match.obj === undefined || e['obj'] === match.obj) &&
      (match.name === undefined || e['name'] === match.name) &&
      (match.value === undefined || e['value'] === match.value),
    { timeoutMs: ms, description: `${op} ${JSON.stringify(match)}` },
  );
}

/** Whether `go` has reported `op` for `obj` yet. */
export function goDid(go: GoDriver, op: string, obj: string): boolean {
  return go.events.some((e) => e.event === op && e['obj'] === obj);
}

/** Waits until `count` keys are under `prefix` (seen through Conclave), then lets pending reactions run. */
export async function keysCount(c: Conclave, prefix: string, count: number, what: string): Promise<KeyValue[]> {
  const kvs = await keysWhen(c, prefix, (k) => k.length === count, 15_000, what);
  await roundTrips(c, 3);
  return kvs;
}

export { keysWhen, roundTrips, track } from '../contract/lock-helpers.js';
