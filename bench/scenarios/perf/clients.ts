/**
 * How the issue-14 cells open their clients. Each library is imported only when a cell uses it,
 * so a cell's process holds one library (its RSS is that library's alone).
 *
 * @example
 * ```ts
 * const c = await conclave(ctx.endpoint, { sessionTtlSeconds: 2 });
 * const e = await etcd3(ctx.endpoint);
 * ```
 * @module
 */
import type { Conclave } from '../../../src/index.js';
import type { Etcd3 } from 'etcd3';

/** Options passed through to Conclave's `connect()`. */
export interface ConclaveOptions {
  sessionTtlSeconds?: number;
  namespace?: string;
  transport?: 'grpc' | 'grpc-proxy';
}

/** A connected Conclave client (resolves once etcd answered). */
export async function conclave(endpoint: string, options: ConclaveOptions = {}): Promise<Conclave> {
  const { connect } = await import('../../../src/index.js');
  return connect({ endpoints: [endpoint], ...options });
}

/** An etcd3 1.1.2 client; connected by one `get` (etcd3 connects lazily). */
export async function etcd3(endpoint: string): Promise<Etcd3> {
  const { Etcd3 } = await import('etcd3');
  const client = new Etcd3({ hosts: `http://${endpoint}` });
  await client.get('bench/connect').string();
  return client;
}

/** Opens `n` clients in parallel. */
export function many<T>(n: number, open: () => Promise<T>): Promise<T[]> {
  return Promise.all(Array.from({ length: n }, open));
}
