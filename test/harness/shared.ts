/**
 * Access to the run-wide shared cluster from inside a test file.
 *
 * @module
 */

import { inject } from 'vitest';
import type { SharedClusterInfo } from './provided-context.js';

/**
 * The shared 3-member cluster started by the global setup. Use it for tests that only talk to
 * etcd (always under a {@link uniquePrefix}); tests that kill, pause or restart members must
 * start their own with `startCluster()`.
 *
 * @throws Error when the global setup did not run (e.g. a config without `globalSetup`).
 */
export function sharedCluster(): SharedClusterInfo {
  const info = inject('conclaveEtcd') as SharedClusterInfo | undefined;
  if (!info) {
    throw new Error('no shared etcd cluster: run tests through vitest.config.ts (globalSetup test/harness/global-setup.ts)');
  }
  return info;
}
