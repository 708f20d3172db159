/**
 * The contract suite runs every behaviour test over every transport. Each
 * entry knows how to connect a client to the shared cluster through its
 * transport; add an adapter here and every contract test covers it.
 */
import { afterAll, beforeAll, describe } from 'vitest';
import { connect, type Conclave, type ConnectOptions } from '../../src/index.js';
import { sharedCluster, startSingle, uniquePrefix, type EtcdCluster } from '../harness/index.js';

/** The cluster a contract test talks to: the shared one, or one the file started. */
export interface ClusterUnderTest {
  endpoints: string[];
  clientUrls: string[];
}

export interface TransportUnderTest {
  name: string;
  /** Connects to `cluster` through this transport. */
  connect(cluster: ClusterUnderTest, options?: ConnectOptions): Promise<Conclave>;
}

function grpc(): TransportUnderTest {
  return {
    name: 'grpc',
    connect: (cluster, options = {}) => connect({ endpoints: cluster.endpoints, transport: 'grpc', ...options }),
  };
}

/** The transports every contract test runs over. */
export function transportsUnderTest(): TransportUnderTest[] {
  return [grpc()];
}

/**
 * `describe`s `body` once per transport with a fresh key prefix; `client()`
 * gives a client namespaced to that prefix (connected lazily, closed after the file).
 * Tests that change cluster-wide state (compaction, auth) pass `{ ownCluster: true }`:
 * the file then starts a single-member cluster of its own.
 */
export function describeContract(
  title: string,
  body: (ctx: {
    transport: TransportUnderTest;
    prefix: string;
    /** The file's shared client, namespaced to `prefix`. */
    client: () => Promise<Conclave>;
    /** A shared client without namespace (for raw reads). */
    raw: () => Promise<Conclave>;
    /** A new client (closed after the file). */
    open: (options?: ConnectOptions) => Promise<Conclave>;
    /** The cluster under test (the file's own when `ownCluster`). */
    cluster: () => ClusterUnderTest;
  }) => void,
  options: { ownCluster?: boolean } = {},
): void {
  for (const transport of transportsUnderTest()) {
    describe(`${title} [${transport.name}]`, () => {
      const prefix = uniquePrefix(title);
      const opened: Conclave[] = [];
      let shared: Promise<Conclave> | undefined;
      let rawShared: Promise<Conclave> | undefined;
      let own: EtcdCluster | undefined;
      if (options.ownCluster) {
        beforeAll(async () => {
          own = await startSingle();
        });
      }
      const open = async (connectOptions?: ConnectOptions) => {
        const c = await transport.connect(own ?? sharedCluster(), connectOptions);
        opened.push(c);
        return c;
      };
      afterAll(async () => {
        await Promise.all(opened.map((c) => c.close()));
        await own?.stop();
      });
      body({
        transport,
        prefix,
        client: () => (shared ??= open({ namespace: prefix })),
        raw: () => (rawShared ??= open()),
        open,
        cluster: () => own ?? sharedCluster(),
      });
    });
  }
}

/** Collects the first `n` values of an Observable-returning subscription, bounded in time. */
export { firstN } from './collect.js';
