/**
 * The HTTP transport: Conclave's {@link Transport} over etcd's JSON gateway
 * (`POST /v3/...`), for runtimes without gRPC — browsers, edge runtimes,
 * Deno, Bun, Node. It only needs `fetch`, `TextEncoder`/`TextDecoder`,
 * `AbortController` and streaming response bodies: no Node import.
 *
 * ```ts
 * const transport = createHttpTransport({ endpoints: ['http://127.0.0.1:2379'] });
 * const client = await connect({ transport });
 * ```
 *
 * What differs from gRPC (and how the adapter copes):
 * - every watcher is its own streaming POST (HTTP/1.1 cannot stream both
 *   ways), so there are no progress requests (`capabilities.progressRequest`
 *   is false) and a lost connection of any watcher reopens them all;
 * - each lease refresh is one POST;
 * - the auth token travels in the `Authorization` header (raw, no "Bearer");
 * - TLS is the platform's: browsers use their own trust store and client
 *   certificates. In Node, `connect({ transport: 'http', tls })` injects an
 *   undici-based `fetch` that applies `tls` (see `node-tls.ts`); when calling
 *   this factory directly with `tls`, pass that `fetch` yourself.
 *
 * @module
 */
import { Log } from '../../src/logger.js';
import { parseEndpoint } from '../../src/endpoints.js';
import { EtcdError, InvalidArgumentError } from '../../src/errors.js';
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
import { tokenManagerFor } from '../shared/token-manager.js';
import type { DescMessage, MessageShape } from '@bufbuild/protobuf';
import * as pb from '../shared/gen/etcdserverpb/rpc_pb.js';
import * as req from '../shared/wire/requests.js';
import * as res from '../shared/wire/responses.js';
import { fromGateway, toGateway } from './codec.js';
import { Gateway, type FetchFunction } from './gateway.js';
import { HttpKeepAliveStream } from './keepalive-stream.js';
import { HttpWatchStream, type LivenessOptions } from './watch-stream.js';

export { parseCancelReason } from '../../src/errors.js';

/**
 * Options of {@link createHttpTransport}.
 *
 * @example
 * ```ts
 * const transport = createHttpTransport({ endpoints: ['http://127.0.0.1:2379'], callTimeoutMs: 5000, watchLivenessIntervalMs: 3000 });
 * const client = await connect({ transport });
 * ```
 */
export interface HttpTransportOptions extends TransportOptions {
  /**
   * The `fetch` to use. Default: the global one. In Node, a `fetch` bound to an
   * undici `Agent` carries TLS options (`connect()` builds one when `tls` is given).
   */
  fetch?: FetchFunction | undefined;
  /** Extra `RequestInit` members for every request (e.g. `{ dispatcher }` for undici). */
  fetchInit?: Record<string, unknown> | undefined;
  /** Called once by `close()`, after every request was aborted (e.g. to close an undici Agent). */
  onClose?: (() => void | Promise<void>) | undefined;
  /** The transport's name in logs and errors. Default `'http'`. */
  name?: string | undefined;
  /**
   * Node: called when the first call to an endpoint gets no answer for a moment; resolves with the
   * reason the endpoint cannot work (it speaks TLS to a plain request, it requires a client
   * certificate) so that connecting fails at once with it. `connect()` passes one in Node.
   */
  diagnose?: ((baseUrl: string) => Promise<Error | undefined>) | undefined;
  /** Budget of one unary call, failover retries included (ms). Default 10000; 0 = none. */
  callTimeoutMs?: number | undefined;
  /**
   * A watch stream quiet for this long pings the members its watchers talk to
   * (ms). Default 5000; 0 = never (a frozen member then goes unnoticed).
   */
  watchLivenessIntervalMs?: number | undefined;
  /** How long such a ping may take before the stream is failed (ms). Default 3000. */
  watchLivenessTimeoutMs?: number | undefined;
}

const CAPABILITIES: TransportCapabilities = { progressRequest: false, staleSerializableReads: false };

/** The base URLs of the endpoints: the endpoint's scheme, else https with `tls`, else http. */
function baseUrls(endpoints: readonly string[], secure: boolean): string[] {
  if (!Array.isArray(endpoints) || endpoints.length === 0) throw new InvalidArgumentError('endpoints must be a non-empty array of strings');
  return endpoints.map((text) => {
    const ep = parseEndpoint(text);
    const host = ep.host.includes(':') ? `[${ep.host}]` : ep.host;
    return `${ep.scheme ?? (secure ? 'https' : 'http')}://${host}:${ep.port}`;
  });
}

