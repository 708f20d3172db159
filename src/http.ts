/**
 * `conclave/http` — the entry point for browsers, edge runtimes, Deno and Bun: the same
 * `Conclave` client over etcd's HTTP/JSON gateway, with no Node built-in, no gRPC and no undici
 * in its import graph (`esbuild --bundle --platform=browser` needs no externals).
 *
 * ```ts
 * import { connect } from 'conclave/http';
 * await using client = await connect({ endpoints: ['http://127.0.0.1:2379'] });
 * const lock = await client.mutex('jobs').acquire({ timeoutMs: 5000 });
 * await lock.release();
 * ```
 * @module
 */
import { createHttpTransport } from '../adapters/http/index.js';
import { connectWith, type TransportFactory } from './client/connect.js';
import type { Conclave, ConnectOptions, TransportName } from './client/api.js';

const HTTP_ONLY: Partial<Record<TransportName, TransportFactory>> = {
  http: (options) => createHttpTransport(options),
};

/**
 * Connects to etcd's HTTP gateway and resolves once the cluster answered. The transport is
 * always `'http'` (or a `Transport` you pass); TLS is the platform's (use `https://` endpoints).
 *
 * @example
 * ```ts
 * import { connect } from 'conclave/http';
 * const client = await connect({ endpoints: ['https://etcd.example:2379'] });
 * client.watch('config/', { prefix: true }).subscribe((e) => console.log(e.key));
 * ```
 */
export function connect(options: ConnectOptions = {}): Promise<Conclave> {
  return connectWith({ ...options, transport: options.transport ?? 'http' }, HTTP_ONLY);
}

export * from './public.js';
export { createHttpTransport } from '../adapters/http/index.js';
export type { HttpTransportOptions } from '../adapters/http/index.js';
export type { FetchFunction } from '../adapters/http/gateway.js';
