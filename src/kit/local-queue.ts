/**
 * In-process FIFO queues in front of session-keyed locks.
 *
 * A Go-style mutex or election key is `${name}/${leaseIdHex}`: one key per
 * name and session. Every lock and election of a client shares one session
 * lease, so two `acquire()`s (or `campaign()`s) of the same name in one client
 * would map to the same etcd key and both "hold" it. They take a slot of this
 * queue first: one slot per stored name prefix and core, handed over FIFO.
 * Mutexes and elections of the same name (same stored prefix) share one queue,
 * since they would share one key.
 * @module
 * @internal
 */
import { hex } from '../bytes.js';
import { abortErrorOf } from '../errors.js';
import { Registry } from './registry.js';
import type { Store } from './store.js';

/** The right to use a session key; `release()` hands it to the next local waiter. */
export interface LocalSlot {
  /** Idempotent. */
  release(): void;
}

interface Waiter {
  resolve(slot: LocalSlot): void;
}

/** A FIFO of local users of one session key. */
export class LocalQueue {
  private busy = false;
  private readonly waiters: Waiter[] = [];

  constructor(private readonly onIdle: () => void) {}

  /** Number of local users holding or waiting (for tests and stats). */
  get size(): number {
    return (this.busy ? 1 : 0) + this.waiters.length;
  }

  /** A slot now if the key is free and nobody waits; otherwise `undefined`. Never waits. */
  tryTake(): LocalSlot | undefined {
    if (this.busy) return undefined;
    this.busy = true;
    return this.slot();
  }

  /** Waits for the slot, FIFO. Rejects with the abort error of `signal`. */
  take(signal: AbortSignal): Promise<LocalSlot> {
    if (signal.aborted) return Promise.reject(abortErrorOf(signal));
    const now = this.tryTake();
    if (now) return Promise.resolve(now);
    return new Promise<LocalSlot>((resolve, reject) => {
      const waiter: Waiter = {
        resolve: (slot) => {
          signal.removeEventListener('abort', onAbort);
          resolve(slot);
        },
      };
      const onAbort = (): void => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(abortErrorOf(signal));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  private slot(): LocalSlot {
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        const next = this.waiters.shift();
        if (next) {
          next.resolve(this.slot());
          return;
        }
        this.busy = false;
        this.onIdle();
      },
    };
  }
}

const queues = new Registry<LocalQueue>();

/** The local queue of the session key under `prefix` (a user key prefix such as `${name}/`) in `store`'s namespace. */
export function localQueueFor(store: Store, prefix: string): LocalQueue {
  return queues.ensure(store.connection, hex(store.key(prefix)), (forget) => new LocalQueue(forget));
}
