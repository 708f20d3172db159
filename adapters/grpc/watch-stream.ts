/**
 * The multiplexed gRPC watch stream: one bidi `Watch` call carrying many watchers.
 *
 * - The call is opened on the first {@link GrpcWatchStream.watch} (or
 *   `requestProgress`); requests made before it is open are queued and
 *   flushed in order.
 * - Creates are pipelined: every `watch()` writes its create request at once.
 *   etcd answers creates in the order it received them (and grpc-proxy assigns
 *   its own ids, ignoring client-chosen ones), so each `created` response is
 *   matched to the head of a FIFO of pending creates; later responses are
 *   routed by `watch_id`.
 * - A watcher cancelled before its `created` arrived is cancelled on the
 *   server as soon as its id is known, and never reported.
 * - Routing: `created` -> `onCreated`; a `created` that is also `canceled`
 *   (a create refused, e.g. permission denied: watch_id -1) -> `onCreated`
 *   then `onCanceled`; events -> `onEvents`; no events, not created/canceled,
 *   a known id -> `onProgress` (progress_notify); watch_id -1 without events
 *   -> the stream handlers' `onMessage` (answer to `requestProgress`);
 *   `canceled` -> `onCanceled` with `CompactedError(compact_revision)` when
 *   the start revision was compacted, else the `cancel_reason` mapped by
 *   `errorFromStatus` ("rpc error: code = PermissionDenied desc = ...").
 * - A create refused for an invalid/expired token (etcd 3.4 answers
 *   created+canceled, watch_id -1, "code = Unauthenticated") fails the whole
 *   stream with `onError(AuthError)`: the token is per stream, so the core
 *   must reopen, and the next open authenticates afresh.
 * - The stream ends once (error: `onError`; `close()`: silently). A `watch()`
 *   on an ended stream returns an inert handle and reports nothing.
 *
 * @module
 * @internal
 */
import type * as grpc from '@grpc/grpc-js';
import { ConnectionError } from '../../src/errors.js';
import type {
  ResponseHeader,
  StreamHandlers,
  WatchCreateRequest,
  WatcherHandle,
  WatcherListener,
  WatchCancel,
  WatchStream,
} from '../../src/transport/index.js';
import { callIsolated } from '../shared/handlers.js';
import { cancelQuietly, openBidi, type BidiContext } from './bidi.js';
import type { WatchRequest, WatchResponse } from '../shared/gen/etcdserverpb/rpc_pb.js';
import { watchCancel, watchCreate, watchProgress } from '../shared/wire/requests.js';
import { event, header as headerOf } from '../shared/wire/responses.js';
import type { Method } from './services.js';
import { isTokenError, watchCancelOf } from '../shared/answers.js';
import { errorOf, failureOf } from './status.js';

/** watch_id etcd uses for responses that belong to no watcher (progress for the whole stream, failed creates). */
const NO_WATCHER = '-1';

interface Watcher {
  readonly request: WatchCreateRequest;
  readonly listener: WatcherListener;
  /** Server-assigned id once created. */
  id: string | undefined;
  /** Cancelled by the caller (no listener calls any more). */
  cancelled: boolean;
  /** Cancelled by the server or the stream ended. */
  done: boolean;
}

type State = 'idle' | 'opening' | 'open' | 'ended';

/** {@link WatchStream} over one gRPC bidi call. */
export class GrpcWatchStream implements WatchStream {
  private state: State = 'idle';
  private call: grpc.ClientDuplexStream<WatchRequest, WatchResponse> | undefined;
  private token: string | undefined;
  /** Requests written before the call was open. */
  private queued: WatchRequest[] = [];
  /** Watchers whose create is in flight, in send order. */
  private readonly pendingCreates: Watcher[] = [];
  /** Created watchers by server id. */
  private readonly byId = new Map<string, Watcher>();

  constructor(
    private readonly ctx: BidiContext,
    private readonly method: Method<WatchRequest, WatchResponse>,
    private readonly handlers: StreamHandlers<ResponseHeader>,
    private readonly onEnded: (stream: GrpcWatchStream) => void,
  ) {}

  watch(request: WatchCreateRequest, listener: WatcherListener): WatcherHandle {
    const watcher: Watcher = { request, listener, id: undefined, cancelled: false, done: false };
    if (this.state === 'ended') {
      // A stream that ended never reports again; the caller opens a new one.
      watcher.done = true;
      return { cancel: () => undefined };
    }
    this.pendingCreates.push(watcher);
    this.send(watchCreate(request));
    return { cancel: () => this.cancelWatcher(watcher) };
  }

  requestProgress(): boolean {
    if (this.state === 'ended') return false;
    this.send(watchProgress());
    return true;
  }

  close(): void {
    if (this.state === 'ended') return;
    this.end(undefined);
  }

  /** Number of live watchers (created or pending); for tests and debugging. */
  get size(): number {
    let n = 0;
    for (const w of this.pendingCreates) if (!w.cancelled && !w.done) n++;
    for (const w of this.byId.values()) if (!w.cancelled && !w.done) n++;
    return n;
  }

