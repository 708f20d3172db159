/**
 * The consuming half shared by both queues: `dequeue()` (at-most-once) and
 * `claim()` (at-least-once) through the client's local dispatcher, decoding
 * the value with the queue's codec.
 * @module
 * @internal
 */
import { checkWaitOptions, WaitScope } from '../kit/wait-scope.js';
import type { Codec, WaitOptions } from '../types.js';
import type { QueueClaim } from './api.js';
import { DecodeError } from '../kit/errors.js';
import type { Store } from '../kit/store.js';
import { QueueClaimImpl } from './claim.js';
import { dispatcherFor, type TakenItem } from './dispatcher.js';
import type { QueueLayout } from './layout.js';

export class QueueConsumer<T> {
  constructor(
    private readonly store: Store,
    private readonly layout: QueueLayout,
    private readonly codec: Codec<T>,
  ) {}

  async dequeue(opts: WaitOptions = {}): Promise<T> {
    const item = await this.enlist('take', opts);
    return this.decode(item);
  }

  async claim(opts: WaitOptions = {}): Promise<QueueClaim<T>> {
    const item = await this.enlist('claim', opts);
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
    return new QueueClaimImpl(this.store, item, value, (revision) => dispatcherFor(this.store, this.layout).released(item.suffix, revision));
  }

  /** Waits in the dispatcher's line, bounded by `signal` and `timeoutMs` (AbortError / TimeoutError). */
  private async enlist(mode: 'take' | 'claim', opts: WaitOptions): Promise<TakenItem> {
    checkWaitOptions(opts);
    const scope = new WaitScope(opts);
    try {
      return await dispatcherFor(this.store, this.layout).enlist(mode, scope.signal);
    } finally {
      scope.dispose();
    }
  }

  private decode(item: TakenItem): T {
    try {
      return this.codec.decode(item.value);
    } catch (cause) {
      throw new DecodeError(item.key, item.value, item.revision, { cause });
    }
  }
}
