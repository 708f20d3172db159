/**
 * The HTTP {@link WatchStream}: one streaming `POST /v3/watch` per watcher.
 *
 * HTTP/1.1 cannot stream both ways (etcd's gateway answers nothing until the
 * request body is complete), so each watcher sends its `create_request` as the
 * whole body and then reads newline-delimited `{"result": ...}` objects from
 * the answer. Cancelling a watcher aborts its request (the gateway then
 * cancels the server watcher); there are no progress requests.
 *
 * Failure mapping:
 * - a watcher's POST failing with a network error, or its answer ending,
 *   fails the WHOLE stream (`onError`): every other watcher's POST is
 *   aborted and the core reopens all of them from their last revision, so
 *   one rule covers "the member went away";
 * - `{"error": {...}}` frames fail the stream the same way, mapped by
 *   `errorFromStatus`;
 * - a canceled result with `compact_revision` cancels that watcher with
 *   `CompactedError`; with a `cancel_reason` (permission denied) with the
 *   mapped `AuthError`;
 * - a create refused for an invalid or expired token ("code = Unauthenticated")
 *   invalidates the token and fails the stream: the core reopens and the
 *   next POSTs carry a fresh token.
 *
 * Liveness: without progress requests the core cannot tell a quiet watch
 * from a dead connection (a frozen or unplugged member keeps the socket
 * open). So while watchers are open and nothing arrived for
 * `livenessIntervalMs`, the stream pings each member its watchers talk to
 * (`POST /maintenance/status`, bounded by `livenessTimeoutMs`); a member that
 * does not answer fails the stream.
 *
 * @module
 * @internal
 */
import { ClosedError, ConclaveError, ConnectionError } from '../../src/errors.js';
import type {
  ResponseHeader,
  StreamHandlers,
  WatchCancel,
  WatchCreateRequest,
  WatcherHandle,
  WatcherListener,
  WatchStream,
} from '../../src/transport/index.js';
import { WatchRequestSchema } from '../shared/gen/etcdserverpb/rpc_pb.js';
import { watchCreate } from '../shared/wire/requests.js';
import { decodeWatchResult, toGateway, type Json, type WatchResult } from './codec.js';
import { isTokenError, watchCancelOf } from '../shared/answers.js';
import { callIsolated } from '../shared/handlers.js';
import { errorOfBody } from './errors.js';
import type { Gateway, OpenStream } from './gateway.js';
import { readJsonLines } from './ndjson.js';

interface Watcher {
  readonly request: WatchCreateRequest;
  readonly listener: WatcherListener;
  readonly controller: AbortController;
  /** Cancelled by the caller, by the server, or the stream ended: no more listener calls. */
  done: boolean;
  /** Index of the endpoint its POST went to, once open. */
  endpoint: number | undefined;
}

/** Liveness checks of a stream (ms). */
export interface LivenessOptions {
  intervalMs: number;
  timeoutMs: number;
}

/** The {@link WatchCancel} a canceled result describes. */
function cancelOf(r: WatchResult): WatchCancel {
  return watchCancelOf(r.compactRevision, r.cancelReason);
}

function asObject(value: unknown): Json | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : undefined;
}

/** {@link WatchStream} over one POST per watcher. */
export class HttpWatchStream implements WatchStream {
  private ended = false;
  private readonly watchers = new Set<Watcher>();
  private lastHeardAt = performance.now();
  private livenessTimer: ReturnType<typeof setInterval> | undefined;
  private pinging = false;

  constructor(
    private readonly gateway: Gateway,
    private readonly handlers: StreamHandlers<ResponseHeader>,
    private readonly liveness: LivenessOptions,
    private readonly onEnded: (stream: HttpWatchStream) => void,
  ) {}

  watch(request: WatchCreateRequest, listener: WatcherListener): WatcherHandle {
    const watcher: Watcher = { request, listener, controller: new AbortController(), done: this.ended, endpoint: undefined };
    if (this.ended) return { cancel: () => undefined };
    this.watchers.add(watcher);
    this.startLiveness();
    void this.run(watcher);
    return { cancel: () => this.cancelWatcher(watcher) };
  }

  /** The gateway has no progress requests over HTTP/1.1 (one request per watcher, no client stream). */
  requestProgress(): boolean {
    return false;
  }

  close(): void {
    this.end(undefined);
  }

  /** Watchers with an open (or opening) POST; for tests. */
  get size(): number {
    return this.watchers.size;
  }

  private cancelWatcher(w: Watcher): void {
    if (w.done) return;
    w.done = true;
    this.watchers.delete(w);
    w.controller.abort(new ClosedError('watcher cancelled'));
  }

