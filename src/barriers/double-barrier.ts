/**
 * Double barrier, in the layout of etcd's Go recipe (`recipe.NewDoubleBarrier`):
 * - `${name}/waiters/<unixNano>`: one key per participant, empty value, on the
 *   client's shared session lease (so a dead participant's key vanishes within the TTL);
 * - `${name}/ready`: put once `count` participants are in; its mod revision marks the round.
 *
 * ## Entering
 * `ready` is put at a revision after the round's keys were created, with the
 * create revision of the round's `count`-th participant as its value, so that a
 * participant that arrived in the same instant but beyond `count` knows it was
 * not admitted (Go participants write an empty value: everyone before it is
 * admitted). The participants of the current round are the waiter keys created
 * after the current `ready` (all of them when there is none). Every waiting
 * participant re-evaluates on each change of the barrier's keys (one shared
 * watch on `${name}/`):
 * | state of the round (keys by create revision) | action |
 * |---|---|
 * | `ready` put after my key, admitting my key | released: `enter()` resolves |
 * | `ready` put after my key, admitting only earlier keys | my key is deleted, `BarrierFullError` |
 * | my key is gone (session lost) | `enter()` rejects with `SessionLostError` |
 * | `count` keys (of any round: participants still inside count) were created before mine | my key is deleted, `BarrierFullError` |
 * | `count` participants, I am one of the first `count` | put `ready` (guarded: only if `ready` did not change) |
 * | fewer than `count` (e.g. one died: its key vanished with its lease) | keep waiting for newcomers |
 *
 * So, unlike the Go recipe, a round whose `count`-th participant dies before
 * putting `ready` does not hang: any participant that sees the full round puts it.
 * `enter()` first counts every waiter key: when there are already `count`, it is
 * refused with `BarrierFullError` before writing anything.
 *
 * ## Leaving
 * `leave()` deletes the participant's key, then waits until no key of its round
 * (created before the round's `ready`) remains; the one that sees the round empty
 * deletes `ready` (guarded by its mod revision). A participant that died is not
 * waited for beyond its session TTL: its key vanishes with its lease.
 *
 * Each `enter()` creates its own participant (a unique key), so several
 * participants may share one client and its session lease; `leave()` leaves
 * for the earliest participant of this object that has not left yet.
 * @module
 * @internal
 */
import type { ConclaveClient } from '../client.js';
import { ClosedError, InvalidArgumentError, SessionLostError, abortErrorOf, throwIfAborted } from '../errors.js';
import type { DoubleBarrier, WatchEvent } from '../types.js';
import { checkSignal } from '../validate.js';
import { linkSignals } from '../recipes/abort.js';
import { BarrierFullError } from '../recipes/errors.js';
import { Inbox } from '../recipes/inbox.js';
import { op, rangeOf, Store } from '../recipes/store.js';
import { uniqueNanos } from '../recipes/unique-key.js';

const EMPTY = new Uint8Array(0);

/** One participant: its key, and the round it was released in. */
interface Participant {
  key: string;
  createRevision: bigint;
  /** The round that released it: `ready`'s mod revision and the create revision of its last admitted participant. */
  round: Round;
}

/** A completed round, as `ready` records it. */
interface Round {
  /** `ready`'s mod revision (0 when there is no `ready`). */
  revision: bigint;
  /** Create revision of the round's `count`-th participant, from `ready`'s value; unbounded when written by a Go participant (empty value). */
  lastAdmitted: bigint;
}

const NO_ROUND: Round = { revision: 0n, lastAdmitted: 0n };
const UNBOUNDED = 2n ** 63n;

function roundOf(modRevision: bigint, value: Uint8Array): Round {
  const text = new TextDecoder().decode(value);
  return { revision: modRevision, lastAdmitted: /^[0-9]+$/.test(text) ? BigInt(text) : UNBOUNDED };
}

