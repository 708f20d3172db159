/**
 * The direct-cluster gRPC transport: Conclave's {@link Transport} over etcd's
 * v3 gRPC API with `@grpc/grpc-js`.
 *
 * ```ts
 * const transport = createGrpcTransport({ endpoints: ['http://127.0.0.1:2379', 'http://127.0.0.1:22379'] });
 * const { kvs } = await transport.range({ key: new TextEncoder().encode('k') });
 * await transport.close();
 * ```
 *
 * One grpc-js channel (pick_first over every endpoint) carries all calls; see
 * `unary.ts` for which calls are retried on failover and which are not.
 *
 * @module
 */
import { Log } from '../../src/logger.js';
import type * as grpc from '@grpc/grpc-js';
import { EtcdError } from '../../src/errors.js';
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
  TransportOptions,
  TxnRequest,
  TxnResponse,
  WatchStream,
} from '../../src/transport/index.js';
import { revokeTolerantly } from '../shared/answers.js';
import { nonNegative } from '../shared/options.js';
import { isRetrySafe } from '../shared/retry-safety.js';
import { tokenManagerFor, type TokenManager } from '../shared/token-manager.js';
import type { BidiContext } from './bidi.js';
import { EtcdChannel } from './channel.js';
import * as req from '../shared/wire/requests.js';
import * as res from '../shared/wire/responses.js';
import { GrpcKeepAliveStream } from './keepalive-stream.js';
import { etcdMethods, type EtcdMethods } from './services.js';
import { UnaryCaller } from './unary.js';
import { GrpcWatchStream } from './watch-stream.js';

export { parseCancelReason } from '../../src/errors.js';

/**
 * Options of {@link createGrpcTransport}.
 *
 * @example
 * ```ts
 * const transport = createGrpcTransport({
 *   endpoints: ['10.0.0.1:2379', '10.0.0.2:2379'],
 *   callTimeoutMs: 5000,
 *   keepaliveTimeMs: 15_000,
 * });
 * const client = await connect({ transport });
 * ```
 */
export interface GrpcTransportOptions extends TransportOptions {
  /** The transport's name in logs and errors. Default `'grpc'`. */
  name?: string | undefined;
  /** Overrides of the advertised capabilities (a grpc-proxy flavour turns `progressRequest` off). */
  capabilities?: Partial<TransportCapabilities> | undefined;
  /** Budget of one unary call, connection waits and failover retries included (ms). Default 10000; 0 = none. */
  callTimeoutMs?: number | undefined;
  /** Interval of HTTP/2 keepalive pings (ms). Default 10000. */
  keepaliveTimeMs?: number | undefined;
  /** How long a ping may go unanswered before the connection is dropped (ms). Default 5000. */
  keepaliveTimeoutMs?: number | undefined;
  /**
   * Ping even while no call or stream is open. Default false: etcd's server
   * (`PermitWithoutStream: false`, `--grpc-keepalive-min-time` 5 s) answers
   * idle pings with GOAWAY `too_many_pings` after three of them, which drops
   * the connection and makes grpc-js log an error and back its pings off.
   * An idle dead connection is then noticed by the next call instead.
   */
  keepalivePermitWithoutCalls?: boolean | undefined;
  /** Connect to the endpoints in random order instead of the given order. Default false. */
  shuffleEndpoints?: boolean | undefined;
  /** Extra grpc-js channel options, applied over the adapter's. */
  channelOptions?: grpc.ChannelOptions | undefined;
}

/**
 * A gRPC {@link Transport} with a readiness check.
 *
 * @example
 * ```ts
 * const transport = createGrpcTransport({ endpoints: ['127.0.0.1:2379'] });
 * await transport.connect({ signal: AbortSignal.timeout(3000) }); // up, and authenticated when `auth` is set
 * console.log(transport.currentPeer);
 * ```
 */
export interface GrpcTransport extends Transport {
  /**
   * Waits until a connection is up (bounded by `dialTimeoutMs`) and, with
   * `auth`, a token is held. Rejects with `ConnectionError` / `AuthError`.
   */
  connect(options?: CallOptions): Promise<void>;
  /**
   * Debugging aid: `host:port` of the member that answered the latest unary
   * call ('' before any). A non-enumerable getter.
   */
  readonly currentPeer: string;
}

const DEFAULT_CAPABILITIES: TransportCapabilities = { progressRequest: true, staleSerializableReads: false };

