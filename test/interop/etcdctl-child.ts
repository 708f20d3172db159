/**
 * A long-running `etcdctl` child (`lock`, `elect`) for interop tests (see
 * test/harness/output-child.ts: output collected, bounded waits, stopped by PID).
 */
import { findEtcd } from '../harness/etcd-binary.js';
import { cleanEnv } from '../harness/managed-process.js';
import { OutputChild } from '../harness/output-child.js';

export class EtcdctlChild extends OutputChild {
  /** Spawns `etcdctl --endpoints=<endpoint> ...args`. */
  static start(endpoint: string, args: readonly string[]): EtcdctlChild {
    return new EtcdctlChild('etcdctl', findEtcd().etcdctl, [`--endpoints=${endpoint}`, ...args], { env: cleanEnv({ ETCDCTL_API: '3' }) });
  }
}
