/**
 * A held lock key: the {@link Lock} object of mutexes, read/write locks and
 * semaphores, and the base of an election's leadership.
 *
 * ## State machine
 * | state | event | next state / action |
 * |-------|-------|---------------------|
 * | held | `release()` | released: `signal` aborts with `ClosedError('… released')`, `lost$` completes without emitting, key deleted (guarded by its create revision), local slot handed on |
 * | held | own key deleted (the client's shared watch of deletes, from create revision + 1), or a fenced write's guard failed | lost: `signal` aborts with `LockLostError`, `lost$` emits then completes, local slot handed on |
 * | held | session lost (lease expired, revoked, unreachable past its TTL) | lost: as above, `LockLostError` caused by the `SessionLostError` |
 * | held | `client.close()` (revokes the session lease) | closed: treated as a release by close: `signal` aborts with `ClosedError`, `lost$` completes without emitting |
 * | held | the shared watch fails (e.g. compaction), or started after the create revision | held: re-read the key; gone → lost; else watch again from the read's revision |
 * | released / lost / closed | anything | unchanged (idempotent) |
 * @module
 * @internal
 */
import { AsyncSubject, type Observable } from 'rxjs';
import { Backoff, sleep } from '../backoff.js';
import { equals, toBytes } from '../bytes.js';
import type { SessionImpl } from '../core/session.js';
import { onAbort } from '../abort-listeners.js';
import { ClosedError, LockLostError } from '../errors.js';
import type { RequestOp } from '../transport/index.js';
import type { Bytes, Rev } from '../types.js';
import type { Lock } from '../locks/api.js';
import { checkKey, checkPrefix, checkRevision, checkSize, checkValue } from '../validate.js';
import { deleteGuardedWithRetry, heldCompare } from './guarded-keys.js';
import type { LocalSlot } from './local-queue.js';
import { heldKeysWatch, type SharedWatch } from './shared-watch.js';
import type { Store } from './store.js';

export type HeldState = 'held' | 'released' | 'lost' | 'closed';

export interface HeldLockInit {
  /** Where the lock key lives. */
  store: Store;
  session: SessionImpl;
  /** The stored (namespaced) lock key. */
  storedKey: Bytes;
  /** Its create revision. */
  revision: Rev;
  /** The local queue slot to hand on when the lock ends. */
  slot?: LocalSlot | undefined;
  /** 'lock' or 'leadership', for messages. */
  what?: string;
}

/**
 * A lock held on etcd. See the module's state table.
 *
 * @example
 * ```ts
 * await using lock = await client.mutex('jobs').acquire();
 * lock.signal.addEventListener('abort', () => console.log('stop:', lock.signal.reason));
 * await lock.putIfHeld('jobs/state', 'running'); // fenced on lock.fencingToken
 * ```
 */
export class HeldLock implements Lock {
  readonly key: string;
  readonly fencingToken: Rev;
  readonly lost$: Observable<void>;
  readonly signal: AbortSignal;
  protected readonly store: Store;
  protected readonly session: SessionImpl;
  protected readonly storedKey: Bytes;
  protected readonly what: string;
  private readonly slot: LocalSlot | undefined;
  private readonly controller = new AbortController();
  private readonly lostSubject = new AsyncSubject<void>();
  private state_: HeldState = 'held';
  private releasing: Promise<void> | undefined;
  private unwatch: (() => void) | undefined;
  private watchToken: object | undefined;
  /** The client's one watch of deletes, shared by every held lock (1,000 held locks: one server watcher). */
  private readonly deletes: SharedWatch;
  private unretain: (() => void) | undefined;
  /** Removes {@link onSessionEnd} from the session's signal. */
  private offSession: (() => void) | undefined;
  private readonly onSessionEnd = (): void => {
    const reason: unknown = this.session.signal.reason;
    if (reason instanceof ClosedError) this.end('closed', new ClosedError(`client closed; ${this.what} released`, { cause: reason }));
    else this.end('lost', new LockLostError(`${this.what} lost: session ended`, { cause: reason }));
  };

  constructor(init: HeldLockInit) {
    this.store = init.store;
    this.session = init.session;
    this.storedKey = init.storedKey;
    this.fencingToken = init.revision;
    this.slot = init.slot;
    this.what = init.what ?? 'lock';
    this.key = init.store.userKey(init.storedKey);
    this.signal = this.controller.signal;
    this.lost$ = this.lostSubject.asObservable();
    this.deletes = heldKeysWatch(init.store);
    if (this.session.signal.aborted) {
      this.onSessionEnd();
      return;
    }
    this.offSession = onAbort(this.session.signal, this.onSessionEnd); // (1,000 held locks: still one listener on the session)
    this.unretain = this.deletes.retain();
    this.watchAfter(init.revision);
    this.store.log.debug(`${this.what} acquired`, { key: this.key, fencingToken: this.fencingToken.toString() });
  }

  /** The state of the lock (see the module's table). */
  get state(): HeldState {
    return this.state_;
  }

  putIfHeld(key: string, value: string | Bytes, opts: { lease?: Rev } = {}): Promise<{ revision: Rev }> {
    checkKey(key);
    checkValue(value);
    if (opts.lease !== undefined) checkRevision(opts.lease, 'lease');
    const stored = this.store.key(key);
    const bytes = toBytes(value);
    checkSize(stored, bytes, this.store.maxRequestBytes);
    return this.fenced({ put: { key: stored, value: bytes, lease: opts.lease } }).then((revision) => ({ revision }));
  }

