/**
 * Read/write lock with the layout and algorithm of etcd's Go
 * `recipes.RWMutex`: each acquisition creates a unique key
 * `${name}/read/${nanos}` or `${name}/write/${nanos}` on the session lease; a
 * reader holds when no writer key is older than its own, a writer when no key
 * at all is older. Each waits only on its immediate relevant predecessor (the
 * newest older writer, or the newest older key), so a release wakes one waiter,
 * and a writer is never starved: readers that come after it wait for it.
 * @module
 * @internal
 */
import { RW_SUFFIX, UNIQUE_SUFFIX } from '../kit/own-keys.js';
import type { Store } from '../kit/store.js';
import { checkWaitOptions, WaitScope } from '../kit/wait-scope.js';
import type { WaitOptions } from '../types.js';
import type { Lock, RWLock } from './api.js';
import { acquireQueuedKey, type QueuedKeyLockSpec } from './queued-key-lock.js';

class RWLockImpl implements RWLock {
  private readonly read: QueuedKeyLockSpec;
  private readonly write: QueuedKeyLockSpec;

  constructor(
    private readonly store: Store,
    name: string,
  ) {
    this.read = { keyPrefix: `${name}/read`, blockersPrefix: `${name}/write/`, slots: 1, blockersShape: UNIQUE_SUFFIX, watchPrefix: `${name}/` };
    this.write = { keyPrefix: `${name}/write`, blockersPrefix: `${name}/`, slots: 1, blockersShape: RW_SUFFIX, watchPrefix: `${name}/` };
  }

  readLock(opts: WaitOptions = {}): Promise<Lock> {
    return this.acquire(this.read, opts);
  }

  writeLock(opts: WaitOptions = {}): Promise<Lock> {
    return this.acquire(this.write, opts);
  }

  private async acquire(spec: QueuedKeyLockSpec, opts: WaitOptions): Promise<Lock> {
    checkWaitOptions(opts);
    this.store.checkOpen();
    const scope = new WaitScope(opts);
    try {
      return (await acquireQueuedKey(this.store, spec, scope))!;
    } finally {
      scope.dispose();
    }
  }
}

/**
 * A read/write lock named `name` (many readers or one writer), compatible with Go's `recipe.NewRWMutex(s, name)`.
 *
 * @example
 * ```ts
 * const rw = client.rwlock('catalog');
 * await using read = await rw.readLock();            // shared with other readers
 * await using write = await rw.writeLock({ timeoutMs: 5000 }); // exclusive
 * ```
 */
export function createRWLock(store: Store, name: string): RWLock {
  return new RWLockImpl(store, name);
}
