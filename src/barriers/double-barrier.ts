/**
 * Double barrier, in the layout of etcd's Go recipe (`recipe.NewDoubleBarrier`), and
 * interoperable with Go participants:
 * - `${name}/waiters/<unixNano>`: one key per participant, empty value, on the client's shared
 *   session lease (so a dead participant's key vanishes within the TTL);
 * - `${name}/ready`: empty value, put once `count` participants are in.
 *
 * `enter()` ({@link ./double-barrier-enter.ts}) creates the participant's key only while the
 * barrier has fewer than `count` waiters (else `BarrierFullError`, nothing written) and waits
 * for `ready`. Unlike the Go recipe, a round whose `count`-th participant dies before putting
 * `ready` does not hang: any participant that sees the round full puts it; and a participant
 * that dies while the round fills up no longer counts.
 *
 * `leave()` ({@link ./double-barrier-leave.ts}) is Go's algorithm: the lowest participant
 * deletes its key last, after all others; the others delete theirs and wait for the lowest.
 *
 * Each `enter()` creates its own participant (a unique key), so several participants may share
 * one client and its session lease; `leave()` leaves for the earliest participant of this object
 * that has not left yet (and can be called again after it failed).
 * @module
 * @internal
 */
import { abortErrorOf, InvalidArgumentError } from '../errors.js';
import { checkWaitOptions, WaitScope } from '../kit/wait-scope.js';
import { BarrierFullError } from './errors.js';
import type { WaitOptions } from '../types.js';
import type { DoubleBarrier } from './api.js';
import { awaitRound, createOwnKey, deleteOwnKey } from './double-barrier-enter.js';
import { BarrierLayout } from './double-barrier-layout.js';
import type { Store } from '../kit/store.js';
import { leaveRound, type Participant } from './double-barrier-leave.js';

/**
 * Creates the double barrier `name` for `count` participants.
 *
 * @example
 * ```ts
 * const round = client.doubleBarrier('batch/42', 3);
 * await round.enter({ timeoutMs: 60_000 });   // resolves once 3 participants have entered
 * await work();
 * await round.leave();                        // resolves once all 3 have left
 * ```
 */
export function createDoubleBarrier(store: Store, name: string, count: number): DoubleBarrier {
  return new DoubleBarrierImpl(new BarrierLayout(store, name, count));
}

class DoubleBarrierImpl implements DoubleBarrier {
  /** Participants that entered and have not left, in order. */
  private readonly entered: Participant[] = [];
  /** Those a `leave()` is working on right now. */
  private readonly leaving = new Set<Participant>();

  constructor(private readonly layout: BarrierLayout) {}

  async enter(opts?: WaitOptions): Promise<void> {
    checkWaitOptions(opts);
    const scope = new WaitScope(opts);
    const watch = this.layout.watch();
    let unwatch: (() => void) | undefined;
    try {
      if (scope.signal.aborted) throw abortErrorOf(scope.signal);
      const session = await this.layout.store.session({ signal: scope.signal });
      scope.link(session.signal);
      // Retained before the key's create, so the watch has usually started by the time its txn answers.
      unwatch = watch.retain();
      const { mine, snapshot } = await createOwnKey(this.layout, session, scope.signal);
      try {
        const round = await awaitRound(this.layout, mine, snapshot, watch, scope.signal);
        this.entered.push({ key: mine.key, createRevision: mine.revision, round });
      } catch (error) {
        await deleteOwnKey(this.layout, this.layout.store.key(mine.key), { revision: mine.revision }, session);
        throw error;
      }
    } catch (error) {
      throw scope.signal.aborted && !(error instanceof BarrierFullError) ? abortErrorOf(scope.signal) : error;
    } finally {
      unwatch?.();
      scope.dispose();
    }
  }

  async leave(opts?: WaitOptions): Promise<void> {
    checkWaitOptions(opts);
    const scope = new WaitScope(opts);
    try {
      if (scope.signal.aborted) throw abortErrorOf(scope.signal);
      const me = this.entered.find((p) => !this.leaving.has(p));
      if (!me) throw new InvalidArgumentError(`leave() of double barrier ${this.layout.name} without a matching enter()`);
      this.layout.store.checkOpen();
      this.leaving.add(me);
      const watch = this.layout.watch();
      const unwatch = watch.retain();
      try {
        await leaveRound(this.layout, me, watch, scope.signal);
        this.entered.splice(this.entered.indexOf(me), 1);
      } finally {
        unwatch();
        this.leaving.delete(me);
      }
    } catch (error) {
      throw scope.signal.aborted ? abortErrorOf(scope.signal) : error;
    } finally {
      scope.dispose();
    }
  }
}
