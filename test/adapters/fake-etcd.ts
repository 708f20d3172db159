/**
 * An in-process fake etcd (grpc-js server speaking etcd's KV service) with
 * scripted handlers, and a TCP relay whose connections can be cut: lets the
 * adapter tests check exactly how many times a call reached a server.
 *
 * @module
 */
import { create, type DescMessage, type MessageInitShape } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { serviceDefinition } from '../../adapters/grpc/services.js';
import { KV } from '../../adapters/shared/gen/etcdserverpb/rpc_pb.js';

type Handler = (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => void;

export interface FakeEtcd {
  readonly port: number;
  readonly address: string;
  /** Calls received per method name ('Range', 'Put', 'Txn', ...). */
  readonly received: Map<string, number>;
  /** Sets the behaviour of a KV method. */
  handle(method: 'Range' | 'Put' | 'DeleteRange' | 'Txn' | 'Compact', handler: Handler): void;
  stop(): Promise<void>;
}

const header = { clusterId: 1n, memberId: 2n, revision: 3n, raftTerm: 4n };

/** Default answers: empty successes. */
const defaults: Record<string, Handler> = {
  Range: (_c, cb) => cb(null, { header, kvs: [], count: 0n }),
  Put: (_c, cb) => cb(null, { header }),
  DeleteRange: (_c, cb) => cb(null, { header, deleted: 0n }),
  Txn: (_c, cb) => cb(null, { header, succeeded: true, responses: [] }),
  Compact: (_c, cb) => cb(null, { header }),
};

/** Starts a fake etcd KV server on 127.0.0.1. */
export async function startFakeEtcd(): Promise<FakeEtcd> {
  // etcd's KV service from the generated descriptors; handlers answer with plain message inits.
  const kv: grpc.ServiceDefinition = {};
  for (const [localName, method] of Object.entries<grpc.MethodDefinition<unknown, unknown>>(serviceDefinition(KV) as grpc.ServiceDefinition)) {
    const output: DescMessage = KV.method[localName as keyof typeof KV.method].output;
    const serialize = method.responseSerialize as (value: unknown) => Buffer;
    (kv as Record<string, grpc.MethodDefinition<unknown, unknown>>)[method.originalName!] = { ...method, responseSerialize: (value) => serialize(create(output, value as MessageInitShape<DescMessage>)) };
  }
  const handlers = new Map<string, Handler>(Object.entries(defaults));
  const received = new Map<string, number>();
  const server = new grpc.Server();
  const impl: grpc.UntypedServiceImplementation = {};
  for (const name of Object.keys(defaults)) {
    impl[name] = (call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) => {
      received.set(name, (received.get(name) ?? 0) + 1);
      handlers.get(name)!(call, cb);
    };
  }
  server.addService(kv, impl);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return {
    port,
    address: `127.0.0.1:${port}`,
    received,
    handle: (method, handler) => void handlers.set(method, handler),
    stop: () =>
      new Promise<void>((resolve) => {
        server.forceShutdown();
        resolve();
      }),
  };
}

export interface Relay {
  readonly port: number;
  readonly address: string;
  /** Resets every relayed connection (RST) and refuses new ones: what a crashed server looks like. */
  cut(): void;
  stop(): Promise<void>;
}

/** A TCP relay 127.0.0.1:<port> -> target port. */
export async function startRelay(targetPort: number): Promise<Relay> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((downstream) => {
    const upstream = connect(targetPort, '127.0.0.1');
    for (const s of [downstream, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => sockets.delete(s));
    }
    downstream.pipe(upstream);
    upstream.pipe(downstream);
    downstream.on('close', () => upstream.destroy());
    upstream.on('close', () => downstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  const cut = (): void => {
    server.close();
    for (const s of sockets) s.resetAndDestroy();
  };
  return {
    port,
    address: `127.0.0.1:${port}`,
    cut,
    stop: async () => {
      cut();
      await new Promise((r) => setImmediate(r));
    },
  };
}
