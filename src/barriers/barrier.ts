/**
 * Barrier, in the layout of etcd's Go recipe (`recipe.NewBarrier(client, name)`):
 * one key, exactly `name`, with an empty value and no lease. While the key
 * exists the barrier is held; deleting it releases every waiter.
 *
 * Unlike the Go recipe of etcd 3.4 (whose `Wait` reads `name` as a prefix and so
 * blocks on an unrelated `name0` or `name/x`), `wait()` reads and watches the
 * exact key only.
 * @module
 * @internal
 */
import type { ConclaveClient } from '../client.js';
import { throwIfAborted } from '../errors.js';
import type { Barrier } from '../types.js';
import { checkSignal } from '../validate.js';
import { Inbox } from '../recipes/inbox.js';
import { op, Store } from '../recipes/store.js';

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
export function createBarrier(client: ConclaveClient, name: string): Barrier {
  return new BarrierImpl(client, name);
}

class BarrierImpl implements Barrier {
  private readonly store: Store;

  constructor(
    private readonly client: ConclaveClient,
    private readonly name: string,
  ) {
    this.store = new Store(client);
  }

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
  async wait(opts: { signal?: AbortSignal } = {}): Promise<void> {
    checkSignal(opts.signal);
    throwIfAborted(opts.signal);
    const res = await this.store.range({ key: this.store.key(this.name), countOnly: true }, opts.signal);
    if (res.count === 0n) return;
    const inbox = new Inbox(this.client.watch(this.name, { fromRevision: res.header.revision + 1n }));
    try {
      for (;;) {
        const event = await inbox.next(opts.signal);
        if (event.type === 'delete') return;
      }
    } finally {
      inbox.close();
    }
  }
}
