/**
 * Barrier, in the layout of etcd's Go recipe (`recipe.NewBarrier(client, name)`):
 * one key, exactly `name`, with an empty value and no lease. While the key
 * exists the barrier is held; deleting it releases every waiter.
 *
 * Unlike the Go recipe of etcd 3.4 (whose `Wait` reads `name` as a prefix and so
 * blocks on an unrelated `name0` or `name/x`), `wait()` reads and watches the
 * exact key only, on the client's one watch of the key (see `../kit/follow-read.ts`: no server
 * watcher from a past revision). When that watch does not cover the read (it started after it,
 * or its history was compacted in an outage), it reads the key again: gone, or created anew
 * since, means it was released.
 * @module
 * @internal
 */
import { abortErrorOf } from '../errors.js';
import { singleKey } from '../kit/follow-read.js';
import { sharedWatch } from '../kit/shared-watch.js';
import { checkWaitOptions, WaitScope } from '../kit/wait-scope.js';
import type { WaitOptions } from '../types.js';
import type { Barrier } from './api.js';
import { op, Store } from '../kit/store.js';

const EMPTY = new Uint8Array(0);

/**
 * Creates the barrier `name`.
 *
 * @example
 * ```ts
 * const gate = client.barrier('deploy/gate');
 * await gate.hold();                 // workers calling gate.wait() now block
 * await gate.release();              // ...and are all released
 * ```
 */
export function createBarrier(store: Store, name: string): Barrier {
  return new BarrierImpl(store, name);
}

class BarrierImpl implements Barrier {
  constructor(
    private readonly store: Store,
    private readonly name: string,
  ) {}

  /** Creates the barrier key if absent (idempotent; Go's `Hold` fails instead when it exists). */
  async hold(): Promise<void> {
    const key = this.store.key(this.name);
    await this.store.txn({
      compare: [{ target: 'create', result: 'equal', key, value: 0n }],
      success: [op.put({ key, value: EMPTY })],
      failure: [],
    });
  }

  /** Deletes the barrier key, releasing every waiter. Idempotent. */
  async release(): Promise<void> {
    await this.store.deleteRange({ key: this.store.key(this.name) });
  }

  /** Returns at once if the key is absent, else when it is deleted. */
  async wait(opts?: WaitOptions): Promise<void> {
    checkWaitOptions(opts);
    const scope = new WaitScope(opts);
    // The client's one watch of the key while anyone waits on it, opened before the read (see `follow-read.ts`).
    const key = this.store.key(this.name);
    const watch = sharedWatch(this.store, singleKey(key));
    const unwatch = watch.retain();
    try {
      if (scope.signal.aborted) throw abortErrorOf(scope.signal);
      let res = await this.store.range({ key, keysOnly: true }, scope.signal);
      const held = res.kvs[0];
      if (!held) return;
      for (;;) {
        if ((await watch.waitDelete([key], res.header.revision, scope.signal)) === 'done') return;
        // The watch does not cover the read (it started later, or its history was compacted): read again.
        // Released meanwhile if the key is gone or was created anew.
        res = await this.store.range({ key, keysOnly: true }, scope.signal);
        if (res.kvs[0]?.createRevision !== held.createRevision) return;
      }
    } catch (error) {
      throw scope.signal.aborted ? abortErrorOf(scope.signal) : error;
    } finally {
      unwatch();
      scope.dispose();
    }
  }
}
