/**
 * Helpers of the KV, txn and STM contract tests: a transport decorator that
 * holds calls before they are sent (to make `timeoutMs`/`signal` land
 * deterministically before the request reaches etcd), the built-in adapter of
 * a transport under test, and small byte helpers.
 */
import { abortErrorOf } from '../../src/errors.js';
import { createGrpcProxyTransport, createGrpcTransport, createHttpTransport, type Transport } from '../../src/index.js';
import type { ClusterUnderTest, TransportUnderTest } from './transports.js';

const enc = new TextEncoder();
const dec = new TextDecoder();
export const text = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : dec.decode(b));
export const bytes = (s: string): Uint8Array => enc.encode(s);

/** A transport whose calls of the held methods wait (unsent) until `release()` or their signal aborts. */
export interface HoldingTransport extends Transport {
  hold(...methods: Array<'range' | 'put' | 'deleteRange' | 'txn'>): void;
  release(): void;
  /** Calls waiting right now. */
  readonly waiting: number;
}

export function holdingTransport(inner: Transport): HoldingTransport {
  const held = new Set<string>();
  let gate: { promise: Promise<void>; open: () => void } | undefined;
  let waiting = 0;
  const wait = (signal: AbortSignal | undefined): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(abortErrorOf(signal));
      waiting += 1;
      const onAbort = (): void => {
        waiting -= 1;
        reject(abortErrorOf(signal!));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      void gate!.promise.then(() => {
        signal?.removeEventListener('abort', onAbort);
        if (signal?.aborted) return;
        waiting -= 1;
        resolve();
      });
    });
  const wrap =
    <R>(method: string, call: (req: never, opts?: { signal?: AbortSignal | undefined }) => Promise<R>) =>
    async (req: never, opts?: { signal?: AbortSignal | undefined }): Promise<R> => {
      if (held.has(method) && gate) await wait(opts?.signal);
      return call(req, opts);
    };
  return {
    get name() {
      return inner.name;
    },
    get capabilities() {
      return inner.capabilities;
    },
    range: wrap('range', inner.range.bind(inner)),
    put: wrap('put', inner.put.bind(inner)),
    deleteRange: wrap('deleteRange', inner.deleteRange.bind(inner)),
    txn: wrap('txn', inner.txn.bind(inner)),
    compact: inner.compact.bind(inner),
    leaseGrant: inner.leaseGrant.bind(inner),
    leaseRevoke: inner.leaseRevoke.bind(inner),
    leaseTimeToLive: inner.leaseTimeToLive.bind(inner),
    openLeaseKeepAlive: inner.openLeaseKeepAlive.bind(inner),
    openWatch: inner.openWatch.bind(inner),
    memberList: inner.memberList.bind(inner),
    status: inner.status.bind(inner),
    authenticate: inner.authenticate.bind(inner),
    close: inner.close.bind(inner),
    hold(...methods) {
      for (const m of methods) held.add(m);
      if (!gate) {
        let open!: () => void;
        const promise = new Promise<void>((r) => (open = r));
        gate = { promise, open };
      }
    },
    release() {
      held.clear();
      gate?.open();
      gate = undefined;
    },
    get waiting() {
      return waiting;
    },
  };
}

/** The built-in adapter `transport` connects with, for decorating. */
export async function adapterFor(transport: TransportUnderTest, cluster: ClusterUnderTest): Promise<Transport> {
  const endpoints = await transport.endpointsFor(cluster);
  if (transport.name === 'grpc') return createGrpcTransport({ endpoints });
  if (transport.name === 'grpc-proxy') return createGrpcProxyTransport({ endpoints });
  return createHttpTransport({ endpoints });
}

/** A promise with its resolver. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** Whether `v` is a plain Uint8Array (not a Buffer or another subclass). */
export function isPlainBytes(v: unknown): boolean {
  return v instanceof Uint8Array && Object.getPrototypeOf(v) === Uint8Array.prototype;
}
