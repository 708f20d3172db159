/**
 * The grpc-proxy transport: Conclave's {@link Transport} to one or more
 * `etcd grpc-proxy` instances, built on the gRPC adapter (same wire API) with
 * the proxy's semantics handled:
 *
 * - **reads are linearizable**: the proxy answers serializable reads from a
 *   cache that can stay stale indefinitely, so `serializable` is never sent;
 * - **no progress requests** (the proxy ignores them): `capabilities.progressRequest` is false;
 * - **emulated `created` answers** (header revision = the watcher's start
 *   revision) are clamped so the core never believes in a future revision;
 * - **its own watch ids, creates answered out of order**: one watch create is in
 *   flight at a time, so each `created` answer is matched to its own create
 *   (see `watch-stream.ts`);
 * - **discovery**: proxies started with `--resolver-prefix` answer MemberList
 *   with every registered proxy; the transport adds them to its endpoints
 *   (checked at start and every `discoveryIntervalMs`) and fails over among
 *   them like the gRPC adapter does among members.
 *
 * The proxy's `--namespace` applies to KV, Watch and Lease, not to the
 * Lock/Election gRPC services — Conclave does not use those (its locks and
 * elections are KV recipes), and its own `namespace` option composes on top.
 *
 * @module
 */
import type {
  AuthenticateResponse,
  CallOptions,
  CompactRequest,
  DeleteRangeRequest,
  DeleteRangeResponse,
  LeaseGrantRequest,
  LeaseGrantResponse,
  LeaseKeepAliveResponse,
  LeaseKeepAliveStream,
  LeaseTimeToLiveResponse,
  MemberListResponse,
  PutRequest,
  PutResponse,
  RangeRequest,
  RangeResponse,
  ResponseHeader,
  Rev,
  StatusResponse,
  StreamHandlers,
  Transport,
  TransportCapabilities,
  TxnRequest,
  TxnResponse,
  WatchStream,
} from '../../src/transport/index.js';
import { InvalidArgumentError } from '../../src/errors.js';
import { createGrpcTransport, type GrpcTransport, type GrpcTransportOptions } from '../grpc/index.js';
import { addressOf, mergeEndpoints, proxiesOf } from './discovery.js';
import { linearizable, linearizableTxn } from './semantics.js';
import { serializedWatchStream } from './watch-stream.js';

/**
 * Options of {@link createGrpcProxyTransport}.
 *
 * @example
 * ```ts
 * const transport = createGrpcProxyTransport({ endpoints: ['127.0.0.1:23790'], discover: true, discoveryIntervalMs: 10_000 });
 * ```
 */
export interface GrpcProxyTransportOptions extends Omit<GrpcTransportOptions, 'name' | 'capabilities'> {
  /** Add the proxies MemberList names (`--resolver-prefix` groups). Default true. */
  discover?: boolean | undefined;
  /** How often the proxy list is refreshed (ms). Default 30000. */
  discoveryIntervalMs?: number | undefined;
  /**
   * A watch create the proxy has not answered after this long fails the watch
   * stream (the core reopens it) instead of hanging (ms). Default 10000; 0 = never.
   * etcd 3.4's proxy runs every watch of all its clients over ONE upstream watch
   * stream carrying the token of the client that opened it; once that token
   * expired, creates from anyone are never answered until that upstream stream
   * closes (when no watch through the proxy remains).
   */
  watchCreateTimeoutMs?: number | undefined;
}

const CAPABILITIES: TransportCapabilities = { progressRequest: false, staleSerializableReads: true };

/** One gRPC transport over a fixed endpoint list; replaced when discovery finds new proxies. */
interface Generation {
  readonly transport: GrpcTransport;
  readonly endpoints: readonly string[];
  /** Open streams and calls in flight on it. */
  users: number;
  retired: boolean;
}

class GrpcProxyTransportImpl implements Transport {
  readonly name = 'grpc-proxy';
  readonly capabilities = CAPABILITIES;
  private gen: Generation;
  private readonly retiring = new Set<Generation>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;
  private discovering: Promise<void> | undefined;
  /** Proxies found by the last discovery (`host:port`). */
  discovered: string[] = [];

  constructor(private readonly options: GrpcProxyTransportOptions) {
    if (options.discoveryIntervalMs !== undefined && !(options.discoveryIntervalMs > 0)) {
      throw new InvalidArgumentError('discoveryIntervalMs must be a positive number');
    }
    this.gen = this.generation(options.endpoints);
    if (options.discover !== false) this.schedule(0);
  }

  /** The endpoints of the channel in use. */
  get endpoints(): readonly string[] {
    return this.gen.endpoints;
  }

  private generation(endpoints: readonly string[]): Generation {
    const transport = createGrpcTransport({ ...this.options, endpoints: [...endpoints], name: this.name, capabilities: CAPABILITIES });
    return { transport, endpoints, users: 0, retired: false };
  }

  /** Refreshes the proxy list now; resolves when done (failures are ignored: the next round retries). */
  discover(): Promise<void> {
    this.discovering ??= (async () => {
      try {
        const found = proxiesOf(await this.use((t) => t.memberList({ signal: AbortSignal.timeout(this.options.dialTimeoutMs ?? 5000) })));
        if (this.closed || found.length === 0) return;
        this.discovered = found;
        const next = mergeEndpoints(this.options.endpoints, found, this.gen.transport.currentPeer || undefined);
        const same = next.length === this.gen.endpoints.length && next.every((ep) => this.gen.endpoints.some((e) => addressOf(e) === addressOf(ep)));
        if (same) return;
        const old = this.gen;
        this.gen = this.generation(next);
        old.retired = true;
        this.retiring.add(old);
        this.retireIfIdle(old);
      } catch {
        /* unreachable right now; keep the current list */
      } finally {
        this.discovering = undefined;
      }
    })();
    return this.discovering;
  }

