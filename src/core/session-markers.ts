/**
 * Session markers: every session writes a small key under its lease,
 * `__conclave/session/<client id>/<lease hex>`, and ONE prefix watch per
 * client (through the watch hub) sees any marker deleted — the lease revoked
 * or expired — at once, instead of at the next keep-alive answer.
 * @module
 * @internal
 */
import { concat, hex, prefixEnd, toBytes } from '../bytes.js';
import type { Namespace } from './namespace.js';
import type { Bytes } from '../transport/index.js';
import type { WatchHub } from './watch-hub.js';

export class SessionMarkers {
  private readonly prefix: Bytes;
  private readonly onDeleted = new Map<string, () => void>();
  private unwatch: (() => void) | undefined;

  constructor(
    private readonly hub: WatchHub,
    root: Namespace,
    clientId: string,
  ) {
    this.prefix = root.key(toBytes(`__conclave/session/${clientId}/`));
  }

  /** The stored marker key of a lease. */
  keyOf(leaseHex: string): Bytes {
    return concat(this.prefix, toBytes(leaseHex));
  }

  /**
   * Calls `deleted` when the marker `key`, written at `revision`, is deleted.
   * Returns the function that stops watching it (the shared watch ends with the last marker).
   */
  watch(key: Bytes, revision: bigint, deleted: () => void): () => void {
    const id = hex(key);
    this.onDeleted.set(id, deleted);
    // An existing watch started before `revision`, so it will see this marker's delete too.
    if (!this.unwatch) this.subscribe(revision + 1n);
    return () => {
      if (this.onDeleted.get(id) === deleted) this.onDeleted.delete(id);
      if (this.onDeleted.size === 0) this.stop();
    };
  }

  private subscribe(fromRevision: bigint | undefined): void {
    const stop = this.hub.subscribe({ key: this.prefix, rangeEnd: prefixEnd(this.prefix), prevKv: false }, fromRevision, {
      prefixLength: 0,
      next: (batch) => {
        for (const e of batch.events) if (e.type === 'delete') this.onDeleted.get(hex(e.kv.key))?.();
      },
      error: () => {
        // (Compaction while resuming.) Keep-alives still guard every lease; watch again from now.
        if (this.unwatch !== stop) return;
        this.unwatch = undefined;
        queueMicrotask(() => {
          if (!this.unwatch && this.onDeleted.size > 0) this.subscribe(undefined);
        });
      },
      complete: () => {
        if (this.unwatch === stop) this.unwatch = undefined;
      },
    });
    this.unwatch = stop;
  }

  private stop(): void {
    const stop = this.unwatch;
    this.unwatch = undefined;
    stop?.();
  }
}