  private cancelWatcher(w: Watcher): void {
    if (w.cancelled || w.done) return;
    w.cancelled = true;
    if (w.id !== undefined) {
      this.byId.delete(w.id);
      this.send(watchCancel(BigInt(w.id)));
    }
    // Else: still pending; cancelled when its created response names its id.
  }

  private send(req: WatchRequest): void {
    if (this.state === 'ended') return;
    if (this.state === 'open' && this.call) {
      this.call.write(req);
      return;
    }
    this.queued.push(req);
    if (this.state === 'idle') this.open();
  }

  private open(): void {
    this.state = 'opening';
    openBidi(this.ctx, this.method).then(
      ({ call, token }) => {
        if (this.state === 'ended') {
          cancelQuietly(call);
          return;
        }
        this.call = call;
        this.token = token;
        this.state = 'open';
        call.on('data', (msg: WatchResponse) => this.onResponse(msg));
        call.on('error', (err: unknown) => this.onCallError(err));
        call.on('status', (status: grpc.StatusObject) => {
          // A failed status was reported through 'error' first; an OK one means etcd ended the stream.
          if (status.code === 0) this.end(new ConnectionError('etcd closed the watch stream'));
        });
        const queued = this.queued;
        this.queued = [];
        for (const req of queued) call.write(req);
      },
      (err: unknown) => this.end(err instanceof Error ? err : new ConnectionError(String(err))),
    );
  }

  private onCallError(err: unknown): void {
    if (this.state === 'ended') return;
    const f = failureOf(err);
    const mapped = errorOf(f, err);
    this.ctx.tokens?.invalidateIfRefused(mapped, this.token);
    this.end(mapped);
  }

  /** Ends the stream; reports `error` to the handlers unless the caller closed it. */
  private end(error: Error | undefined): void {
    if (this.state === 'ended') return;
    this.state = 'ended';
    this.queued = [];
    for (const w of this.pendingCreates) w.done = true;
    for (const w of this.byId.values()) w.done = true;
    this.pendingCreates.length = 0;
    this.byId.clear();
    const call = this.call;
    this.call = undefined;
    if (call) cancelQuietly(call);
    this.onEnded(this);
    if (error) callIsolated(() => this.handlers.onError(error));
  }

  private onResponse(msg: WatchResponse): void {
    if (this.state !== 'open') return;
    const id = String(msg.watchId);
    const header = headerOf(msg.header);
    if (msg.created) {
      this.onCreated(msg, id, header);
      return;
    }
    if (msg.canceled) {
      const w = this.byId.get(id);
      if (!w) return;
      this.byId.delete(id);
      // etcd has forgotten the watcher; grpc-proxy has not (a compacted one stays in a dead broadcast that
      // later watchers of the range join and hang on): cancel it explicitly. etcd ignores unknown ids.
      this.send(watchCancel(BigInt(id)));
      this.reportCanceled(w, msg);
      return;
    }
    const events = msg.events;
    if (events.length > 0) {
      const w = this.byId.get(id);
      if (!w || w.cancelled || w.done) return;
      const decoded = events.map(event);
      callIsolated(() => w.listener.onEvents(decoded, header));
      return;
    }
    const w = this.byId.get(id);
    if (w) {
      // progress_notify for one watcher
      if (!w.cancelled && !w.done) callIsolated(() => w.listener.onProgress(header));
      return;
    }
    if (id === NO_WATCHER) {
      // Progress for the whole stream (the answer to requestProgress).
      callIsolated(() => this.handlers.onMessage(header));
    }
    // Else: a late message for a watcher we cancelled.
  }

  private onCreated(msg: WatchResponse, id: string, header: ResponseHeader): void {
    const w = this.pendingCreates.shift();
    if (!w) return; // not ours (cannot happen with etcd)
    if (msg.canceled) {
      // Refused at creation (auth, permission, invalid request) or compacted in the same answer.
      const cancel = cancelOf(msg);
      if (isTokenError(cancel.error)) {
        this.ctx.tokens?.invalidateIfRefused(cancel.error, this.token);
        this.end(cancel.error);
        return;
      }
      if (w.cancelled || w.done) return;
      callIsolated(() => w.listener.onCreated(header));
      if (w.cancelled || this.state !== 'open') return;
      w.done = true;
      callIsolated(() => w.listener.onCanceled(cancel));
      return;
    }
    if (w.cancelled) {
      this.send(watchCancel(BigInt(id)));
      return;
    }
    w.id = id;
    this.byId.set(id, w);
    callIsolated(() => w.listener.onCreated(header));
  }

  private reportCanceled(w: Watcher, msg: WatchResponse): void {
    if (w.cancelled || w.done) return;
    w.done = true;
    const cancel = cancelOf(msg);
    callIsolated(() => w.listener.onCanceled(cancel));
  }
}

/** The {@link WatchCancel} a canceled response describes. */
function cancelOf(msg: WatchResponse): WatchCancel {
  return watchCancelOf(msg.compactRevision, msg.cancelReason);
}
