/**
 * Shared watches for the waits: one long-lived watch per key range per client (a lock name's
 * `${name}/`, the deletes under the client's namespace for held locks), opened at etcd's current
 * revision so etcd puts its server watcher in the synced group at once. A wait never opens a
 * watcher of its own from its read revision (etcd's unsynced group, caught up only every
 * 100 ms): it joins the shared watch from that revision when the watch's kept history covers it,
 * and otherwise reads again (at a revision after the watch started) and joins from there.
 * @module
 * @internal
 */
import { hex } from '../bytes.js';
import { abortErrorOf, ClosedError, CompactedError } from '../errors.js';
import type { Batch } from '../core/broadcast.js';
import type { Bytes, Rev } from '../transport/index.js';
import type { StoredRange, StoredWatchSink, Store } from './store.js';

/** What a shared watch watches: a stored range, all events or deletes only. */
export interface SharedTarget extends StoredRange {
  /** Deletes only (etcd's NOPUT filter). */
  noPut?: boolean;
}

/** How long a lock name's watch stays open after its last user, so a loop of acquires keeps one watcher. */
export const LOCK_LINGER_MS = 1000;

const registry = new WeakMap<object, Map<string, SharedWatch>>();

/**
 * One shared watch; get it with {@link sharedWatch} and hold it with `retain()` while waiting or holding.
 *
 * @example
 * ```ts
 * const watch = sharedWatch(store, store.prefix('jobs/'));
 * const release = watch.retain(); // before the read, so the watch usually starts first
 * try { const res = await store.range(...); await watch.waitDelete([pred], res.header.revision, signal); } finally { release(); }
 * ```
 */