  private schedule(ms: number): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.discover().finally(() => this.schedule(this.options.discoveryIntervalMs ?? 30_000));
    }, ms);
    (this.timer as { unref?: () => void }).unref?.();
  }

  private retireIfIdle(gen: Generation): void {
    if (!gen.retired || gen.users > 0) return;
    this.retiring.delete(gen);
    void gen.transport.close();
  }

  /** Runs a call on the current generation, keeping it open until the call settles. */
  private async use<T>(fn: (t: GrpcTransport) => Promise<T>): Promise<T> {
    const gen = this.gen;
    gen.users++;
    try {
      return await fn(gen.transport);
    } finally {
      gen.users--;
      this.retireIfIdle(gen);
    }
  }

  /** Holds the current generation open for a stream; returns the release. */
  private hold(): { gen: Generation; release: () => void } {
    const gen = this.gen;
    gen.users++;
    let released = false;
    return {
      gen,
      release: () => {
        if (released) return;
        released = true;
        gen.users--;
        this.retireIfIdle(gen);
      },
    };
  }

  range(request: RangeRequest, options?: CallOptions): Promise<RangeResponse> {
    return this.use((t) => t.range(linearizable(request), options));
  }

  put(request: PutRequest, options?: CallOptions): Promise<PutResponse> {
    return this.use((t) => t.put(request, options));
  }

  deleteRange(request: DeleteRangeRequest, options?: CallOptions): Promise<DeleteRangeResponse> {
    return this.use((t) => t.deleteRange(request, options));
  }

  txn(request: TxnRequest, options?: CallOptions): Promise<TxnResponse> {
    return this.use((t) => t.txn(linearizableTxn(request), options));
  }

  compact(request: CompactRequest, options?: CallOptions): Promise<{ header: ResponseHeader }> {
    return this.use((t) => t.compact(request, options));
  }

  leaseGrant(request: LeaseGrantRequest, options?: CallOptions): Promise<LeaseGrantResponse> {
    return this.use((t) => t.leaseGrant(request, options));
  }

  leaseRevoke(id: Rev, options?: CallOptions): Promise<{ header: ResponseHeader }> {
    return this.use((t) => t.leaseRevoke(id, options));
  }

  leaseTimeToLive(id: Rev, options?: CallOptions & { keys?: boolean }): Promise<LeaseTimeToLiveResponse> {
    return this.use((t) => t.leaseTimeToLive(id, options));
  }

  openLeaseKeepAlive(handlers: StreamHandlers<LeaseKeepAliveResponse>): LeaseKeepAliveStream {
    const { gen, release } = this.hold();
    const inner = gen.transport.openLeaseKeepAlive({
      onMessage: (m) => handlers.onMessage(m),
      onError: (e) => {
        release();
        handlers.onError(e);
      },
    });
    return {
      send: (id) => inner.send(id),
      close: () => {
        release();
        inner.close();
      },
    };
  }

  openWatch(handlers: StreamHandlers<ResponseHeader>): WatchStream {
    const { gen, release } = this.hold();
    return serializedWatchStream(
      (h) => gen.transport.openWatch(h),
      (request, options) => gen.transport.range(linearizable(request), options),
      handlers,
      this.options.watchCreateTimeoutMs ?? 10_000,
      release,
    );
  }

  memberList(options?: CallOptions): Promise<MemberListResponse> {
    return this.use((t) => t.memberList(options));
  }

  status(options?: CallOptions): Promise<StatusResponse> {
    return this.use((t) => t.status(options));
  }

  authenticate(name: string, password: string, options?: CallOptions): Promise<AuthenticateResponse> {
    return this.use((t) => t.authenticate(name, password, options));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const all = [this.gen, ...this.retiring];
    this.retiring.clear();
    await Promise.all(all.map((g) => g.transport.close()));
  }
}

/**
 * The grpc-proxy {@link Transport}, with its current endpoint list (configured + discovered).
 *
 * @example
 * ```ts
 * const transport = createGrpcProxyTransport({ endpoints: ['127.0.0.1:23790'] });
 * await transport.discover();
 * console.log(transport.endpoints); // the configured proxy, then the others of its group
 * ```
 */
export interface GrpcProxyTransport extends Transport {
  /** Endpoints of the channel in use (configured first, then discovered proxies). */
  readonly endpoints: readonly string[];
  /** Refreshes the proxy list now (also done at start and every `discoveryIntervalMs`). */
  discover(): Promise<void>;
}

/**
 * Creates a {@link Transport} that talks to `etcd grpc-proxy` instances (see
 * the module doc for the proxy semantics it handles). Options are the gRPC
 * adapter's, plus `discover` / `discoveryIntervalMs`.
 *
 * @example
 * ```ts
 * const t = createGrpcProxyTransport({ endpoints: ['127.0.0.1:23790'] });
 * const client = await connect({ transport: t, namespace: 'app/' });
 * ```
 */
export function createGrpcProxyTransport(options: GrpcProxyTransportOptions): GrpcProxyTransport {
  return new GrpcProxyTransportImpl(options);
}
