/**
 * etcd's gRPC services as grpc-js method definitions, built once from the
 * descriptors generated from etcd's protos (`adapters/shared/gen/`): each
 * method's (de)serializers are `toBinary` / `fromBinary` of its generated
 * message schemas. No .proto file is read and no protobufjs is loaded.
 *
 * @module
 * @internal
 */
import type * as grpc from '@grpc/grpc-js';
import { fromBinary, toBinary, type DescMessage, type DescService, type MessageShape } from '@bufbuild/protobuf';
import type { GenService, GenServiceMethods } from '@bufbuild/protobuf/codegenv2';
import * as rpc from '../shared/gen/etcdserverpb/rpc_pb.js';

/** A typed method definition (path + (de)serializers of both directions). */
export type Method<Req, Res> = grpc.MethodDefinition<Req, Res>;

/** The method definition of `localName` in a generated service. */
type MethodOf<S extends GenServiceMethods, K extends keyof S> = Method<MessageShape<S[K]['input']>, MessageShape<S[K]['output']>>;

/** A Buffer view of `bytes` (no copy): what grpc-js expects from a serializer. */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** A plain Uint8Array view of a Buffer (no copy): decoded bytes fields are then plain `Uint8Array`s too. */
function asPlain(bytes: Buffer): Uint8Array {
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function serializerOf(schema: DescMessage): (value: MessageShape<DescMessage>) => Buffer {
  return (value) => asBuffer(toBinary(schema, value));
}

function deserializerOf(schema: DescMessage): (bytes: Buffer) => MessageShape<DescMessage> {
  return (bytes) => fromBinary(schema, asPlain(bytes), { readUnknownFields: false });
}

/**
 * The grpc-js service definition of a generated service: usable with
 * `grpc.makeGenericClientConstructor`, `Client#makeUnaryRequest` and
 * `Server#addService` (the tests' fake etcd).
 *
 * @example
 * ```ts
 * const kv = serviceDefinition(rpc.KV);
 * const Client = grpc.makeGenericClientConstructor(kv, 'KV');
 * ```
 */
export function serviceDefinition<S extends GenServiceMethods>(service: GenService<S>): { [K in keyof S]: MethodOf<S, K> } {
  const out: Record<string, Method<unknown, unknown>> = {};
  for (const m of (service as DescService).methods) {
    out[m.localName] = {
      path: `/${service.typeName}/${m.name}`,
      originalName: m.name,
      requestStream: m.methodKind === 'client_streaming' || m.methodKind === 'bidi_streaming',
      responseStream: m.methodKind === 'server_streaming' || m.methodKind === 'bidi_streaming',
      requestSerialize: serializerOf(m.input),
      requestDeserialize: deserializerOf(m.input),
      responseSerialize: serializerOf(m.output),
      responseDeserialize: deserializerOf(m.output),
    } as Method<unknown, unknown>;
  }
  return out as { [K in keyof S]: MethodOf<S, K> };
}

/** Every etcd method the adapter calls. */
export interface EtcdMethods {
  range: MethodOf<KVMethods, 'range'>;
  put: MethodOf<KVMethods, 'put'>;
  deleteRange: MethodOf<KVMethods, 'deleteRange'>;
  txn: MethodOf<KVMethods, 'txn'>;
  compact: MethodOf<KVMethods, 'compact'>;
  watch: MethodOf<ServiceMethods<typeof rpc.Watch>, 'watch'>;
  leaseGrant: MethodOf<LeaseMethods, 'leaseGrant'>;
  leaseRevoke: MethodOf<LeaseMethods, 'leaseRevoke'>;
  leaseKeepAlive: MethodOf<LeaseMethods, 'leaseKeepAlive'>;
  leaseTimeToLive: MethodOf<LeaseMethods, 'leaseTimeToLive'>;
  memberList: MethodOf<ServiceMethods<typeof rpc.Cluster>, 'memberList'>;
  status: MethodOf<ServiceMethods<typeof rpc.Maintenance>, 'status'>;
  authenticate: MethodOf<ServiceMethods<typeof rpc.Auth>, 'authenticate'>;
}

type ServiceMethods<T> = T extends GenService<infer S> ? S : never;
type KVMethods = ServiceMethods<typeof rpc.KV>;
type LeaseMethods = ServiceMethods<typeof rpc.Lease>;

let cached: EtcdMethods | undefined;

/** Builds (once) and returns the method definitions. */
export function etcdMethods(): EtcdMethods {
  if (cached) return cached;
  const kv = serviceDefinition(rpc.KV);
  const lease = serviceDefinition(rpc.Lease);
  cached = {
    range: kv.range,
    put: kv.put,
    deleteRange: kv.deleteRange,
    txn: kv.txn,
    compact: kv.compact,
    watch: serviceDefinition(rpc.Watch).watch,
    leaseGrant: lease.leaseGrant,
    leaseRevoke: lease.leaseRevoke,
    leaseKeepAlive: lease.leaseKeepAlive,
    leaseTimeToLive: lease.leaseTimeToLive,
    memberList: serviceDefinition(rpc.Cluster).memberList,
    status: serviceDefinition(rpc.Maintenance).status,
    authenticate: serviceDefinition(rpc.Auth).authenticate,
  };
  return cached;
}
