/**
 * Reads a namespace and classifies it: one range of every key, then the TTL left on each lock
 * holder's and leader's lease.
 * @module
 */
import type { Conclave, Transport } from '../../src/index.js';
import { classify } from './classify.js';
import type { InspectModel } from './model.js';

/**
 * The report of the namespace `client` is bound to. `transport` answers the lease TTLs.
 *
 * @example
 * ```ts
 * const model = await inspectNamespace(client, transport);
 * ```
 */
export async function inspectNamespace(client: Conclave, transport: Transport, signal?: AbortSignal): Promise<InspectModel> {
  const kvs = await client.getPrefix('', signal ? { signal } : {});
  const first = classify(kvs);
  const leases = new Set<string>([...first.locks.map((l) => l.holder.lease), ...first.elections.map((e) => e.leader.lease)]);
  const ttls = new Map<string, number>();
  await Promise.all(
    [...leases].map(async (lease) => {
      try {
        const res = await transport.leaseTimeToLive(BigInt(lease), signal ? { signal } : {});
        ttls.set(lease, Number(res.ttl));
      } catch {
        // unknown: reported without a TTL
      }
    }),
  );
  return classify(kvs, ttls);
}
