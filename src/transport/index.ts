/**
 * The one seam between the Conclave SDK and the wire.
 *
 * Everything under `src/` talks to etcd through a {@link Transport}; each folder under
 * `adapters/` implements it for one way of reaching etcd (direct gRPC, `etcd grpc-proxy`, the
 * HTTP/JSON gateway). The types here are Conclave's own: every int64 is a `bigint`, every byte
 * string a `Uint8Array`, every call takes an optional `AbortSignal`; nothing from the gRPC
 * library appears here. Adapters throw (or pass to `onError`) only `ConclaveError` subclasses.
 * @module
 */
export type { Bytes, Rev } from '../types.js';
export type * from './kv.js';
export type * from './txn.js';
export type * from './lease.js';
export type * from './watch.js';
export type * from './cluster.js';
export type * from './transport.js';
