/**
 * One registered instance, kept registered for as long as it is not
 * deregistered and the client is open.
 *
 * ## State machine
 * | state | event | next state / action |
 * |---|---|---|
 * | active | the key is deleted, or the session is lost (network fault past the TTL, lease revoked) | restoring |
 * | restoring | a fresh shared session is granted and the key is free (absent, or still on our old lease) | active: key written on the new lease |
 * | restoring | etcd unreachable | restoring: retry with backoff (100 ms .. 2 s) until it answers |
 * | active / restoring | another registration of the same id took the key (another client, or a later `register()` in this one) | displaced: `lost$` emits and completes; the key is left to the newcomer |
 * | any | `deregister()` | deregistered: key deleted (only if still ours; an unknown outcome is re-sent, and a failed `deregister()` can be called again), `lost$` completes without emitting |
 * | any | client closed | closed: the lease is revoked with the session, `lost$` completes without emitting |
 *
 * So `lost$` emits only when the registration cannot be restored because
 * someone else now owns that id; network faults are repaired silently.
 * @module
 * @internal
 */
import { AsyncSubject, type Observable } from 'rxjs';
import type { SessionImpl } from '../kit/store.js';
import type { WatchEvent } from '../types.js';
import type { Registration, ServiceInstance } from './api.js';
import { ConclaveError } from '../errors.js';
import { Backoff, sleep } from '../backoff.js';
import { WaitScope } from '../kit/wait-scope.js';
import { Inbox } from '../kit/inbox.js';
import { eventsAfter } from '../kit/follow-read.js';
import type { SharedWatch } from '../kit/shared-watch.js';
import { op, type Store } from '../kit/store.js';
import { serviceWatch } from './instances.js';

type State = 'active' | 'displaced' | 'deregistered' | 'closed';

/** Sends of the guarded delete per `deregister()` call before it rejects (each safe to repeat). */
const DELETE_ATTEMPTS = 4;

export class RegistrationImpl implements Registration {
  private readonly lostSubject = new AsyncSubject<void>();
  private readonly stop = new AbortController();
  private state: State = 'active';
  private revision = 0n;
  private deregistering: Promise<void> | undefined;
  private pendingDelete: { key: Uint8Array; lease: bigint } | undefined;
  readonly lost$: Observable<void> = this.lostSubject.asObservable();
  /** The client's one watch of the service (see `../kit/follow-read.ts`), held while registered. */
  private readonly watch: SharedWatch;
  private unwatch: (() => void) | undefined;

  constructor(
    private readonly store: Store,
    /** User key of the instance. */
    readonly key: string,
    /** The instance as registered. */
    readonly instance: ServiceInstance,
    private readonly value: Uint8Array,
    private session: SessionImpl,
    private readonly onEnd: (registration: RegistrationImpl) => void,
  ) {
    // Ids are URI-encoded (no '/'): the service's prefix is the key up to its last '/'.
    this.watch = serviceWatch(store, key.slice(0, key.lastIndexOf('/') + 1));
  }

  /** Writes the key (replacing any registration of the same id) and starts keeping it. */
  async start(): Promise<void> {
    // Retained before the put, so the watch has usually started by the time it answers (followed from its revision).
    this.unwatch = this.watch.retain();
    const res = await this.store.put({ key: this.store.key(this.key), value: this.value, lease: this.session.lease });
    this.revision = res.header.revision;
    void this.maintain();
  }

  /** A later registration of the same id in this client took over. */
  displace(): void {
    if (this.state !== 'active') return;
    this.end('displaced');
  }

  /**
   * Ends the registration and deletes its key if it is still ours (a delete guarded on our lease,
   * safe to send again). A delete whose outcome is unknown is re-sent a few times; if it still
   * fails, the call rejects and a later `deregister()` sends it again.
   */
  deregister(): Promise<void> {
    if (this.state === 'active') {
      this.pendingDelete = { key: this.store.key(this.key), lease: this.session.lease };
      this.end('deregistered');
    }
    const pending = this.pendingDelete;
    if (!pending || this.store.closed) return Promise.resolve();
    this.deregistering ??= this.deleteIfOurs(pending).then(
      () => {
        this.pendingDelete = undefined;
      },
      (error: unknown) => {
        this.deregistering = undefined;
        throw error;
      },
    );
    return this.deregistering;
  }

