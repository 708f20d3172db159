/**
 * Vitest global setup: one shared 3-member etcd cluster (and a grpc-proxy in front of it) for the whole run, handed to tests
 * via `provide('conclaveEtcd', ...)` and stopped at teardown; and the run's dir for the packed package
 * (`provide('conclavePackDir', ...)`, see packed.ts), removed at teardown.
 *
 * @module
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
  // Where test/harness/packed.ts packs and installs the package (lazily, once per run).
  const packDir = mkdtempSync(join(tmpdir(), 'conclave-pack-'));
  project.provide('conclavePackDir', packDir);
  return async () => {
    rmSync(packDir, { recursive: true, force: true });
    await cluster?.stop();
    cluster = undefined;
  };
}
