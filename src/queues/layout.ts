/**
 * Key layouts of the queues, compatible with etcd's Go recipes:
 * - FIFO queue (`recipe.NewQueue(client, name)`): items at `${name}/<unixNano>`
 *   (key.go `newUniqueKV`), served in create-revision order.
 * - Priority queue (`recipe.NewPriorityQueue(client, name)`): items at
 *   `${name}/%05d/%016d` (priority, then a per-priority sequence allocated by
 *   key.go `newSequentialKV` with its bookkeeping key `__${name}/%05d`), served
 *   in key order: lower priority number first, FIFO within a priority.
 *
 * Claims (the at-least-once mode, a Conclave addition) are marker keys
 * `__claims/<encodeURIComponent(name)>/<item suffix>` on the claimant's session
 * lease, outside the recipes' prefixes so Go consumers never mistake them for items.
 * @module
 * @internal
 */
import type { StoredRange, Store } from '../kit/store.js';

export interface QueueLayout {
  /** `'queue'` or `'priority'`. */
  readonly kind: string;
  /** The queue's name. */
  readonly name: string;
  /** User-key prefix holding the items (watched for new ones). */
  readonly itemsPrefix: string;
  /** User-key prefix holding the claim markers. */
  readonly claimsPrefix: string;
  /** How the scan orders items: by create revision or by key. */
  readonly order: 'create' | 'key';
  /** The stored range scanned for items. */
  itemsRange(store: Store): StoredRange;
  /** The part of `key` after the items prefix if `key` is an item of this queue, else undefined. */
  itemSuffix(key: string): string | undefined;
}

/** Priorities the `%05d` layout encodes (Go's `uint16`). */
export const MAX_PRIORITY = 65_535;

const FIFO_SUFFIX = /^[0-9]+$/;
const PRIORITY_SUFFIX = /^[0-9]{5}\/[0-9]{16}$/;

export function claimsPrefixOf(name: string): string {
  return `__claims/${encodeURIComponent(name)}/`;
}

export function fifoLayout(name: string): QueueLayout {
  const itemsPrefix = `${name}/`;
  return {
    kind: 'queue',
    name,
    itemsPrefix,
    claimsPrefix: claimsPrefixOf(name),
    order: 'create',
    // Digits only: `${name}/0` up to `${name}/:` (':' follows '9'), so a queue `${name}/x` is not scanned.
    itemsRange: (store) => store.between(`${itemsPrefix}0`, `${itemsPrefix}:`),
    itemSuffix: (key) => suffixIf(key, itemsPrefix, FIFO_SUFFIX),
  };
}

export function priorityLayout(name: string): QueueLayout {
  const itemsPrefix = `${name}/`;
  return {
    kind: 'priority',
    name,
    itemsPrefix,
    claimsPrefix: claimsPrefixOf(name),
    order: 'key',
    itemsRange: (store) => store.between(`${itemsPrefix}0`, `${itemsPrefix}:`),
    itemSuffix: (key) => suffixIf(key, itemsPrefix, PRIORITY_SUFFIX),
  };
}

/** `%05d` of a priority. */
export function priorityField(priority: number): string {
  return String(priority).padStart(5, '0');
}

/** `%016d` of a sequence number. */
export function sequenceField(sequence: bigint): string {
  return sequence.toString().padStart(16, '0');
}

function suffixIf(key: string, prefix: string, shape: RegExp): string | undefined {
  if (!key.startsWith(prefix)) return undefined;
  const suffix = key.slice(prefix.length);
  return shape.test(suffix) ? suffix : undefined;
}
