/**
 * Public contracts of the barriers: {@link Barrier} and {@link DoubleBarrier}.
 * @module
 */
import type { WaitOptions } from '../types.js';

/**
 * A barrier (etcd's `recipe.Barrier` layout): `hold()` raises it, `release()` lowers it, `wait()` blocks while it is up.
 *
 * @example
 * ```ts
 * // The coordinator holds the barrier; workers wait until it is released.
 * const gate = client.barrier('deploy/gate');
 * await gate.hold();
 * const waiting = client.barrier('deploy/gate').wait({ signal: AbortSignal.timeout(60_000) });
 * await gate.release(); // every wait() returns
 * ```
 */
export interface Barrier {
  hold(): Promise<void>;
  release(): Promise<void>;
  wait(opts?: WaitOptions): Promise<void>;
}

/**
 * A double barrier (etcd's `recipe.DoubleBarrier` layout) for `count` participants: they enter together and leave together.
 *
 * @example
 * ```ts
 * const phase = client.doubleBarrier('batch/42', 3);
 * await phase.enter(); // returns when 3 participants have entered
 * await computeMyShard();
 * await phase.leave(); // returns when all 3 have left
 * ```
 */
export interface DoubleBarrier {
  /** Returns when `count` participants have entered. */
  enter(opts?: WaitOptions): Promise<void>;
  /** Returns when every participant has left. */
  leave(opts?: WaitOptions): Promise<void>;
}