class GrpcTransportImpl implements GrpcTransport {
  readonly name: string;
  readonly capabilities: TransportCapabilities;
  private readonly channel: EtcdChannel;
  private readonly unary: UnaryCaller;
  private readonly tokens: TokenManager | undefined;
  private readonly methods: EtcdMethods;
  private readonly dialTimeoutMs: number;
  private readonly streams = new Set<{ close(): void }>();

  constructor(options: GrpcTransportOptions) {
    this.name = options.name ?? 'grpc';
    this.capabilities = { ...DEFAULT_CAPABILITIES, ...options.capabilities };
    this.dialTimeoutMs = nonNegative(options.dialTimeoutMs, 5000, 'dialTimeoutMs');
    this.methods = etcdMethods();
    this.channel = new EtcdChannel({
      endpoints: options.endpoints,
      tls: options.tls,
      keepaliveTimeMs: nonNegative(options.keepaliveTimeMs, 10_000, 'keepaliveTimeMs'),
      keepaliveTimeoutMs: nonNegative(options.keepaliveTimeoutMs, 5_000, 'keepaliveTimeoutMs'),
      keepalivePermitWithoutCalls: options.keepalivePermitWithoutCalls === true,
      shuffleEndpoints: options.shuffleEndpoints === true,
      channelOptions: options.channelOptions,
    });
    this.unary = new UnaryCaller(this.channel, {
      dialTimeoutMs: this.dialTimeoutMs,
      callTimeoutMs: nonNegative(options.callTimeoutMs, 10_000, 'callTimeoutMs'),
    });
    this.unary.log = new Log(options.logger);
    this.tokens = tokenManagerFor(options.auth, (name, password) => this.authenticate(name, password));
    this.unary.tokens = this.tokens;
  }

  get currentPeer(): string {
    return this.channel.lastPeer;
  }

  private get bidi(): BidiContext {
    return { channel: this.channel, tokens: this.tokens, dialTimeoutMs: this.dialTimeoutMs };
  }

  async connect(options?: CallOptions): Promise<void> {
    const client = await this.channel.getClient();
    await this.channel.waitReady(client, Date.now() + this.dialTimeoutMs, options?.signal, this.dialTimeoutMs);
    if (this.tokens) await this.tokens.get(options?.signal);
  }

  async range(request: RangeRequest, options?: CallOptions): Promise<RangeResponse> {
    const answer = await this.unary.call(this.methods.range, req.rangeRequest(request), {
      idempotent: isRetrySafe('range'),
      signal: options?.signal,
    });
    return res.rangeResponse(answer);
  }

  async put(request: PutRequest, options?: CallOptions): Promise<PutResponse> {
    const answer = await this.unary.call(this.methods.put, req.putRequest(request), { idempotent: isRetrySafe('put'), signal: options?.signal });
    return res.putResponse(answer);
  }

  async deleteRange(request: DeleteRangeRequest, options?: CallOptions): Promise<DeleteRangeResponse> {
    const answer = await this.unary.call(this.methods.deleteRange, req.deleteRangeRequest(request), {
      idempotent: isRetrySafe('deleteRange'),
      signal: options?.signal,
    });
    return res.deleteRangeResponse(answer);
  }

  async txn(request: TxnRequest, options?: CallOptions): Promise<TxnResponse> {
    const answer = await this.unary.call(this.methods.txn, req.txnRequest(request), {
      idempotent: isRetrySafe('txn', request),
      signal: options?.signal,
    });
    return res.txnResponse(answer);
  }

  async compact(request: CompactRequest, options?: CallOptions): Promise<{ header: ResponseHeader }> {
    const message = req.compactionRequest(request);
    const answer = await this.unary.call(this.methods.compact, message, { idempotent: isRetrySafe('compact'), signal: options?.signal });
    return res.headerOnly(answer);
  }

  async leaseGrant(request: LeaseGrantRequest, options?: CallOptions): Promise<LeaseGrantResponse> {
    const message = req.leaseGrantRequest(request);
    const answer = await this.unary.call(this.methods.leaseGrant, message, { idempotent: isRetrySafe('leaseGrant'), signal: options?.signal });
    if (answer.error) throw new EtcdError(answer.error, 2);
    return res.leaseGrantResponse(answer);
  }