  private async deleteIfOurs({ key, lease }: { key: Uint8Array; lease: bigint }): Promise<void> {
    const backoff = new Backoff();
    for (let attempt = 1; ; attempt++) {
      try {
        await this.store.txn({ compare: [{ target: 'lease', result: 'equal', key, value: lease }], success: [op.del({ key })], failure: [] });
        return;
      } catch (error) {
        if (attempt >= DELETE_ATTEMPTS || !(error instanceof ConclaveError && error.retryable) || this.store.closed) throw error;
        await sleep(backoff.next());
      }
    }
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.deregister();
  }

  private end(state: Exclude<State, 'active'>): void {
    this.state = state;
    this.stop.abort();
    this.unwatch?.();
    if (state === 'displaced') this.lostSubject.next();
    this.lostSubject.complete();
    this.onEnd(this);
  }

  private async maintain(): Promise<void> {
    while (this.state === 'active') {
      const trouble = await this.watchForTrouble();
      if (trouble === 'displaced') return this.displace();
      if (trouble === 'stopped') break;
      const restored = await this.restore();
      if (restored === 'displaced') return this.displace();
      if (restored === 'stopped') break;
    }
    if (this.state === 'active' && this.store.closed) this.end('closed');
  }

  /** Waits until the key needs restoring, someone else took it, or the registration stops. */
  private async watchForTrouble(): Promise<'restore' | 'displaced' | 'stopped'> {
    const session = this.session;
    const linked = new WaitScope({ signal: this.stop.signal });
    linked.link(session.signal);
    let inbox: Inbox<WatchEvent> | undefined;
    try {
      while ((await this.watch.started(linked.signal)) > this.revision) {
        // The watch started after the key's last known write: read the key to follow it from there.
        const res = await this.store.range({ key: this.store.key(this.key), keysOnly: true }, linked.signal);
        const kv = res.kvs[0];
        if (!kv) return 'restore';
        if (kv.lease !== session.lease) return 'displaced';
        this.revision = res.header.revision;
      }
      inbox = new Inbox<WatchEvent>(eventsAfter(this.store, this.watch, this.revision));
      for (;;) {
        const event = await inbox.next(linked.signal);
        if (event.key !== this.key) continue;
        if (event.type === 'delete') return 'restore';
        if (event.kv.lease !== session.lease) return 'displaced';
        this.revision = event.revision;
      }
    } catch {
      if (this.stop.signal.aborted || this.store.closed) return 'stopped';
      return 'restore'; // session lost, or the watch failed (e.g. compacted): check and rewrite the key
    } finally {
      inbox?.close();
      linked.dispose();
    }
  }

  /** Rewrites the key on a live session if it is free (absent, or on one of our leases); retries until etcd answers. */
  private async restore(): Promise<'restored' | 'displaced' | 'stopped'> {
    const backoff = new Backoff(100, 2000);
    const key = this.store.key(this.key);
    while (this.state === 'active') {
      try {
        const previous = this.session.lease;
        const session = await this.store.session({ signal: this.stop.signal });
        const put = op.put({ key, value: this.value, lease: session.lease });
        const res = await this.store.txn({
          compare: [{ target: 'create', result: 'equal', key, value: 0n }],
          success: [put],
          failure: [
            {
              txn: {
                compare: [{ target: 'lease', result: 'equal', key, value: previous }],
                success: [put],
                failure: [],
              },
            },
          ],
        });
        const nested = res.responses[0];
        const written = res.succeeded || (nested !== undefined && 'txn' in nested && nested.txn.succeeded);
        if (!written) return 'displaced';
        this.session = session;
        this.revision = res.header.revision;
        return 'restored';
      } catch {
        if (this.stop.signal.aborted || this.store.closed) return 'stopped';
        await sleep(backoff.next(), this.stop.signal).catch(() => undefined);
      }
    }
    return 'stopped';
  }
}
