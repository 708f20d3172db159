/**
 * Waiting for a key's delete through the core's shared watch hub.
 * @module
 * @internal
 */
import { hex } from '../bytes.js';
import { abortErrorOf, ClosedError, CompactedError } from '../errors.js';
import type { Bytes, Rev } from '../transport/index.js';
import type { Store } from './store.js';

/**
 * Resolves when one of `keys` is deleted at a revision >= `fromRevision`.
 * Watches `range` (one key, or a prefix holding every key of `keys`, which
 * shares one server watcher among all waiters of a client). Also resolves when
 * that history was compacted: the caller re-reads and waits again. Rejects
 * with the abort error of `signal`, or `ClosedError` when the client closes.
 * Leaves no subscription behind.
 *
 * @example
 * ```ts
 * const res = await range(...);                          // saw `pred` at res.header.revision
 * await waitForDelete(store, { key: pred }, [pred], res.header.revision + 1n, signal);
 * ```
 */
export function waitForDelete(
  store: Store,
  range: { key: Bytes; rangeEnd?: Bytes | undefined },
  keys: readonly Bytes[],
  fromRevision: Rev,
  signal: AbortSignal,
): Promise<void> {
  if (signal.aborted) return Promise.reject(abortErrorOf(signal));
  const wanted = new Set(keys.map(hex));
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    let unsubscribe: (() => void) | undefined;
    const settle = (error?: Error): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      // The hub may call back from inside subscribe(): unsubscribe once it returned.
      if (unsubscribe) unsubscribe();
      if (error) reject(error);
      else resolve();
    };
    const onAbort = (): void => settle(abortErrorOf(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    const unsub = store.watchStored(range, fromRevision, {
      next: (batch) => {
        if (batch.events.some((e) => e.type === 'delete' && wanted.has(hex(e.kv.key)))) settle();
      },
      error: (error) => settle(error instanceof CompactedError ? undefined : error),
      complete: () => settle(new ClosedError()),
    });
    if (settled) unsub();
    else unsubscribe = unsub;
  });
}
