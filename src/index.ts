/**
 * Conclave — coordination for Node services on etcd v3.
 *
 * ```ts
 * import { connect } from 'conclave';
 * await using client = await connect({ endpoints: ['127.0.0.1:2379'] });
 * await client.put('greeting', 'hello');
 * client.watch('greeting').subscribe((e) => console.log(e.type, e.key));
 * ```
 * @module
 */
import { createGrpcProxyTransport } from '../adapters/grpc-proxy/index.js';
import { createGrpcTransport } from '../adapters/grpc/index.js';
import { createHttpTransport } from '../adapters/http/index.js';
import { nodeDiagnose } from '../adapters/http/node-diagnose.js';
import { needsTlsFetch, nodeTlsFetch } from '../adapters/http/node-tls.js';
import { connectWith, type TransportFactory } from './client/connect.js';
import type { Conclave, ConnectOptions, TransportName } from './client/api.js';

const BUILT_IN: Partial<Record<TransportName, TransportFactory>> = {
  grpc: (options) => createGrpcTransport(options),
  'grpc-proxy': (options) => createGrpcProxyTransport(options),
  // Node's fetch cannot take a CA or client certificate: with `tls`, an undici Agent carries them.
  http: (options) =>
    createHttpTransport({
      ...options,
      ...(needsTlsFetch(options.tls) ? nodeTlsFetch(options.tls) : {}),
      // Tells a silent endpoint's reason (a TLS port dialed plain, a missing client certificate).
      diagnose: nodeDiagnose(options.tls),
    }),
};

/**
 * Connects to etcd and resolves once the cluster answered. Fails fast with a
 * typed error on a bad endpoint (`ConnectionError`), wrong password
 * (`AuthError`) or bad options (`InvalidArgumentError`), within `dialTimeoutMs`.
 *
 * @example
 * ```ts
 * const client = await connect({ endpoints: ['127.0.0.1:2379'], namespace: 'app/' });
 * const { revision } = await client.put('config/mode', 'active');
 * await client.close();
 * ```
 */
export function connect(options: ConnectOptions = {}): Promise<Conclave> {
  return connectWith(options, BUILT_IN);
}

export * from './public.js';
export { createGrpcTransport } from '../adapters/grpc/index.js';
export type { GrpcTransport, GrpcTransportOptions } from '../adapters/grpc/index.js';
export { createGrpcProxyTransport } from '../adapters/grpc-proxy/index.js';
export type { GrpcProxyTransport, GrpcProxyTransportOptions } from '../adapters/grpc-proxy/index.js';
export { createHttpTransport } from '../adapters/http/index.js';
export type { HttpTransportOptions } from '../adapters/http/index.js';
export type { FetchFunction } from '../adapters/http/gateway.js';
export type { NodeTlsFetch } from '../adapters/http/node-tls.js';
export { nodeTlsFetch } from '../adapters/http/node-tls.js';
export type { TransportFactory } from './client/connect.js';
