/**
 * What the grpc-proxy transport changes in requests and answers to hide
 * `etcd grpc-proxy` quirks from the core.
 *
 * @module
 * @internal
 */
import type { RangeRequest, RequestOp, ResponseHeader, TxnRequest, WatchCreateRequest, WatcherListener } from '../../src/transport/index.js';

/**
 * The proxy serves serializable reads from its own cache, which can be stale
 * for as long as nothing refreshes it (a write made past the proxy is never
 * seen). Every read through it is therefore made linearizable (which also
 * refreshes the cache).
 */
export function linearizable(request: RangeRequest): RangeRequest {
  return request.serializable ? { ...request, serializable: false } : request;
}

function linearizableOp(op: RequestOp): RequestOp {
  if ('range' in op) return { range: linearizable(op.range) };
  if ('txn' in op) return { txn: linearizableTxn(op.txn) };
  return op;
}

/** {@link linearizable} for every read of a txn, nested ones included. */
export function linearizableTxn(t: TxnRequest): TxnRequest {
  return { compare: t.compare, success: t.success.map(linearizableOp), failure: t.failure.map(linearizableOp) };
}

/**
 * When a watcher joins a server watcher the proxy already runs for the same
 * range, the proxy emulates the `created` answer with header revision =
 * the watcher's start revision, a revision that may not exist yet. The core
 * takes created headers as "the store has reached this revision", so the
 * created header is clamped to `startRevision - 1` (always true: the watcher
 * was asked to start after it).
 */
export function clampCreated(request: WatchCreateRequest, listener: WatcherListener): WatcherListener {
  const start = request.startRevision ?? 0n;
  if (start <= 0n) return listener;
  return {
    onCreated: (header: ResponseHeader) =>
      listener.onCreated(header.revision >= start ? { ...header, revision: start - 1n } : header),
    onEvents: (events, header) => listener.onEvents(events, header),
    onProgress: (header) => listener.onProgress(header),
    onCanceled: (cancel) => listener.onCanceled(cancel),
  };
}