/**
 * Creates the double barrier `name` for `count` participants.
 *
 * @example
 * ```ts
 * const round = client.doubleBarrier('batch/42', 3);
 * await round.enter();   // resolves once 3 participants have entered
 * await work();
 * await round.leave();   // resolves once all 3 have left
 * ```
 */
export function createDoubleBarrier(client: ConclaveClient, name: string, count: number): DoubleBarrier {
  return new DoubleBarrierImpl(client, name, count);
}

class DoubleBarrierImpl implements DoubleBarrier {
  private readonly store: Store;
  private readonly entered: Participant[] = [];
  private readonly waitersPrefix: string;
  private readonly readyKey: string;

  constructor(
    private readonly client: ConclaveClient,
    private readonly name: string,
    private readonly count: number,
  ) {
    this.store = new Store(client);
    this.waitersPrefix = `${name}/waiters/`;
    this.readyKey = `${name}/ready`;
  }

  async enter(opts: { signal?: AbortSignal } = {}): Promise<void> {
    checkSignal(opts.signal);
    throwIfAborted(opts.signal);
    const waiters = this.store.prefix(this.waitersPrefix);
    const before = await this.store.range({ ...waiters, keysOnly: true }, opts.signal);
    if (before.kvs.filter((kv) => this.isWaiter(this.store.userKey(kv.key))).length >= this.count) throw new BarrierFullError(`double barrier ${this.name} already has ${this.count} participants`);

    const session = await this.client.core.session({ signal: opts.signal });
    const linked = linkSignals(opts.signal, session.signal);
    let mine: { key: string; revision: bigint } | undefined;
    try {
      mine = await this.createKey(session.lease);
      const round = await this.awaitRound(mine, linked.signal);
      this.entered.push({ key: mine.key, createRevision: mine.revision, round });
    } catch (error) {
      if (mine) await this.deleteQuietly(mine.key);
      throw linked.signal.aborted && !(error instanceof BarrierFullError) ? abortErrorOf(linked.signal) : error;
    } finally {
      linked.dispose();
    }
  }

  async leave(opts: { signal?: AbortSignal } = {}): Promise<void> {
    checkSignal(opts.signal);
    throwIfAborted(opts.signal);
    const me = this.entered[0];
    if (!me) throw new InvalidArgumentError(`leave() of double barrier ${this.name} without a matching enter()`);
    this.client.core.checkOpen();
    await this.store.deleteRange({ key: this.store.key(me.key) });
    if (this.entered[0] === me) this.entered.shift();
    const res = await this.store.range({ ...this.store.prefix(this.waitersPrefix), keysOnly: true }, opts.signal);
    const round = new Map<string, bigint>();
    for (const kv of res.kvs) {
      if (!this.isWaiter(this.store.userKey(kv.key))) continue;
      if (kv.createRevision <= me.round.lastAdmitted && kv.createRevision < me.round.revision) round.set(this.store.userKey(kv.key), kv.createRevision);
    }
    if (round.size > 0) {
      const inbox = new Inbox(this.client.watch(this.waitersPrefix, { prefix: true, fromRevision: res.header.revision + 1n }));
      try {
        while (round.size > 0) {
          const event = await inbox.next(opts.signal);
          if (event.type === 'delete') round.delete(event.key);
        }
      } finally {
        inbox.close();
      }
    }
    // The round is empty: retire its `ready` (unless a later round already replaced it).
    const ready = this.store.key(this.readyKey);
    await this.store.txn({
      compare: [{ target: 'mod', result: 'equal', key: ready, value: me.round.revision }],
      success: [op.del({ key: ready })],
      failure: [],
    });
  }

