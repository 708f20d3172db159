/**
 * Nothing left behind: after a client closed (whatever faults its calls met), no key it wrote
 * under the test's prefix remains unless the primitive keeps it by design (a queued item, a
 * published message, a held barrier), and none of its leases is alive — except a lease whose
 * grant reply was lost (the client never learned its id, so it cannot revoke it; it must carry
 * no key and expires by its TTL).
 */
import type { Violation } from './violation.js';

/** What etcd says of one lease the client was granted, read after the client closed. */
export interface LeaseState {
  id: bigint;
  /** Remaining seconds; -1 when the lease is gone. */
  ttl: bigint;
  /** Keys still attached to it. */
  keys: readonly string[];
  /** Its grant's reply was lost: the client could not know it. */
  grantReplyLost?: boolean;
}

/**
 * Checks what is left. `keys`: the keys under the prefix after the close; `allowed`: the keys
 * the primitive keeps by design. Violations: `leftover-key`, `leftover-lease` (alive, its id
 * known to the client), `orphan-lease-with-keys`.
 *
 * @example
 * ```ts
 * checkLeftovers(['p/lock/694d7'], () => false, [{ id: 0x694dn, ttl: 7n, keys: ['p/lock/694d7'] }]);
 * // [{ kind: 'leftover-key', ... }, { kind: 'leftover-lease', ... }]
 * ```
 */
export function checkLeftovers(keys: readonly string[], allowed: (key: string) => boolean, leases: readonly LeaseState[]): Violation[] {
  const violations: Violation[] = [];
  for (const key of keys) if (!allowed(key)) violations.push({ kind: 'leftover-key', detail: `${key} is still in etcd after the client closed` });
  for (const lease of leases) {
    if (lease.ttl < 0n) continue;
    const hex = lease.id.toString(16);
    if (lease.grantReplyLost && lease.keys.length > 0) {
      violations.push({ kind: 'orphan-lease-with-keys', detail: `lease ${hex} (grant reply lost) carries ${lease.keys.join(', ')}` });
    } else if (!lease.grantReplyLost) {
      violations.push({
        kind: 'leftover-lease',
        detail: `lease ${hex} is alive (TTL ${lease.ttl} s) after the client closed${lease.keys.length > 0 ? `, with ${lease.keys.join(', ')}` : ''}`,
      });
    }
  }
  return violations;
}
