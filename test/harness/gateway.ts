/**
 * Tiny client for etcd's HTTP/JSON gateway (`/health`, `/v3/kv/*`, `/v3/maintenance/status`),
 * used by the harness to wait on real answers. Every call takes an `AbortSignal`.
 *
 * @module
 */

import { randomBytes } from 'node:crypto';

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');
const unb64 = (text: string): string => Buffer.from(text, 'base64').toString('utf8');

/** Default per-request timeout when no signal is given. */
const DEFAULT_TIMEOUT_MS = 2_000;

/** What `/v3/maintenance/status` says about one member (ids as decimal strings, as etcd sends them). */
export interface MemberStatus {
  /** The answering member's id (decimal uint64 string). */
  memberId: string;
  /** The id of the leader this member knows of; `'0'` when it knows none. */
  leader: string;
  raftTerm: bigint;
  raftIndex: bigint;
  version: string;
}

/** An HTTP error answer of the gateway. */
export class GatewayError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly body: string,
  ) {
    super(message);
    this.name = 'GatewayError';
  }
}

/** GET `<clientUrl>/health`; true when etcd answers `{"health":"true"}`. Throws when unreachable. */
export async function health(clientUrl: string, signal?: AbortSignal): Promise<boolean> {
  const res = await fetch(`${clientUrl}/health`, { signal: signal ?? AbortSignal.timeout(DEFAULT_TIMEOUT_MS) });
  const text = await res.text();
  try {
    return (JSON.parse(text) as { health?: unknown }).health === 'true';
  } catch {
    return false;
  }
}

/** POST a JSON body to a gateway path; returns the parsed JSON answer. */
export async function gatewayPost<T>(clientUrl: string, path: string, body: unknown, signal?: AbortSignal): Promise<T> {
  const res = await fetch(`${clientUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: signal ?? AbortSignal.timeout(DEFAULT_TIMEOUT_MS),
  });
  const text = await res.text();
  if (!res.ok) throw new GatewayError(`POST ${path} -> ${res.status}: ${text}`, res.status, text);
  return JSON.parse(text) as T;
}

/** Put a UTF-8 key/value. */
export async function kvPut(clientUrl: string, key: string, value: string, signal?: AbortSignal): Promise<void> {
  await gatewayPost(clientUrl, '/v3/kv/put', { key: b64(key), value: b64(value) }, signal);
}

/** Linearizable get of a UTF-8 key; `undefined` when absent. */
export async function kvGet(clientUrl: string, key: string, signal?: AbortSignal): Promise<string | undefined> {
  const res = await gatewayPost<{ kvs?: Array<{ value?: string }> }>(clientUrl, '/v3/kv/range', { key: b64(key) }, signal);
  const kv = res.kvs?.[0];
  return kv === undefined ? undefined : unb64(kv.value ?? '');
}

/** Delete one UTF-8 key. */
export async function kvDelete(clientUrl: string, key: string, signal?: AbortSignal): Promise<void> {
  await gatewayPost(clientUrl, '/v3/kv/deleterange', { key: b64(key) }, signal);
}

/**
 * Put a random key through this member, read it back, delete it. Throws unless the value read
 * equals the value written.
 */
export async function kvRoundTrip(clientUrl: string, signal?: AbortSignal): Promise<void> {
  const token = randomBytes(6).toString('hex');
  const key = `__harness/ready/${token}`;
  await kvPut(clientUrl, key, token, signal);
  const got = await kvGet(clientUrl, key, signal);
  if (got !== token) throw new Error(`round trip through ${clientUrl}: wrote ${token}, read ${String(got)}`);
  await kvDelete(clientUrl, key, signal);
}

/** POST `/v3/maintenance/status`. */
export async function memberStatus(clientUrl: string, signal?: AbortSignal): Promise<MemberStatus> {
  const res = await gatewayPost<{
    header?: { member_id?: string };
    leader?: string;
    raftTerm?: string;
    raftIndex?: string;
    version?: string;
  }>(clientUrl, '/v3/maintenance/status', {}, signal);
  return {
    memberId: res.header?.member_id ?? '0',
    leader: res.leader ?? '0',
    raftTerm: BigInt(res.raftTerm ?? '0'),
    raftIndex: BigInt(res.raftIndex ?? '0'),
    version: res.version ?? '',
  };
}

/** A decimal uint64 id string as lowercase hex (the form etcdctl prints). */
export function idToHex(decimal: string): string {
  return BigInt(decimal).toString(16);
}