class HttpTransportImpl implements Transport {
  readonly name: string;
  readonly capabilities: TransportCapabilities = CAPABILITIES;
  private readonly gateway: Gateway;
  private readonly streams = new Set<{ close(): void }>();
  private readonly callTimeoutMs: number;
  private readonly liveness: LivenessOptions;
  private closing: Promise<void> | undefined;

  constructor(private readonly options: HttpTransportOptions) {
    this.name = options.name ?? 'http';
    const tls = options.tls;
    const needsTlsFetch =
      tls !== undefined && (tls.ca !== undefined || tls.cert !== undefined || tls.key !== undefined || tls.insecureSkipVerify === true || tls.serverName !== undefined);
    if (needsTlsFetch && !options.fetch && !options.fetchInit) {
      throw new InvalidArgumentError(
        'the http transport applies tls.ca/cert/key through its fetch: pass a fetch that uses them (connect() does so in Node), or omit them where the platform does TLS (browsers)',
      );
    }
    const fetchFn = options.fetch ?? (globalThis.fetch ? (input: string, init: RequestInit) => globalThis.fetch(input, init) : undefined);
    if (!fetchFn) throw new InvalidArgumentError('no fetch available: pass options.fetch');
    this.callTimeoutMs = nonNegative(options.callTimeoutMs, 10_000, 'callTimeoutMs');
    this.liveness = {
      intervalMs: nonNegative(options.watchLivenessIntervalMs, 5000, 'watchLivenessIntervalMs'),
      timeoutMs: nonNegative(options.watchLivenessTimeoutMs, 3000, 'watchLivenessTimeoutMs'),
    };
    this.gateway = new Gateway({
      urls: baseUrls(options.endpoints, tls !== undefined),
      fetch: fetchFn,
      fetchInit: options.fetchInit,
      dialTimeoutMs: nonNegative(options.dialTimeoutMs, 5000, 'dialTimeoutMs'),
      callTimeoutMs: this.callTimeoutMs,
      diagnose: options.diagnose,
    });
    this.gateway.log = new Log(options.logger);
    this.gateway.tokens = tokenManagerFor(options.auth, (name, password) => this.authenticate(name, password));
  }

  /** POSTs `request` (as the gateway's JSON) to `path` and decodes the answer as `answer`. */
  private async call<I extends DescMessage, O extends DescMessage>(
    path: string,
    input: I,
    request: MessageShape<I>,
    answer: O,
    idempotent: boolean,
    options: CallOptions | undefined,
  ): Promise<MessageShape<O>> {
    return fromGateway(answer, await this.gateway.call(path, toGateway(input, request), { idempotent, signal: options?.signal }));
  }

  async range(request: RangeRequest, options?: CallOptions): Promise<RangeResponse> {
    const message = req.rangeRequest(request);
    return res.rangeResponse(await this.call('/kv/range', pb.RangeRequestSchema, message, pb.RangeResponseSchema, isRetrySafe('range'), options));
  }

  async put(request: PutRequest, options?: CallOptions): Promise<PutResponse> {
    return res.putResponse(await this.call('/kv/put', pb.PutRequestSchema, req.putRequest(request), pb.PutResponseSchema, isRetrySafe('put'), options));
  }

  async deleteRange(request: DeleteRangeRequest, options?: CallOptions): Promise<DeleteRangeResponse> {
    const message = req.deleteRangeRequest(request);
    const answer = await this.call('/kv/deleterange', pb.DeleteRangeRequestSchema, message, pb.DeleteRangeResponseSchema, isRetrySafe('deleteRange'), options);
    return res.deleteRangeResponse(answer);
  }

  async txn(request: TxnRequest, options?: CallOptions): Promise<TxnResponse> {
    const message = req.txnRequest(request);
    return res.txnResponse(await this.call('/kv/txn', pb.TxnRequestSchema, message, pb.TxnResponseSchema, isRetrySafe('txn', request), options));
  }

  async compact(request: CompactRequest, options?: CallOptions): Promise<{ header: ResponseHeader }> {
    const message = req.compactionRequest(request);
    return res.headerOnly(await this.call('/kv/compaction', pb.CompactionRequestSchema, message, pb.CompactionResponseSchema, isRetrySafe('compact'), options));
  }

  async leaseGrant(request: LeaseGrantRequest, options?: CallOptions): Promise<LeaseGrantResponse> {
    const message = req.leaseGrantRequest(request);
    const answer = await this.call('/lease/grant', pb.LeaseGrantRequestSchema, message, pb.LeaseGrantResponseSchema, isRetrySafe('leaseGrant'), options);
    if (answer.error !== '') throw new EtcdError(answer.error, 2);
    return res.leaseGrantResponse(answer);
  }

