/**
 * Endpoint strings: `host:port`, `http://host:port`, `https://host:port`,
 * IPv6 as `[::1]:port`.
 * @module
 */
import { InvalidArgumentError } from './errors.js';

export interface Endpoint {
  /** `undefined` when the string had no scheme. */
  scheme: 'http' | 'https' | undefined;
  /** Hostname or IP (IPv6 without brackets). */
  host: string;
  port: number;
  /** `host:port` (IPv6 in brackets). */
  address: string;
}

const PATTERN = /^(?:(https?):\/\/)?(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+)(?::(\d{1,5}))?\/?$/;

/** Parses one endpoint; throws InvalidArgumentError on anything else. */
export function parseEndpoint(text: unknown): Endpoint {
  if (typeof text !== 'string' || text.trim() === '') throw new InvalidArgumentError(`endpoint must be a non-empty string, got ${JSON.stringify(text)}`);
  const m = PATTERN.exec(text.trim());
  if (!m) throw new InvalidArgumentError(`invalid endpoint ${JSON.stringify(text)}: expected host:port or http(s)://host:port`);
  const scheme = m[1] as 'http' | 'https' | undefined;
  const rawHost = m[2]!;
  const port = m[3] !== undefined ? Number(m[3]) : scheme === 'https' ? 443 : scheme === 'http' ? 80 : 2379;
  if (port < 1 || port > 65535) throw new InvalidArgumentError(`invalid port in endpoint ${JSON.stringify(text)}`);
  const host = rawHost.startsWith('[') ? rawHost.slice(1, -1) : rawHost;
  return { scheme, host, port, address: `${rawHost}:${port}` };
}

/** Parses a list of endpoints; it must not be empty. */
export function parseEndpoints(list: unknown): Endpoint[] {
  if (!Array.isArray(list) || list.length === 0) throw new InvalidArgumentError('endpoints must be a non-empty array of strings');
  return list.map(parseEndpoint);
}
