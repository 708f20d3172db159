/**
 * How etcd's answers are read, whatever the wire: which errors a fresh token
 * cures, which mean "auth is off", which mean "that lease is already gone",
 * and what a cancelled watcher's answer means.
 *
 * @module
 * @internal
 */
import { AuthError, ClosedError, CompactedError, EtcdError, errorFromStatus, parseCancelReason } from '../../src/errors.js';
import type { ResponseHeader, WatchCancel } from '../../src/transport/index.js';

/** True for the auth errors a fresh token can cure (expired or unknown token). */
export function isTokenError(err: unknown): boolean {
  return err instanceof AuthError && (err.code === 'INVALID_TOKEN' || err.code === 'UNAUTHENTICATED');
}

/**
 * True when a call made with `token` should re-authenticate and run once more:
 * etcd refused the token (expired or unknown), or the call carried none
 * (auth was off when the transport authenticated) and etcd now wants one.
 * etcd refused the call before executing it, so this is safe for writes too.
 */
export function needsFreshToken(err: unknown, token: string): boolean {
  if (isTokenError(err)) return true;
  return token === '' && err instanceof AuthError && err.message.includes('user name is empty');
}

/** True when Authenticate failed only because the cluster has auth disabled. */
export function isAuthNotEnabled(err: unknown): boolean {
  return err instanceof EtcdError && err.message.includes('authentication is not enabled');
}

/**
 * Runs a LeaseRevoke; resolves also when etcd no longer knows the lease
 * ("requested lease not found": it expired or was revoked already), with an
 * all-zero header then.
 *
 * @example
 * ```ts
 * const { header } = await revokeTolerantly(() => this.unary.call(methods.leaseRevoke, { ID }, policy).then(decodeHeaderOnly));
 * ```
 */
export async function revokeTolerantly(revoke: () => Promise<{ header: ResponseHeader }>): Promise<{ header: ResponseHeader }> {
  try {
    return await revoke();
  } catch (err) {
    if (err instanceof EtcdError && err.status === 5 && err.message.includes('lease not found')) return { header: { revision: 0n } };
    throw err;
  }
}

/**
 * The {@link WatchCancel} of a watcher etcd cancelled: compacted past its
 * start (`compactRevision` > 0), refused with a reason (permission denied, an
 * invalid token: etcd's `rpc error: code = … desc = …` text), or just closed.
 */
export function watchCancelOf(compactRevision: bigint, reason: string): WatchCancel {
  let error: Error;
  if (compactRevision > 0n) {
    error = new CompactedError(compactRevision, { cause: reason || undefined });
  } else if (reason) {
    const { code, message } = parseCancelReason(reason);
    error = errorFromStatus(code, message, reason);
  } else {
    error = new ClosedError('etcd cancelled the watcher');
  }
  return { compactRevision, reason, error };
}
