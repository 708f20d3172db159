/**
 * Watch messages of the transport seam: a multiplexed watch stream, the watchers opened on it,
 * and what etcd tells each watcher.
 * @module
 */
import type { Bytes, Rev } from '../types.js';
import type { ResponseHeader, WireKeyValue } from './kv.js';

/** Event types a watcher can leave out. */
export type WatchFilter = 'noput' | 'nodelete';

/** Opens one watcher on a {@link WatchStream}. */
export interface WatchCreateRequest {
  key: Bytes;
  rangeEnd?: Bytes | undefined;
  /** First revision to deliver (0/absent = from now). */
  startRevision?: Rev | undefined;
  progressNotify?: boolean | undefined;
  filters?: WatchFilter[] | undefined;
  prevKv?: boolean | undefined;
}

/** One change seen by a watcher, as etcd sends it. */
export interface WireEvent {
  type: 'put' | 'delete';
  kv: WireKeyValue;
  prevKv?: WireKeyValue | undefined;
}

/** Why a watcher was cancelled by the server. */
export interface WatchCancel {
  /** > 0 when the requested start revision was compacted. */
  compactRevision: Rev;
  /** etcd's cancel_reason, e.g. a permission error. */
  reason: string;
  /** The reason mapped to a typed error (CompactedError, AuthError, ...). */
  error: Error;
}

/** Receives what etcd says about one watcher. */
export interface WatcherListener {
  /** The server created the watcher; `header.revision` is the store revision at creation. */
  onCreated(header: ResponseHeader): void;
  /** A batch of events (all events of one revision are in one batch). */
  onEvents(events: WireEvent[], header: ResponseHeader): void;
  /** A progress notification: nothing for this watcher up to `header.revision`. */
  onProgress(header: ResponseHeader): void;
  /** The server cancelled the watcher (compaction, permission). Terminal for the watcher. */
  onCanceled(cancel: WatchCancel): void;
}

/** A watcher opened on a {@link WatchStream}. */
export interface WatcherHandle {
  /** Asks the server to cancel the watcher; no listener call follows. Idempotent. */
  cancel(): void;
}

/**
 * A multiplexed watch stream: many watchers over one server stream (gRPC) or one request per
 * watcher (HTTP). The adapter assigns and matches watch ids.
 *
 * @example
 * ```ts
 * const enc = (s: string) => new TextEncoder().encode(s);
 * const stream = transport.openWatch({ onMessage: () => {}, onError: (e) => console.log(e) });
 * const handle = stream.watch({ key: enc('k') }, {
 *   onCreated: (h) => console.log('watching from', h.revision + 1n),
 *   onEvents: (events) => console.log(events.length, 'events'),
 *   onProgress: (h) => console.log('nothing new up to', h.revision),
 *   onCanceled: (c) => console.log('cancelled:', c.reason),
 * });
 * handle.cancel();
 * stream.close();
 * ```
 */
export interface WatchStream {
  watch(request: WatchCreateRequest, listener: WatcherListener): WatcherHandle;
  /** Asks for a stream-wide progress notification (to the stream's `onMessage`); false when the adapter cannot (grpc-proxy, http) and the caller falls back to a read. */
  requestProgress(): boolean;
  /** Ends the stream and every watcher on it; no handler is called afterwards. Idempotent. */
  close(): void;
}