  /** Resolves also when etcd no longer knows the lease ("requested lease not found"); the header is then all zero. */
  leaseRevoke(id: Rev, options?: CallOptions): Promise<{ header: ResponseHeader }> {
    const policy = { idempotent: isRetrySafe('leaseRevoke'), signal: options?.signal };
    return revokeTolerantly(async () => res.headerOnly(await this.unary.call(this.methods.leaseRevoke, req.leaseRevokeRequest(id), policy)));
  }

  async leaseTimeToLive(id: Rev, options?: CallOptions & { keys?: boolean }): Promise<LeaseTimeToLiveResponse> {
    const message = req.leaseTimeToLiveRequest(id, options?.keys === true);
    const answer = await this.unary.call(this.methods.leaseTimeToLive, message, { idempotent: isRetrySafe('leaseTimeToLive'), signal: options?.signal });
    return res.leaseTimeToLiveResponse(answer);
  }

  openLeaseKeepAlive(handlers: StreamHandlers<LeaseKeepAliveResponse>): LeaseKeepAliveStream {
    const stream = new GrpcKeepAliveStream(this.bidi, this.methods.leaseKeepAlive, handlers, (s) => this.streams.delete(s));
    if (this.channel.isClosed) stream.close();
    else {
      this.streams.add(stream);
      stream.start();
    }
    return stream;
  }

  openWatch(handlers: StreamHandlers<ResponseHeader>): WatchStream {
    const stream = new GrpcWatchStream(this.bidi, this.methods.watch, handlers, (s) => this.streams.delete(s));
    if (this.channel.isClosed) stream.close();
    else this.streams.add(stream);
    return stream;
  }

  async memberList(options?: CallOptions): Promise<MemberListResponse> {
    const answer = await this.unary.call(this.methods.memberList, req.memberListRequest(), { idempotent: isRetrySafe('memberList'), signal: options?.signal });
    return res.memberListResponse(answer);
  }

  async status(options?: CallOptions): Promise<StatusResponse> {
    const answer = await this.unary.call(this.methods.status, req.statusRequest(), { idempotent: isRetrySafe('status'), signal: options?.signal });
    return res.statusResponse(answer);
  }

  async authenticate(name: string, password: string, options?: CallOptions): Promise<AuthenticateResponse> {
    const answer = await this.unary.call(this.methods.authenticate, req.authenticateRequest(name, password), {
      idempotent: isRetrySafe('authenticate'),
      useToken: false,
      signal: options?.signal,
    });
    return { header: res.header(answer.header), token: answer.token };
  }

  close(): Promise<void> {
    for (const s of [...this.streams]) s.close();
    this.streams.clear();
    this.channel.close();
    return Promise.resolve();
  }
}

/**
 * Creates a {@link Transport} that talks to etcd members directly over gRPC.
 *
 * - `endpoints`: `host:port`, `http://host:port` or `https://host:port`; host
 *   names are resolved once (`dns.lookup`). All go into one grpc-js channel
 *   with `pick_first`: the first reachable endpoint is used until it fails,
 *   then the next.
 * - `tls`: TLS with the given CA / client certificate (`https://` without
 *   `tls` uses the system roots; plain endpoints without `tls` are insecure).
 * - `auth`: authenticates lazily (before the first call) and sends the token
 *   with every call; an expired token is refreshed once, transparently.
 * - `dialTimeoutMs` (5000) bounds every wait for a connection: an unreachable
 *   cluster fails with a retryable `ConnectionError` within it.
 * - `callTimeoutMs` (10000) bounds a unary call including failover retries.
 *
 * Failover: idempotent calls (range, read-only txn, leaseTimeToLive,
 * leaseRevoke, memberList, status, authenticate) broken by a connection
 * failure are re-sent on the next live member until their budget ends; writes
 * are re-sent only if they provably never left the process, else they reject
 * with a retryable `ConnectionError` (never silently duplicated).
 *
 * @throws InvalidArgumentError for malformed endpoints or TLS options.
 *
 * @example
 * ```ts
 * const transport = createGrpcTransport({ endpoints: ['127.0.0.1:2379'], auth: { username: 'app', password: 'secret' } });
 * const client = await connect({ transport }); // the same as connect({ transport: 'grpc', ... })
 * ```
 */
export function createGrpcTransport(options: GrpcTransportOptions): GrpcTransport {
  return new GrpcTransportImpl(options);
}
