/**
 * etcd's gRPC services, loaded once per process from the generated JSON
 * descriptor (never from .proto files at run time).
 *
 * @module
 * @internal
 */
import * as grpc from '@grpc/grpc-js';
import { fromJSON } from '@grpc/proto-loader';
import type * as pb from './codec.js';
import { etcdProtoDescriptor } from './proto.generated.js';

/** The proto-loader options every encode/decode relies on (see codec.ts). */
export const LOADER_OPTIONS = { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true } as const;

/** A typed client-side method definition (path + (de)serializers). */
export interface Method<Req, Res> {
  readonly path: string;
  readonly requestSerialize: (value: Req) => Buffer;
  readonly responseDeserialize: (bytes: Buffer) => Res;
}

/** Every etcd method the adapter calls. */
export interface EtcdMethods {
  range: Method<pb.PbRangeRequest, pb.PbRangeResponse>;
  put: Method<pb.PbPutRequest, pb.PbPutResponse>;
  deleteRange: Method<pb.PbDeleteRangeRequest, pb.PbDeleteRangeResponse>;
  txn: Method<pb.PbTxnRequest, pb.PbTxnResponse>;
  compact: Method<pb.PbCompactionRequest, pb.PbHeaderOnlyResponse>;
  watch: Method<pb.PbWatchRequest, pb.PbWatchResponse>;
  leaseGrant: Method<pb.PbLeaseGrantRequest, pb.PbLeaseGrantResponse>;
  leaseRevoke: Method<{ ID: pb.PbLong }, pb.PbHeaderOnlyResponse>;
  leaseKeepAlive: Method<{ ID: pb.PbLong }, pb.PbLeaseKeepAliveResponse>;
  leaseTimeToLive: Method<{ ID: pb.PbLong; keys?: boolean }, pb.PbLeaseTimeToLiveResponse>;
  memberList: Method<Record<string, never>, pb.PbMemberListResponse>;
  status: Method<Record<string, never>, pb.PbStatusResponse>;
  authenticate: Method<{ name: string; password: string }, pb.PbAuthenticateResponse>;
}

let cached: EtcdMethods | undefined;

/** Loads (once) and returns the method definitions. */
export function etcdMethods(): EtcdMethods {
  if (cached) return cached;
  const definition = fromJSON(etcdProtoDescriptor as Parameters<typeof fromJSON>[0], LOADER_OPTIONS);
  const root = grpc.loadPackageDefinition(definition);
  const pkg = root['etcdserverpb'] as grpc.GrpcObject;
  const service = (name: string): grpc.ServiceDefinition => {
    const ctor = pkg[name] as grpc.ServiceClientConstructor | undefined;
    if (!ctor || typeof ctor !== 'function') throw new Error(`etcd proto descriptor lacks service ${name}`);
    return ctor.service;
  };
  const method = <Req, Res>(svc: grpc.ServiceDefinition, name: string): Method<Req, Res> => {
    const m = svc[name];
    if (!m) throw new Error(`etcd proto descriptor lacks method ${name}`);
    return m as unknown as Method<Req, Res>;
  };
  const kv = service('KV');
  const watch = service('Watch');
  const lease = service('Lease');
  const cluster = service('Cluster');
  const maintenance = service('Maintenance');
  const auth = service('Auth');
  cached = {
    range: method(kv, 'Range'),
    put: method(kv, 'Put'),
    deleteRange: method(kv, 'DeleteRange'),
    txn: method(kv, 'Txn'),
    compact: method(kv, 'Compact'),
    watch: method(watch, 'Watch'),
    leaseGrant: method(lease, 'LeaseGrant'),
    leaseRevoke: method(lease, 'LeaseRevoke'),
    leaseKeepAlive: method(lease, 'LeaseKeepAlive'),
    leaseTimeToLive: method(lease, 'LeaseTimeToLive'),
    memberList: method(cluster, 'MemberList'),
    status: method(maintenance, 'Status'),
    authenticate: method(auth, 'Authenticate'),
  };
  return cached;
}
