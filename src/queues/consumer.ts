/**
 * The consuming half shared by both queues: `dequeue()` (at-most-once) and
 * `claim()` (at-least-once) through the client's local dispatcher, decoding
 * the value with the queue's codec.
 * @module
 * @internal
 */
import type { Codec, QueueClaim } from '../types.js';
import { checkSignal } from '../validate.js';
import { DecodeError } from '../recipes/errors.js';
import type { Store } from '../recipes/store.js';
import { QueueClaimImpl } from './claim.js';
import { dispatcherFor, type TakenItem } from './dispatcher.js';
import type { QueueLayout } from './layout.js';

export class QueueConsumer<T> {
  constructor(
    private readonly store: Store,
    private readonly layout: QueueLayout,
    private readonly codec: Codec<T>,
  ) {}

  async dequeue(opts: { signal?: AbortSignal } = {}): Promise<T> {
    checkSignal(opts.signal);
    const item = await dispatcherFor(this.store, this.layout).enlist('take', opts.signal);
    return this.decode(item);
  }

  async claim(opts: { signal?: AbortSignal } = {}): Promise<QueueClaim<T>> {
    checkSignal(opts.signal);
    const item = await dispatcherFor(this.store, this.layout).enlist('claim', opts.signal);
    let value: T;
    try {
      value = this.decode(item);
    } catch (error) {
      // A value that cannot be decoded would come back forever: remove it, and hand its bytes over in the error.
      // If the ack fails, release the claim rather than leave the item hidden behind it.
      const poison = new QueueClaimImpl<undefined>(this.store, item, undefined);
      await poison.ack().catch(() => poison.release().catch(() => undefined));
      throw error;
    }
    return new QueueClaimImpl(this.store, item, value, () => dispatcherFor(this.store, this.layout).invalidate());
  }

  private decode(item: TakenItem): T {
    try {
      return this.codec.decode(item.value);
    } catch (cause) {
      throw new DecodeError(item.key, item.value, item.revision, { cause });
    }
  }
}
