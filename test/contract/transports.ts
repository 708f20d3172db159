/**
 * The contract suite runs every behaviour test over every transport. Each
 * entry knows how to connect a client to the shared cluster through its
 * transport; add an adapter here and every contract test covers it.
 */
import { afterAll, beforeAll, describe } from 'vitest';
import { connect, createGrpcProxyTransport, createGrpcTransport, createHttpTransport, type Conclave, type ConnectOptions, type Transport } from '../../src/index.js';
import { sharedCluster, startSingle, uniquePrefix, type EtcdCluster } from '../harness/index.js';

/** The cluster a contract test talks to: the shared one, or one the file started. */
export interface ClusterUnderTest {
  /** `127.0.0.1:<port>` gRPC addresses of the members. */
  endpoints: string[];
  /** `http://127.0.0.1:<port>` client URLs of the members (the JSON gateway). */
  clientUrls: string[];
  /** `127.0.0.1:<port>` of grpc-proxies in front of the cluster, when already running (the shared cluster's). */
  grpcProxyEndpoints?: string[] | undefined;
  /** Starts a grpc-proxy in front of the cluster, stopped with it (own clusters). */
  startGrpcProxy?: (() => Promise<{ address: string }>) | undefined;
}

export interface TransportUnderTest {
  name: 'grpc' | 'grpc-proxy' | 'http';
  /** The endpoints this transport uses for `cluster` (starts a grpc-proxy for an own cluster, once). */
  endpointsFor(cluster: ClusterUnderTest): Promise<string[]>;
  /** Connects to `cluster` through this transport. */
  connect(cluster: ClusterUnderTest, options?: ConnectOptions): Promise<Conclave>;
}

function transport(name: TransportUnderTest['name'], endpointsFor: (cluster: ClusterUnderTest) => Promise<string[]>): TransportUnderTest {
  return {
    name,
    endpointsFor,
    connect: async (cluster, options = {}) => connect({ endpoints: await endpointsFor(cluster), transport: name, ...options }),
  };
}

/** Proxies started for own clusters, one per cluster. */
const startedProxies = new WeakMap<object, Promise<string[]>>();

function proxyEndpoints(cluster: ClusterUnderTest): Promise<string[]> {
  if (cluster.grpcProxyEndpoints && cluster.grpcProxyEndpoints.length > 0) return Promise.resolve(cluster.grpcProxyEndpoints);
  const start = cluster.startGrpcProxy;
  if (!start) throw new Error('this cluster has no grpc-proxy and cannot start one');
  let started = startedProxies.get(cluster);
  if (!started) {
    started = start.call(cluster).then((p) => [p.address]);
    startedProxies.set(cluster, started);
  }
  return started;
}

/**
 * The transports every contract test runs over: direct gRPC to the members,
 * gRPC through an `etcd grpc-proxy`, and etcd's JSON gateway over HTTP.
 * `CONCLAVE_TRANSPORTS=grpc,http` narrows the list (for a quick local run).
 */
export function transportsUnderTest(): TransportUnderTest[] {
  const all = [
    transport('grpc', (c) => Promise.resolve(c.endpoints)),
    transport('grpc-proxy', proxyEndpoints),
    transport('http', (c) => Promise.resolve(c.clientUrls)),
  ];
  const only = process.env['CONCLAVE_TRANSPORTS']?.split(',').map((s) => s.trim()).filter(Boolean);
  return only && only.length > 0 ? all.filter((t) => only.includes(t.name)) : all;
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
          await transport.endpointsFor(own); // e.g. the grpc-proxy in front of it
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

/**
 * The built-in adapter `transport` connects with (what `connect({ transport: name })` builds),
 * for tests that decorate it (test/harness/intercept.ts).
 */
export async function adapterFor(transport: TransportUnderTest, cluster: ClusterUnderTest): Promise<Transport> {
  const endpoints = await transport.endpointsFor(cluster);
  if (transport.name === 'grpc') return createGrpcTransport({ endpoints });
  if (transport.name === 'grpc-proxy') return createGrpcProxyTransport({ endpoints });
  return createHttpTransport({ endpoints });
}
