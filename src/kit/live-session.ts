/**
 * Running a write on the client's shared session, with one retry on a fresh
 * session when etcd says the lease is already gone (revoked or expired before
 * the keep-alive noticed).
 * @module
 * @internal
 */
import type { SessionImpl } from '../core/session.js';
import { ConclaveError } from '../errors.js';
import type { Store } from './store.js';

/** etcd's answer to a put under a lease that no longer exists. */
export function isLeaseGone(error: unknown): boolean {
  return error instanceof ConclaveError && error.message.includes('requested lease not found');
}

/**
 * Calls `fn` with the client's shared session; if etcd answers that its lease
 * is gone, marks the session lost (so every lock on it learns it at once) and
 * tries again on the new session the core creates. A session still being
 * opened is used as soon as its lease is granted: `fn` runs alongside the
 * marker put, and both are awaited (a failed marker put closed the session,
 * revoking whatever `fn` put under its lease).
 *
 * @example
 * ```ts
 * const key = await onLiveSession(store, (session) => putKey(session.lease));
 * ```
 */
export async function onLiveSession<T>(store: Store, fn: (session: SessionImpl) => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const { session, ready } = await store.sessionEarly();
    try {
      const [value] = await Promise.all([fn(session), ready]);
      return value;
    } catch (error) {
      if (attempt >= 2 || !isLeaseGone(error)) throw error;
      session.markLost('etcd reports the lease as not found');
    }
  }
}
