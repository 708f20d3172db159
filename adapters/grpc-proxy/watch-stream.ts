/**
 * The grpc-proxy watch stream: the gRPC adapter's multiplexed watch stream,
 * with ONE watch create in flight at a time.
 *
 * Why: the gRPC stream matches each `created` answer to the oldest pending
 * create (etcd answers creates in order, and the 3.4 proxy ignores
 * client-chosen watch ids, assigning its own). etcd 3.4's grpc-proxy does not
 * keep that order (proxy/grpcproxy, release-3.4):
 * - `watchBroadcasts.add` (watch_broadcasts.go) puts a new watcher into an
 *   existing `watchBroadcast` of the same range whose `nextrev` is at or
 *   before the watcher's start; when that broadcast's own etcd watcher has not
 *   answered yet (`responses == 0`), `watchBroadcast.add` (watch_broadcast.go)
 *   adds it as a receiver and lets etcd's `created` answer serve them all;
 *   `bcast` then sends it to every receiver by ranging over a Go map
 *   (`for r := range wb.receivers`), i.e. in random order;
 * - each broadcast forwards its answers from a goroutine of its own
 *   (`newWatchBroadcast`), so the `created` answers of two broadcasts race.
 * Pipelined creates on one range with different start revisions (a catch-up
 * replaying from an older revision next to a live watcher, several replays
 * at once) were thus matched to each other's watchers: a subscriber
 * replaying from revision r got the events of a watcher started at r' > r
 * and silently missed (r, r'), and cancelling one watcher could cancel
 * another's. With one create in flight, the only `created` answer that can
 * arrive on the stream belongs to it (a watcher that joins a broadcast which
 * already answered gets an emulated `created`, posted at once).
 *
 * ## No watcher at a compacted revision
 * A create whose start revision was compacted leaves a dead broadcast in the
 * proxy: etcd cancels the upstream watcher and the broadcast's goroutine ends,
 * but the broadcast stays in `watchBroadcasts.bcasts` until every receiver is
 * cancelled (etcd-io/etcd#10650, #18231). Meanwhile (and forever, once it has
 * one) it captures watchers of ANY client of the proxy on the same range:
 * `watchBroadcast.add` takes a watcher whose start is at or after its
 * `nextrev` (set past the store revision by the compaction answer) with an
 * emulated `created`, and `watchBroadcasts.coalesce` moves the receivers of a
 * live broadcast into it once the live one's `nextrev` is not behind. Those
 * watchers never get another event. So before a create with a start
 * revision, one linearizable count-only range at that revision asks etcd
 * whether it was compacted; if so, the proxy is never asked: the create is
 * answered here as etcd would (created, then canceled with the compact
 * revision, found by bisecting with the same range). What remains is a
 * compaction landing between that range and the create (then the watcher's
 * explicit cancel, sent by the gRPC stream on the compaction answer, ends
 * the broadcast as soon as possible).
 *
 * Also here: a create the proxy never answers fails the stream (see
 * `watchCreateTimeoutMs`), and emulated `created` headers are clamped
 * ({@link clampCreated}).
 *
 * @module
 * @internal
 */
import { CompactedError, ConnectionError } from '../../src/errors.js';
import type {
  RangeRequest,
  RangeResponse,
  ResponseHeader,
  Rev,
  StreamHandlers,
  WatchCreateRequest,
  WatcherHandle,
  WatcherListener,
  WatchStream,
} from '../../src/transport/index.js';
import { clampCreated } from './semantics.js';

/** A range read through the proxy (linearizable unless asked otherwise). */
export type RangeCall = (request: RangeRequest, options: { signal: AbortSignal }) => Promise<RangeResponse>;

/** What a start revision's probe found: not compacted, or compacted with etcd's compact revision and current header. */
type Probe = { compacted: false } | { compacted: true; compactRevision: Rev; header: ResponseHeader };

interface Create {
  readonly request: WatchCreateRequest;
  readonly listener: WatcherListener;
  /** Set once the create is sent. */
  handle: WatcherHandle | undefined;
  /** Cancelled by the caller: no listener calls any more. */
  cancelled: boolean;
}

/**
 * Opens a watch stream with `open` and serializes its creates (see the module doc).
 * `release` is called once when the stream ends (error or close).
 */
export function serializedWatchStream(
  open: (handlers: StreamHandlers<ResponseHeader>) => WatchStream,
  range: RangeCall,
  handlers: StreamHandlers<ResponseHeader>,
  createTimeoutMs: number,
  release: () => void,
): WatchStream {
  return new SerializedWatchStream(open, range, handlers, createTimeoutMs, release);
}

class SerializedWatchStream implements WatchStream {
  private readonly inner: WatchStream;
  /** Creates not sent yet, in call order. */
  private waiting: Create[] = [];
  /** The create sent and not answered yet. */
  private sent: Create | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private ended = false;
  /** Aborts the probe in flight when the stream ends. */
  private readonly aborter = new AbortController();

