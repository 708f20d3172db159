/**
 * Vitest global setup: one shared 3-member etcd cluster (and a grpc-proxy in front of it) for the whole run, handed to tests
 * via `provide('conclaveEtcd', ...)` and stopped at teardown.
 *
 * @module
 */

import type { TestProject } from 'vitest/node';
import { startCluster, type EtcdCluster } from './cluster.js';
import type {} from './provided-context.js';

let cluster: EtcdCluster | undefined;

/** Start the shared cluster and provide its addresses; returns the teardown. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  cluster = await startCluster({ size: 3, name: 'shared' });
  // The contract suite's grpc-proxy transport goes through this one (stopped with the cluster).
  const proxy = await cluster.startGrpcProxy();
  project.provide('conclaveEtcd', {
    endpoints: cluster.endpoints,
    clientUrls: cluster.clientUrls,
    metricsUrls: cluster.metricsUrls,
    grpcProxyEndpoints: [proxy.address],
  });
  return async () => {
    await cluster?.stop();
    cluster = undefined;
  };
}
