/**
 * The HTTP {@link LeaseKeepAliveStream}: one `POST /v3/lease/keepalive` per
 * `send(id)`, whose single `{"result": {ID, TTL}}` goes to `onMessage` (`TTL`
 * omitted = 0: the lease is gone). At most one request per lease is in
 * flight; a refresh asked for while one is pending is dropped (the lease hub
 * repeats unanswered refreshes). A request that fails on the network, gets
 * no answer within the call budget, or ends without a result fails the
 * stream (`onError`): the core reopens it and refreshes every lease at once.
 *
 * @module
 * @internal
 */
import { ClosedError, ConclaveError, ConnectionError } from '../../src/errors.js';
import type { LeaseKeepAliveResponse, LeaseKeepAliveStream, Rev, StreamHandlers } from '../../src/transport/index.js';
import { LeaseKeepAliveRequestSchema, LeaseKeepAliveResponseSchema } from '../shared/gen/etcdserverpb/rpc_pb.js';
import { leaseKeepAliveRequest } from '../shared/wire/requests.js';
import { leaseKeepAliveResponse } from '../shared/wire/responses.js';
import { fromGateway, toGateway, type Json } from './codec.js';
import { callIsolated } from '../shared/handlers.js';
import { errorOfBody } from './errors.js';
import type { Gateway, OpenStream } from './gateway.js';
import { readJsonLines } from './ndjson.js';

/** {@link LeaseKeepAliveStream} over one POST per refresh. */
export class HttpKeepAliveStream implements LeaseKeepAliveStream {
  private ended = false;
  private readonly inflight = new Map<Rev, AbortController>();

  constructor(
    private readonly gateway: Gateway,
    private readonly handlers: StreamHandlers<LeaseKeepAliveResponse>,
    private readonly timeoutMs: number,
    private readonly onEnded: (stream: HttpKeepAliveStream) => void,
  ) {}

  send(id: Rev): void {
    if (this.ended || this.inflight.has(id)) return;
    const controller = new AbortController();
    this.inflight.set(id, controller);
    void this.refresh(id, controller).finally(() => {
      if (this.inflight.get(id) === controller) this.inflight.delete(id);
    });
  }

  close(): void {
    this.end(undefined);
  }

  private async refresh(id: Rev, controller: AbortController): Promise<void> {
    const timer = setTimeout(
      () => controller.abort(new ConnectionError(`no keep-alive answer within ${this.timeoutMs} ms`)),
      this.timeoutMs,
    );
    let open: OpenStream | undefined;
    let answered = false;
    try {
      open = await this.gateway.stream('/lease/keepalive', toGateway(LeaseKeepAliveRequestSchema, leaseKeepAliveRequest(id)), controller.signal);
      const body = open.response.body;
      if (!body) throw new ConnectionError('the keep-alive answer has no body');
      let answer: LeaseKeepAliveResponse | undefined;
      let failure: ConclaveError | undefined;
      await readJsonLines(body, (msg) => {
        const m = (msg ?? {}) as Json;
        if (m['error'] !== undefined) {
          failure = errorOfBody(m) ?? new ConnectionError('etcd sent an error frame on the keep-alive');
          return false;
        }
        // grpc-gateway wraps each streamed message: {"result": {...}}.
        const result = m['result'];
        if (result === null || typeof result !== 'object') return true;
        answer = leaseKeepAliveResponse(fromGateway(LeaseKeepAliveResponseSchema, result));
        return false;
      });
      if (this.ended || controller.signal.aborted) return;
      if (failure) {
        answered = true;
        this.gateway.tokens?.invalidateIfRefused(failure, open.token);
        throw failure;
      }
      if (!answer) throw new ConnectionError(`etcd ended the keep-alive at ${open.url} without an answer`);
      const decoded = answer;
      callIsolated(() => this.handlers.onMessage(decoded));
    } catch (err) {
      if (this.ended) return;
      const reason: unknown = controller.signal.aborted ? controller.signal.reason : err;
      if (reason instanceof ClosedError) return;
      if (open && !answered) this.gateway.markBroken(open.endpoint);
      this.end(reason instanceof Error ? reason : new ConnectionError(String(reason), { cause: reason }));
    } finally {
      clearTimeout(timer);
      open?.abort();
      open?.release();
    }
  }

  private end(error: Error | undefined): void {
    if (this.ended) return;
    this.ended = true;
    for (const c of this.inflight.values()) c.abort(new ClosedError('keep-alive stream ended'));
    this.inflight.clear();
    this.onEnded(this);
    if (error) callIsolated(() => this.handlers.onError(error));
  }
}