  constructor(
    open: (handlers: StreamHandlers<ResponseHeader>) => WatchStream,
    private readonly range: RangeCall,
    private readonly handlers: StreamHandlers<ResponseHeader>,
    private readonly createTimeoutMs: number,
    private readonly release: () => void,
  ) {
    this.inner = open({ onMessage: (m) => handlers.onMessage(m), onError: (e) => this.end(e) });
  }

  watch(request: WatchCreateRequest, listener: WatcherListener): WatcherHandle {
    if (this.ended) return { cancel: () => undefined };
    const create: Create = { request, listener: clampCreated(request, listener), handle: undefined, cancelled: false };
    this.waiting.push(create);
    this.sendNext();
    return { cancel: () => this.cancel(create) };
  }

  requestProgress(): boolean {
    return false; // the proxy ignores progress requests
  }

  close(): void {
    this.end(undefined);
    this.inner.close();
  }

  private cancel(create: Create): void {
    if (create.cancelled) return;
    create.cancelled = true;
    if (create === this.sent) return; // cancelled on the server once its answer names its id (see answered)
    const i = this.waiting.indexOf(create);
    if (i >= 0) this.waiting.splice(i, 1);
    else create.handle?.cancel();
  }

  private sendNext(): void {
    if (this.ended || this.sent) return;
    const create = this.waiting.shift();
    if (!create) return;
    this.sent = create;
    if (this.createTimeoutMs > 0) {
      // A create the proxy never answers (see watchCreateTimeoutMs) fails the stream instead of hanging.
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.end(new ConnectionError(`grpc-proxy did not answer a watch create within ${this.createTimeoutMs} ms`));
      }, this.createTimeoutMs);
    }
    const start = create.request.startRevision ?? 0n;
    if (start <= 0n) {
      this.create(create);
      return;
    }
    void this.probe(create.request, start).then((found) => {
      if (this.ended || this.sent !== create) return;
      if (!found.compacted) {
        this.create(create);
        return;
      }
      // Answered as etcd answers a create at a compacted revision, without a watcher in the proxy.
      this.answered(create);
      if (!create.cancelled) {
        const reason = 'mvcc: required revision has been compacted';
        create.listener.onCreated(found.header);
        if (!create.cancelled && !this.ended) {
          create.cancelled = true; // done: a later cancel() has nothing to do
          create.listener.onCanceled({ compactRevision: found.compactRevision, reason, error: new CompactedError(found.compactRevision, { cause: reason }) });
        }
      }
      this.sendNext();
    });
  }

  /** Sends the create to the proxy. */
  private create(create: Create): void {
    const { listener } = create;
    create.handle = this.inner.watch(create.request, {
      onCreated: (header) => {
        this.answered(create);
        if (!create.cancelled) listener.onCreated(header);
        this.sendNext();
      },
      onEvents: (events, header) => {
        if (!create.cancelled) listener.onEvents(events, header);
      },
      onProgress: (header) => {
        if (!create.cancelled) listener.onProgress(header);
      },
      onCanceled: (cancel) => {
        // Always after onCreated (a refused create is answered created + canceled).
        if (!create.cancelled) listener.onCanceled(cancel);
      },
    });
  }

  /**
   * Whether `start` was compacted on the watched range: a count-only read at that revision (etcd refuses one below its
   * compact revision). If so, the compact revision is the lowest revision such a read accepts, found by bisection up to
   * the current revision. A failed read (the proxy unreachable, a future revision) counts as not compacted: the create
   * is sent and answers for itself.
   */
  private async probe(request: WatchCreateRequest, start: Rev): Promise<Probe> {
    const { signal } = this.aborter;
    const at = async (revision: Rev): Promise<RangeResponse | CompactedError> => {
      try {
        return await this.range({ key: request.key, rangeEnd: request.rangeEnd, revision, countOnly: true }, { signal });
      } catch (error) {
        if (error instanceof CompactedError) return error;
        throw error;
      }
    };
    try {
      if (!((await at(start)) instanceof CompactedError)) return { compacted: false };
      const { header } = await this.range({ key: request.key, rangeEnd: request.rangeEnd, countOnly: true }, { signal });
      let lo = start; // compacted
      let hi = header.revision; // the current revision is never compacted
      while (hi - lo > 1n) {
        const mid = lo + (hi - lo) / 2n;
        if ((await at(mid)) instanceof CompactedError) lo = mid;
        else hi = mid;
      }
      return { compacted: true, compactRevision: hi, header };
    } catch {
      return { compacted: false };
    }
  }

  /** The in-flight create got its answer: the next one may go; a create cancelled meanwhile is cancelled on the server now. */
  private answered(create: Create): void {
    if (this.sent !== create) return;
    this.sent = undefined;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (create.cancelled) create.handle?.cancel();
  }

  private end(error: Error | undefined): void {
    if (this.ended) return;
    this.ended = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.waiting = [];
    this.sent = undefined;
    this.aborter.abort();
    this.release();
    if (error) {
      this.inner.close();
      this.handlers.onError(error);
    }
  }
}