  /** Creates a unique waiter key on the session lease (Go's `newUniqueEphemeralKey`). */
  private async createKey(lease: bigint): Promise<{ key: string; revision: bigint }> {
    for (;;) {
      const key = `${this.waitersPrefix}${uniqueNanos()}`;
      const stored = this.store.key(key);
      const res = await this.store.txn({
        compare: [{ target: 'version', result: 'equal', key: stored, value: 0n }],
        success: [op.put({ key: stored, value: EMPTY, lease })],
        failure: [],
      });
      if (res.succeeded) return { key, revision: res.header.revision };
    }
  }

  /** Waits until the round of `mine` is complete; returns that round. */
  private async awaitRound(mine: { key: string; revision: bigint }, signal: AbortSignal): Promise<Round> {
    const snapshot = await this.store.txn({
      compare: [],
      success: [op.range({ ...this.store.prefix(this.waitersPrefix), keysOnly: true }), op.range({ key: this.store.key(this.readyKey) })],
      failure: [],
    });
    const waiters = new Map<string, bigint>();
    for (const kv of rangeOf(snapshot, 0).kvs) {
      const key = this.store.userKey(kv.key);
      if (this.isWaiter(key)) waiters.set(key, kv.createRevision);
    }
    const readyKv = rangeOf(snapshot, 1).kvs[0];
    let ready = readyKv ? roundOf(readyKv.modRevision, readyKv.value) : NO_ROUND;
    const inbox = new Inbox(this.client.watch(`${this.name}/`, { prefix: true, fromRevision: snapshot.header.revision + 1n }));
    const apply = (event: WatchEvent): void => {
      if (event.key === this.readyKey) ready = event.type === 'put' ? roundOf(event.revision, event.value) : NO_ROUND;
      else if (this.isWaiter(event.key)) {
        if (event.type === 'put') waiters.set(event.key, event.kv.createRevision);
        else waiters.delete(event.key);
      }
    };
    try {
      for (;;) {
        for (let event = inbox.poll(); event; event = inbox.poll()) apply(event);
        if (ready.revision > mine.revision) {
          if (mine.revision <= ready.lastAdmitted) return ready;
          throw new BarrierFullError(`double barrier ${this.name} filled up with ${this.count} participants before this one`);
        }
        if (!waiters.has(mine.key)) {
          throw this.client.core.closed ? new ClosedError() : new SessionLostError(`double barrier ${this.name}: the participant's key ${mine.key} vanished (session lost)`);
        }
        const all = [...waiters].sort((a, b) => (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
        // Keys before mine are only ever deleted, so my position only moves forward: past `count` now means refused for good.
        if (all.findIndex(([key]) => key === mine.key) >= this.count) {
          throw new BarrierFullError(`double barrier ${this.name} already has ${this.count} participants`);
        }
        const round = all.filter(([, rev]) => rev > ready.revision);
        if (round.length >= this.count) {
          const readyKey = this.store.key(this.readyKey);
          const lastAdmitted = round[this.count - 1]![1];
          const put = await this.store.txn({
            compare: [
              { target: 'mod', result: 'equal', key: readyKey, value: ready.revision },
              { target: 'create', result: 'equal', key: this.store.key(mine.key), value: mine.revision },
            ],
            success: [op.put({ key: readyKey, value: new TextEncoder().encode(lastAdmitted.toString()) })],
            failure: [],
          });
          if (put.succeeded) return { revision: put.header.revision, lastAdmitted };
          // Something changed (ready put by another participant, or my key gone): the watch tells what.
        }
        apply(await inbox.next(signal));
      }
    } finally {
      inbox.close();
    }
  }

  /** A participant key of this barrier: `${name}/waiters/<nanos>` (not a key of a longer name such as `${name}/waiters/x/...`). */
  private isWaiter(key: string): boolean {
    return key.startsWith(this.waitersPrefix) && /^[0-9]+$/.test(key.slice(this.waitersPrefix.length));
  }

  private async deleteQuietly(key: string): Promise<void> {
    try {
      await this.store.deleteRange({ key: this.store.key(key) });
    } catch {
      // closed or unreachable: the key is on the session lease and vanishes with it
    }
  }
}
