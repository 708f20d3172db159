/**
 * Wraps the client's {@link Transport} (the seam itself is unchanged) so that
 * the core sees the wire in one place:
 * - every response header (each successful unary call, every watch message,
 *   every keep-alive answer) is reported, before the caller sees it, so the
 *   core's known revision stays fresh and the connection status sees the
 *   success; no caller reports headers by hand;
 * - connection failures: a unary call rejected with `ConnectionError`, or
 *   with `TimeoutError` from the transport's own call deadline (not the
 *   caller's signal: the HTTP gateway reports an unreachable etcd that way),
 *   or a watch or keep-alive stream ended by a `ConnectionError`.
 *
 * With telemetry on, it also measures the wire: the round trip of each lease
 * keep-alive, and for each watch batch the time the watch hub takes to hand
 * it to every subscriber and the revision lag at delivery.
 * @module
 * @internal
 */
import { ConnectionError, TimeoutError } from '../errors.js';
import type { TransportProbes } from '../telemetry/telemetry.js';
import type {
  CallOptions,
  LeaseKeepAliveResponse,
  LeaseKeepAliveStream,
  ResponseHeader,
  StreamHandlers,
  Transport,
  WatchStream,
  WatcherListener,
} from '../transport/index.js';

export interface TransportObserver {
  /** etcd answered: the header of a response, a watch message or a keep-alive answer. */
  answered(header: ResponseHeader): void;
  /** A call or stream failed for lack of a connection. */
  failed(error: Error): void;
  /** Telemetry probes, when telemetry is on. */
  probes?: TransportProbes | undefined;
  /** The highest revision the client has seen (for the watch revision lag). */
  knownRevision(): bigint;
  now?: () => number;
}

/** Unanswered keep-alive send times kept per lease (answers come in order). */
const MAX_PENDING_SENDS = 8;

/**
 * The observed transport of `inner` (see the module).
 *
 * @example
 * ```ts
 * const transport = observeTransport(raw, { answered: (h) => core.seen(h), failed: (e) => status.failed(e), knownRevision: () => core.revision });
 * ```
 */
export function observeTransport(inner: Transport, observer: TransportObserver): Transport {
  const guard = <R extends { header: ResponseHeader }>(call: Promise<R>, options: CallOptions | undefined): Promise<R> =>
    call.then(
      (res) => {
        observer.answered(res.header);
        return res;
      },
      (error: unknown) => {
        if (error instanceof ConnectionError || (error instanceof TimeoutError && !options?.signal?.aborted)) observer.failed(error);
        throw error;
      },
    );
  const now = observer.now ?? (() => performance.now());
  const probes = observer.probes;
  return {
    get name() {
      return inner.name;
    },
    get capabilities() {
      return inner.capabilities;
    },
    range: (request, options) => guard(inner.range(request, options), options),
    put: (request, options) => guard(inner.put(request, options), options),
    deleteRange: (request, options) => guard(inner.deleteRange(request, options), options),
    txn: (request, options) => guard(inner.txn(request, options), options),
    compact: (request, options) => guard(inner.compact(request, options), options),
    leaseGrant: (request, options) => guard(inner.leaseGrant(request, options), options),
    leaseRevoke: (id, options) => guard(inner.leaseRevoke(id, options), options),
    leaseTimeToLive: (id, options) => guard(inner.leaseTimeToLive(id, options), options),
    memberList: (options) => guard(inner.memberList(options), options),
    status: (options) => guard(inner.status(options), options),
    authenticate: (name, password, options) => guard(inner.authenticate(name, password, options), options),
    close: () => inner.close(),

    openLeaseKeepAlive(handlers: StreamHandlers<LeaseKeepAliveResponse>): LeaseKeepAliveStream {
      const onError = (error: Error): void => {
        if (error instanceof ConnectionError) observer.failed(error);
        handlers.onError(error);
      };
      if (!probes) {
        return inner.openLeaseKeepAlive({
          onMessage: (res) => {
            observer.answered(res.header);
            handlers.onMessage(res);
          },
          onError,
        });
      }
      const sent = new Map<bigint, number[]>();
      const stream = inner.openLeaseKeepAlive({
        onMessage: (res) => {
          const pending = sent.get(res.id);
          const at = pending?.shift();
          if (pending && pending.length === 0) sent.delete(res.id);
          if (at !== undefined) probes.keepAliveRoundTrip(now() - at);
          observer.answered(res.header);
          handlers.onMessage(res);
        },
        onError,
      });
      return {
        send(id) {
          let pending = sent.get(id);
          if (!pending) sent.set(id, (pending = []));
          if (pending.length < MAX_PENDING_SENDS) pending.push(now());
          stream.send(id);
        },
        close: () => stream.close(),
      };
    },

    openWatch(handlers: StreamHandlers<ResponseHeader>): WatchStream {
      const stream = inner.openWatch({
        onMessage: (header) => {
          observer.answered(header);
          handlers.onMessage(header);
        },
        onError: (error) => {
          if (error instanceof ConnectionError) observer.failed(error);
          handlers.onError(error);
        },
      });
      return {
        watch: (request, listener) => stream.watch(request, heard(probes ? measured(listener, probes, observer, now) : listener, observer)),
        requestProgress: () => stream.requestProgress(),
        close: () => stream.close(),
      };
    },
  };
}

/** The listener, reporting each message's header first. */
function heard(listener: WatcherListener, observer: TransportObserver): WatcherListener {
  return {
    onCreated: (header) => {
      observer.answered(header);
      listener.onCreated(header);
    },
    onProgress: (header) => {
      observer.answered(header);
      listener.onProgress(header);
    },
    onCanceled: (cancel) => listener.onCanceled(cancel),
    onEvents: (events, header) => {
      observer.answered(header);
      listener.onEvents(events, header);
    },
  };
}

/** The listener, timing how long delivering each batch takes. */
function measured(listener: WatcherListener, probes: TransportProbes, observer: TransportObserver, now: () => number): WatcherListener {
  return {
    onCreated: (header) => listener.onCreated(header),
    onProgress: (header) => listener.onProgress(header),
    onCanceled: (cancel) => listener.onCanceled(cancel),
    onEvents: (events, header) => {
      const start = now();
      listener.onEvents(events, header);
      const last = events[events.length - 1];
      if (!last) return;
      const known = observer.knownRevision();
      const lag = known > last.kv.modRevision ? known - last.kv.modRevision : 0n;
      probes.watchBatchDelivered(now() - start, lag);
    },
  };
}
