/**
 * The whole harness except `sharedCluster()` (which needs vitest's runtime): safe to import
 * from plain Node scripts such as benchmarks and demos, where importing `vitest` would throw.
 * Tests import `./index.js` instead.
 *
 * @module
 */

export { findEtcd, type EtcdBinaries } from './etcd-binary.js';
export { freePort, freePorts, LOOPBACK } from './ports.js';
export { pollUntil, PollTimeoutError, type PollOptions } from './wait.js';
export { isPidAlive, killAllTracked, removeAllTrackedDirs, trackedPids } from './cleanup-registry.js';
export { makeTempDir, removeTempDir } from './temp-dir.js';
export { cleanEnv, ManagedProcess, type ExitInfo, type SpawnOptions } from './managed-process.js';
export {
  gatewayPost,
  GatewayError,
  health,
  idToHex,
  kvDelete,
  kvGet,
  kvPut,
  kvRoundTrip,
  memberStatus,
  type MemberStatus,
} from './gateway.js';
export { fetchMetrics, parseMetrics, sumMetric, type MetricSample } from './metrics.js';
export { EtcdMember, EtcdStartError, memberLogTail, type MemberSpec } from './member.js';
export {
  EtcdCluster,
  NoLeaderError,
  startCluster,
  startSingle,
  type ClusterGrpcProxyOptions,
  type StartClusterOptions,
  type WaitForLeaderOptions,
} from './cluster.js';
export { GrpcProxy, startGrpcProxy, type GrpcProxyOptions } from './grpc-proxy.js';
export { runEtcdctl, type EtcdctlOptions, type EtcdctlResult } from './etcdctl.js';
export { startRelay, type CutMode, type Relay } from './relay.js';
export { uniquePrefix } from './prefix.js';
