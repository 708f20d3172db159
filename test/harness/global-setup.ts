/**
 * Vitest global setup: one shared 3-member etcd cluster for the whole run, handed to tests
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
  project.provide('conclaveEtcd', {
    endpoints: cluster.endpoints,
    clientUrls: cluster.clientUrls,
    metricsUrls: cluster.metricsUrls,
  });
  return async () => {
    await cluster?.stop();
    cluster = undefined;
  };
}