  /** Resolves also when etcd no longer knows the lease; the header is then all zero. (`/kv/lease/revoke` is served by etcd 3.3 to 3.5.) */
  leaseRevoke(id: Rev, options?: CallOptions): Promise<{ header: ResponseHeader }> {
    const message = req.leaseRevokeRequest(id);
    return revokeTolerantly(async () =>
      res.headerOnly(await this.call('/kv/lease/revoke', pb.LeaseRevokeRequestSchema, message, pb.LeaseRevokeResponseSchema, isRetrySafe('leaseRevoke'), options)),
    );
  }

  async leaseTimeToLive(id: Rev, options?: CallOptions & { keys?: boolean }): Promise<LeaseTimeToLiveResponse> {
    const message = req.leaseTimeToLiveRequest(id, options?.keys === true);
    const answer = await this.call('/kv/lease/timetolive', pb.LeaseTimeToLiveRequestSchema, message, pb.LeaseTimeToLiveResponseSchema, isRetrySafe('leaseTimeToLive'), options);
    return res.leaseTimeToLiveResponse(answer);
  }

  openLeaseKeepAlive(handlers: StreamHandlers<LeaseKeepAliveResponse>): LeaseKeepAliveStream {
    const timeout = this.callTimeoutMs > 0 ? this.callTimeoutMs : 10_000;
    const stream = new HttpKeepAliveStream(this.gateway, handlers, timeout, (s) => this.streams.delete(s));
    if (this.gateway.closed) stream.close();
    else this.streams.add(stream);
    return stream;
  }

  openWatch(handlers: StreamHandlers<ResponseHeader>): WatchStream {
    const stream = new HttpWatchStream(this.gateway, handlers, this.liveness, (s) => this.streams.delete(s));
    if (this.gateway.closed) stream.close();
    else this.streams.add(stream);
    return stream;
  }

  async memberList(options?: CallOptions): Promise<MemberListResponse> {
    const message = req.memberListRequest();
    return res.memberListResponse(await this.call('/cluster/member/list', pb.MemberListRequestSchema, message, pb.MemberListResponseSchema, isRetrySafe('memberList'), options));
  }

  async status(options?: CallOptions): Promise<StatusResponse> {
    return res.statusResponse(await this.call('/maintenance/status', pb.StatusRequestSchema, req.statusRequest(), pb.StatusResponseSchema, isRetrySafe('status'), options));
  }

  async authenticate(name: string, password: string, options?: CallOptions): Promise<AuthenticateResponse> {
    const body = toGateway(pb.AuthenticateRequestSchema, req.authenticateRequest(name, password));
    const json = await this.gateway.call('/auth/authenticate', body, { idempotent: isRetrySafe('authenticate'), useToken: false, signal: options?.signal });
    const answer = fromGateway(pb.AuthenticateResponseSchema, json);
    return { header: res.header(answer.header), token: answer.token };
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const s of [...this.streams]) s.close();
      this.streams.clear();
      this.gateway.close();
      await this.options.onClose?.();
    })();
    return this.closing;
  }
}

/**
 * Creates a {@link Transport} over etcd's JSON gateway with `fetch`.
 *
 * - `endpoints`: `http(s)://host:port` or `host:port` (https when `tls` is
 *   given, else http). Calls go to one endpoint until it fails, then the next.
 * - Unary calls: idempotent ones are retried on the next endpoint after a
 *   connection failure; writes only when they provably never reached a
 *   server (connection refused, TLS failure: Node reports those), else they
 *   reject with a retryable `ConnectionError` (outcome unknown).
 * - `auth`: `POST /v3/auth/authenticate` lazily; the token goes in the
 *   `Authorization` header and is refreshed once on "invalid auth token".
 * - `/v3` is tried first; a plain 404 switches that endpoint to `/v3beta`.
 * - `close()` aborts every request in flight; nothing keeps running.
 *
 * @example
 * ```ts
 * const t = createHttpTransport({ endpoints: ['http://127.0.0.1:2379'] });
 * await t.put({ key: new TextEncoder().encode('k'), value: new TextEncoder().encode('v') });
 * await t.close();
 * ```
 * @throws InvalidArgumentError for malformed endpoints, or `tls` material without a `fetch` that applies it.
 */
export function createHttpTransport(options: HttpTransportOptions): Transport {
  return new HttpTransportImpl(options);
}
