/**
 * Endpoint parsing and resolution for the gRPC adapter.
 *
 * Endpoints are `host:port`, `[v6]:port`, `http://host:port` or
 * `https://host:port` (parsed as everywhere in the SDK). Host names are
 * resolved once (with `dns.lookup`, so `/etc/hosts` applies) into one grpc-js `ipv4:`/`ipv6:` target that lists
 * every address, in endpoint order.
 *
 * @module
 * @internal
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { parseEndpoint as parseEndpointText } from '../../src/endpoints.js';
import { ConnectionError } from '../../src/errors.js';

/** One configured endpoint. */
export interface ParsedEndpoint {
  /** As configured. */
  readonly original: string;
  /** Host name or IP literal (IPv6 without brackets). */
  readonly host: string;
  readonly port: number;
  /** `'https'`/`'http'` when the endpoint named a scheme, else undefined. */
  readonly scheme: 'http' | 'https' | undefined;
}

/**
 * Parses one endpoint with the SDK's one endpoint grammar (`src/endpoints.ts`,
 * which `connect()` validates with); throws `InvalidArgumentError` when it is malformed.
 */
export function parseEndpoint(endpoint: string): ParsedEndpoint {
  const { host, port, scheme } = parseEndpointText(endpoint);
  return { original: endpoint, host, port, scheme };
}

/** A resolved address of an endpoint. */
export interface ResolvedAddress {
  readonly address: string;
  readonly family: 4 | 6;
  readonly port: number;
  readonly endpoint: ParsedEndpoint;
}

/** Resolves every endpoint (IP literals as they are, names with `dns.lookup(all)`), de-duplicated, in order. */
export async function resolveEndpoints(endpoints: readonly ParsedEndpoint[]): Promise<ResolvedAddress[]> {
  const lists = await Promise.all(
    endpoints.map(async (ep): Promise<ResolvedAddress[] | string> => {
      const literal = isIP(ep.host);
      if (literal === 4 || literal === 6) return [{ address: ep.host, family: literal, port: ep.port, endpoint: ep }];
      try {
        const found = await lookup(ep.host, { all: true });
        return found.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4, port: ep.port, endpoint: ep }));
      } catch (err) {
        // One unresolvable name must not sink the others.
        return `${ep.original}: ${err instanceof Error ? err.message : String(err)}`;
      }
    }),
  );
  const seen = new Set<string>();
  const out: ResolvedAddress[] = [];
  const failures: string[] = [];
  for (const list of lists) {
    if (typeof list === 'string') {
      failures.push(list);
      continue;
    }
    for (const a of list) {
      const key = `${a.address}|${a.port}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(a);
    }
  }
  if (out.length === 0) {
    throw new ConnectionError(`could not resolve any etcd endpoint (${failures.join('; ')})`);
  }
  return out;
}

/** The grpc-js target listing every address: an `ipv4:` target if all are v4, else `ipv6:` (v4 as v4-mapped). */
export function targetOf(addresses: readonly ResolvedAddress[]): string {
  if (addresses.every((a) => a.family === 4)) {
    return 'ipv4:' + addresses.map((a) => `${a.address}:${a.port}`).join(',');
  }
  return (
    'ipv6:' +
    addresses.map((a) => `[${a.family === 4 ? `::ffff:${a.address}` : a.address}]:${a.port}`).join(',')
  );
}

/** `host:port` of an address as grpc-js reports peers (`[v6]:port` for IPv6). */
export function addressString(address: string, port: number): string {
  return isIP(address) === 6 ? `[${address}]:${port}` : `${address}:${port}`;
}
