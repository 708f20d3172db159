/**
 * Finding the other proxies of a group. An `etcd grpc-proxy` started with
 * `--resolver-prefix` registers its `--advertise-client-url` under that key
 * prefix and answers MemberList with the registered proxies (name and one
 * client URL each, no ID, no peer URLs); without it, a proxy answers with
 * itself, or forwards to the cluster (whose members always have an ID and
 * peer URLs, and must NOT be used: going around the proxy would lose its
 * `--namespace`).
 *
 * @module
 * @internal
 */
import { parseEndpoint } from '../../src/endpoints.js';
import type { MemberListResponse } from '../../src/transport/index.js';

/** `host:port` of every proxy a MemberList answer names; etcd members are ignored. */
export function proxiesOf(members: MemberListResponse): string[] {
  const out: string[] = [];
  for (const m of members.members) {
    if (m.id !== 0n || m.peerUrls.length > 0) continue; // a real etcd member
    for (const url of m.clientUrls) {
      try {
        out.push(parseEndpoint(url).address);
      } catch {
        /* not an address we can dial */
      }
    }
  }
  return out;
}

/** The `host:port` identity of an endpoint string (scheme and trailing slash dropped). */
export function addressOf(endpoint: string): string {
  try {
    return parseEndpoint(endpoint).address;
  } catch {
    return endpoint;
  }
}

/**
 * The endpoint list for a new channel: the configured endpoints, then newly
 * discovered proxies, without duplicates (by `host:port`); the endpoint in use
 * (`preferred`, a `host:port`) first so the new channel stays on it.
 */
export function mergeEndpoints(configured: readonly string[], discovered: readonly string[], preferred: string | undefined): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const ep of [...configured, ...discovered]) {
    const id = addressOf(ep);
    if (seen.has(id)) continue;
    seen.add(id);
    out.push(ep);
  }
  if (preferred) {
    const i = out.findIndex((ep) => addressOf(ep) === preferred);
    if (i > 0) out.unshift(...out.splice(i, 1));
  }
  return out;
}
