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
import { createGrpcTransport } from '../adapters/grpc/index.js';
import { connectWith, type TransportFactory } from './connect.js';
import type { Conclave, ConnectOptions, TransportName } from './types.js';

const BUILT_IN: Partial<Record<TransportName, TransportFactory>> = {
  grpc: (options) => createGrpcTransport(options),
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

export {
  ConclaveError,
  InvalidArgumentError,
  ConnectionError,
  AuthError,
  CompactedError,
  SessionLostError,
  LockLostError,
  TimeoutError,
  AbortError,
  ClosedError,
  EtcdError,
} from './errors.js';
export type { ConclaveErrorOptions } from './errors.js';
export type {
  Conclave,
  ConnectOptions,
  KeyValue,
  WatchEvent,
  WatchOptions,
  Codec,
  CoreStats,
  Session,
  TransportName,
  Bytes,
  Rev,
  WaitOptions,
  Lock,
  Mutex,
  RWLock,
  Semaphore,
  Election,
  Leader,
  Leadership,
  Barrier,
  DoubleBarrier,
  Queue,
  PriorityQueue,
  ServiceRegistry,
  ServiceInstance,
  Registration,
  Topic,
  TopicMessage,
} from './types.js';
export { jsonCodec, stringCodec, bytesCodec } from './codec.js';
export type * from './transport.js';
export { createGrpcTransport } from '../adapters/grpc/index.js';
export type { TransportFactory } from './connect.js';
