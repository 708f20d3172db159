/**
 * What both entry points export: the error classes, every public type, the codecs and the
 * async-iterable bridge. `conclave` (src/index.ts) adds `connect` over every transport;
 * `conclave/http` (src/http.ts) adds `connect` over the HTTP gateway only.
 * @module
 */
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
  DeadlockError,
} from './errors.js';
export type { ConclaveErrorOptions } from './errors.js';
export type { Logger, LogLevel } from './logger.js';
export { DecodeError } from './kit/errors.js';
export { BarrierFullError } from './barriers/errors.js';
export { StmConflictError } from './kv/errors.js';
export type {
  GetOptions,
  GetPrefixOptions,
  PutOptions,
  DeleteOptions,
  Compare,
  TxnOp,
  TxnOpResult,
  TxnSpec,
  TxnResult,
  Stm,
  StmIsolation,
  StmOptions,
} from './kv/api.js';
export type { Barrier, DoubleBarrier } from './barriers/api.js';
export type { Conclave, ConnectOptions, TransportName } from './client/api.js';
export type { Election, Leader, Leadership, LeadOptions } from './election/api.js';
export type { WatchOptions } from './kv/api.js';
export type { Lock, Mutex, RWLock, Semaphore } from './locks/api.js';
export type { Queue, PriorityQueue, QueueClaim, EnqueueOptions, Job, ProcessOptions } from './queues/api.js';
export type { ServiceRegistry, ServiceInstance, Registration } from './services/api.js';
export type { Topic, TopicMessage, ConsumeContext, ConsumeOptions, TopicOptions, TopicRetention, MessagesOptions } from './topics/api.js';
export type { KeyValue, WatchEvent, Codec, CoreStats, Session, Bytes, Rev, WaitOptions, FencedWrites, ConnectionStatus } from './types.js';
export { toAsyncIterable } from './events/async-iterable.js';
export type { AsyncValueIterator, IterateOptions } from './events/async-iterable.js';
export type { ConclaveEvents, ConclaveEventMap, LostSessionEvent } from './events/types.js';
export type {
  TelemetryOptions,
  TelemetryAttributes,
  MeterProviderLike,
  MeterLike,
  HistogramLike,
  CounterLike,
  ObservableGaugeLike,
  TracerProviderLike,
  TracerLike,
  SpanLike,
} from './telemetry/types.js';
export { jsonCodec, stringCodec, bytesCodec, decodeText, decodeJson } from './codec.js';
export type { JsonCodec } from './codec.js';
// The wire `Compare` of the transport seam is exported as `WireCompare`; `Compare` is txn()'s.
export type * from './transport/index.js';
export type { Compare as WireCompare } from './transport/index.js';