  private async run(w: Watcher): Promise<void> {
    let open: OpenStream;
    try {
      open = await this.gateway.stream('/watch', toGateway(WatchRequestSchema, watchCreate(w.request)), w.controller.signal);
    } catch (err) {
      if (w.done || this.ended) return;
      this.end(err instanceof Error ? err : new ConnectionError(String(err)));
      return;
    }
    try {
      if (w.done || this.ended) {
        open.abort();
        return;
      }
      w.endpoint = open.endpoint;
      this.lastHeardAt = performance.now();
      const body = open.response.body;
      if (!body) throw new Error('the watch answer has no body');
      await readJsonLines(body, (msg) => this.onMessage(w, open, msg));
      if (w.done || this.ended) return;
      this.gateway.markBroken(open.endpoint);
      this.end(new ConnectionError(`etcd ended the watch at ${open.url}`));
    } catch (err) {
      if (w.done || this.ended) return;
      this.gateway.markBroken(open.endpoint);
      this.end(
        err instanceof ConclaveError ? err : new ConnectionError(`the watch at ${open.url} broke off: ${err instanceof Error ? err.message : String(err)}`, { cause: err }),
      );
    } finally {
      open.abort();
      open.release();
    }
  }

  /** Handles one streamed object; returns false to stop reading. */
  private onMessage(w: Watcher, open: OpenStream, msg: unknown): boolean {
    if (w.done || this.ended) return false;
    this.lastHeardAt = performance.now();
    const m = asObject(msg) ?? {};
    if (m['error'] !== undefined) {
      const error = errorOfBody(m) ?? new ConnectionError('etcd sent an error frame on the watch');
      this.gateway.tokens?.invalidateIfRefused(error, open.token);
      this.end(error);
      return false;
    }
    // grpc-gateway wraps each streamed message: {"result": {...}} (or {"error": {...}} above).
    const result = asObject(m['result']);
    if (!result) return true;
    const r = decodeWatchResult(result);
    if (r.canceled) {
      const cancel = cancelOf(r);
      if (isTokenError(cancel.error)) {
        this.gateway.tokens?.invalidateIfRefused(cancel.error, open.token);
        this.end(cancel.error);
        return false;
      }
      if (r.created) callIsolated(() => w.listener.onCreated(r.header));
      if (w.done || this.ended) return false;
      w.done = true;
      this.watchers.delete(w);
      callIsolated(() => w.listener.onCanceled(cancel));
      return false;
    }
    if (r.created) {
      callIsolated(() => w.listener.onCreated(r.header));
      if (r.events.length > 0 && !w.done && !this.ended) callIsolated(() => w.listener.onEvents(r.events, r.header));
      return true;
    }
    if (r.events.length > 0) callIsolated(() => w.listener.onEvents(r.events, r.header));
    else callIsolated(() => w.listener.onProgress(r.header));
    return true;
  }

  private startLiveness(): void {
    if (this.livenessTimer || this.liveness.intervalMs <= 0) return;
    this.livenessTimer = setInterval(() => void this.checkLiveness(), Math.max(50, this.liveness.intervalMs / 2));
    (this.livenessTimer as { unref?: () => void }).unref?.();
  }

  /** Pings the members the watchers talk to when the stream has been quiet for a while. */
  private async checkLiveness(): Promise<void> {
    if (this.ended || this.pinging || this.watchers.size === 0) return;
    if (performance.now() - this.lastHeardAt < this.liveness.intervalMs) return;
    const endpoints = new Set<number>();
    for (const w of this.watchers) if (w.endpoint !== undefined) endpoints.add(w.endpoint);
    if (endpoints.size === 0) return;
    this.pinging = true;
    try {
      for (const index of endpoints) {
        try {
          await this.gateway.ping(index, this.liveness.timeoutMs);
        } catch (err) {
          if (this.ended || this.gateway.closed) return;
          this.gateway.markBroken(index);
          this.end(new ConnectionError(`the watch connection went silent: ${this.gateway.urlOf(index)} did not answer a ping`, { cause: err }));
          return;
        }
      }
      this.lastHeardAt = performance.now();
    } finally {
      this.pinging = false;
    }
  }

  /** Ends the stream: aborts every watcher's POST; reports `error` unless the caller closed it. */
  private end(error: Error | undefined): void {
    if (this.ended) return;
    this.ended = true;
    if (this.livenessTimer) clearInterval(this.livenessTimer);
    this.livenessTimer = undefined;
    for (const w of this.watchers) {
      w.done = true;
      w.controller.abort(new ClosedError('watch stream ended'));
    }
    this.watchers.clear();
    this.onEnded(this);
    if (error) callIsolated(() => this.handlers.onError(error));
  }
}