  async deleteIfHeld(key: string, opts: { prefix?: boolean } = {}): Promise<{ deleted: number; revision: Rev }> {
    if (opts.prefix) checkPrefix(key);
    else checkKey(key);
    const range = opts.prefix ? this.store.prefix(key) : { key: this.store.key(key) };
    let deleted = 0;
    const revision = await this.fenced({ deleteRange: range }, (responses) => {
      const op = responses[0] as { deleteRange?: { deleted: bigint } } | undefined;
      deleted = Number(op?.deleteRange?.deleted ?? 0n);
    });
    return { deleted, revision };
  }

  release(): Promise<void> {
    if (this.releasing) return this.releasing;
    if (this.state_ !== 'held') return (this.releasing = Promise.resolve());
    this.end('released', new ClosedError(`${this.what} released`), false);
    const stillNeeded = (): boolean => this.session.state === 'alive' && !this.store.closed;
    this.releasing = deleteGuardedWithRetry(this.store, this.storedKey, { revision: this.fencingToken }, stillNeeded).finally(() => this.slot?.release());
    return this.releasing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.release();
  }

  /** The error of an operation that needs the lock held, when it is not. */
  protected notHeldError(): LockLostError {
    const reason: unknown = this.signal.reason;
    if (this.state_ === 'lost' && reason instanceof LockLostError) return reason;
    return new LockLostError(`${this.what} is no longer held (${this.state_ === 'held' ? 'lost' : this.state_})`);
  }

  /** Runs `op` in a txn guarded by the lock key's create revision; a failed guard means the lock is lost. */
  protected async fenced(op: RequestOp, read?: (responses: readonly unknown[]) => void): Promise<Rev> {
    this.store.checkOpen();
    if (this.state_ !== 'held') throw this.notHeldError();
    const res = await this.store.txn({ compare: [heldCompare(this.storedKey, this.fencingToken)], success: [op], failure: [] });
    if (!res.succeeded) {
      this.end('lost', new LockLostError(`${this.what} key ${this.key} no longer has create revision ${this.fencingToken}`));
      throw this.notHeldError();
    }
    read?.(res.responses);
    return res.header.revision;
  }

  /** Ends the lock: `released` and `closed` complete `lost$`; `lost` emits first. */
  protected end(state: Exclude<HeldState, 'held'>, reason: Error, handOn = true): void {
    if (this.state_ !== 'held') return;
    this.state_ = state;
    if (state === 'lost') this.store.log.warn(`${this.what} lost before it was released`, { key: this.key, fencingToken: this.fencingToken.toString(), error: reason });
    else this.store.log.debug(`${this.what} ${state}`, { key: this.key, fencingToken: this.fencingToken.toString() });
    this.offSession?.();
    this.offSession = undefined;
    this.watchToken = undefined;
    const unwatch = this.unwatch;
    this.unwatch = undefined;
    unwatch?.();
    this.unretain?.();
    this.unretain = undefined;
    this.controller.abort(reason); // also wakes a resync waiting to retry
    if (state === 'lost') this.lostSubject.next();
    this.lostSubject.complete();
    if (handOn) this.slot?.release();
  }

  /** Follows the shared watch of deletes after revision `after` for the own key's delete. */
  private watchAfter(after: Rev): void {
    const token = {};
    this.watchToken = token;
    const mine = (): boolean => this.watchToken === token && this.state_ === 'held';
    const unwatch = this.deletes.follow(after, {
      next: (batch) => {
        if (!mine()) return;
        const gone = batch.events.some((e) => e.type === 'delete' && equals(e.kv.key, this.storedKey));
        if (gone) this.end('lost', new LockLostError(`${this.what} key ${this.key} was deleted`));
      },
      error: () => {
        if (!mine()) return;
        this.watchToken = undefined;
        this.unwatch = undefined;
        void this.resync();
      },
      complete: () => {
        if (mine()) this.end('closed', new ClosedError(`client closed; ${this.what} released`));
      },
    });
    if (!unwatch) {
      // Not started yet (usually: it starts before the acquire's txn answers), or started after `after`: a read fills the gap.
      this.deletes.started(this.signal).then(
        (startedAt) => {
          if (!mine()) return;
          if (startedAt <= after) this.watchAfter(after);
          else void this.resync();
        },
        () => {
          if (mine() && this.store.closed) this.end('closed', new ClosedError(`client closed; ${this.what} released`));
        },
      );
      return;
    }
    if (mine()) this.unwatch = unwatch;
    else unwatch();
  }

  /** After a failed watch: re-reads the own key, then watches again (or declares the lock lost). */
  private async resync(): Promise<void> {
    const backoff = new Backoff(100, 2000);
    while (this.state_ === 'held') {
      try {
        const res = await this.store.range({ key: this.storedKey, keysOnly: true });
        if (this.state_ !== 'held') return;
        const kv = res.kvs[0];
        if (!kv || kv.createRevision !== this.fencingToken) {
          this.end('lost', new LockLostError(`${this.what} key ${this.key} was deleted`));
        } else {
          this.watchAfter(res.header.revision);
        }
        return;
      } catch {
        await sleep(backoff.next(), this.signal).catch(() => undefined);
      }
    }
  }
}