export class SharedWatch {
  /** Users holding it open. */
  private refs = 0;
  /** The subscription that keeps the hub's broadcast open. */
  private keeper: (() => void) | undefined;
  /** The revision after which the current watch delivers every event; undefined until etcd created it. */
  private startedAt: Rev | undefined;
  /** Woken when the watch starts, fails or ends. */
  private readonly wakers = new Set<() => void>();
  private lingerTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly store: Store,
    private readonly target: SharedTarget,
    private readonly lingerMs: number,
    private readonly onIdle: (watch: SharedWatch) => void,
  ) {}

  /** Keeps the watch open (opening it if needed) until the returned function is called. */
  retain(): () => void {
    this.refs++;
    if (this.lingerTimer !== undefined) clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    if (!this.keeper) this.open();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--this.refs > 0) return;
      if (this.lingerMs <= 0) return this.close();
      this.lingerTimer = setTimeout(() => this.close(), this.lingerMs);
      (this.lingerTimer as { unref?: () => void }).unref?.();
    };
  }

  /** Resolves with the revision after which the watch delivers every event, once etcd created it. */
  async started(signal: AbortSignal): Promise<Rev> {
    for (;;) {
      if (signal.aborted) throw abortErrorOf(signal);
      if (this.store.closed) throw new ClosedError();
      if (this.startedAt !== undefined) return this.startedAt;
      if (!this.keeper) this.open();
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          signal.removeEventListener('abort', wake);
          this.wakers.delete(wake);
          resolve();
        };
        this.wakers.add(wake);
        signal.addEventListener('abort', wake, { once: true });
      });
    }
  }

  /**
   * Subscribes `sink` to every batch after `after`, if the watch covers it; undefined otherwise
   * (it started after `after`, or has not started: read again at a revision after {@link started} and retry).
   */
  follow(after: Rev, sink: StoredWatchSink): (() => void) | undefined {
    if (this.startedAt === undefined || this.startedAt > after) return undefined;
    return this.store.joinNow(this.target, after, sink);
  }

  /**
   * Follows the watch from `after` until `check(batch)` returns true (`'done'`; an `Error` rejects with it), or
   * resolves `'reread'` when the watch cannot tell (it started after `after`, or its history was compacted): the
   * caller reads again and retries. Rejects with the abort error of `signal`, or `ClosedError` when the client
   * closes. Leaves nothing behind.
   */
  async waitFor(after: Rev, signal: AbortSignal, check: (batch: Batch) => boolean | Error): Promise<'done' | 'reread'> {
    const startedAt = await this.started(signal);
    if (startedAt > after) return 'reread';
    return new Promise((resolve, reject) => {
      let settled = false;
      let unsubscribe: (() => void) | undefined;
      const settle = (outcome: 'done' | 'reread' | Error): void => {
        if (settled) return;
        settled = true;
        signal.removeEventListener('abort', onAbort);
        // The hub may call back from inside joinNow(): unsubscribe once it returned.
        unsubscribe?.();
        if (outcome instanceof Error) reject(outcome);
        else resolve(outcome);
      };
      const onAbort = (): void => settle(abortErrorOf(signal));
      signal.addEventListener('abort', onAbort, { once: true });
      const unsub = this.follow(after, {
        next: (batch) => {
          if (settled) return;
          const verdict = check(batch);
          if (verdict instanceof Error) settle(verdict);
          else if (verdict) settle('done');
        },
        error: (error) => settle(error instanceof CompactedError ? 'reread' : error),
        complete: () => settle(new ClosedError()),
      });
      if (!unsub) settle('reread');
      else if (settled) unsub();
      else unsubscribe = unsub;
    });
  }

  /** {@link waitFor} the delete of one of `keys` after `after`. */
  waitDelete(keys: readonly Bytes[], after: Rev, signal: AbortSignal): Promise<'done' | 'reread'> {
    const wanted = new Set(keys.map(hex));
    return this.waitFor(after, signal, (batch) => batch.events.some((e) => e.type === 'delete' && wanted.has(hex(e.kv.key))));
  }

  private open(): void {
    const token = {};
    let mine = token as object | undefined;
    const current = (): boolean => mine === token && this.keeper === stop;
    this.startedAt = undefined;
    const stop: () => void = this.store.joinNow(this.target, undefined, {
      next: () => {},
      started: (revision) => {
        // (May be called from inside joinNow(), before `stop` is assigned.)
        if (mine !== token) return;
        this.startedAt = revision;
        this.wake();
      },
      error: () => {
        if (!current()) return;
        // (Compacted while resuming.) Its users saw the error too and read again; open a new one from now.
        this.keeper = undefined;
        this.startedAt = undefined;
        mine = undefined;
        this.wake();
        if (this.refs > 0) queueMicrotask(() => this.refs > 0 && !this.keeper && !this.store.closed && this.open());
      },
      complete: () => {
        if (mine !== token) return;
        mine = undefined;
        this.keeper = undefined;
        this.startedAt = undefined;
        this.wake();
      },
    })!;
    if (mine === token) this.keeper = stop;
    else stop();
  }

  private close(): void {
    this.lingerTimer = undefined;
    if (this.refs > 0) return;
    const stop = this.keeper;
    this.keeper = undefined;
    this.startedAt = undefined;
    stop?.();
    this.onIdle(this);
  }

  private wake(): void {
    for (const wake of [...this.wakers]) wake();
  }
}

/**
 * The client's shared watch of `target` (one per client, range and linger). `lingerMs`: how long it
 * stays open after its last user (0: closed at once).
 */
export function sharedWatch(store: Store, target: SharedTarget, lingerMs = 0): SharedWatch {
  let watches = registry.get(store.connection);
  if (!watches) {
    watches = new Map();
    registry.set(store.connection, watches);
  }
  // (Watches of one range with different lingers are distinct here but share the hub's one server watcher.)
  const id = `${hex(target.key)}:${hex(target.rangeEnd)}:${target.noPut ? 'd' : 'a'}:${lingerMs}`;
  let watch = watches.get(id);
  if (!watch) {
    const map = watches;
    watch = new SharedWatch(store, target, lingerMs, (w) => {
      if (map.get(id) === w) map.delete(id);
    });
    watches.set(id, watch);
  }
  return watch;
}

/** The shared watch of the deletes under the client's namespace: every held lock of a client rides it. */
export function heldKeysWatch(store: Store): SharedWatch {
  return sharedWatch(store, { ...store.rootRange(), noPut: true }, LOCK_LINGER_MS);
}
