/**
 * Delayed items (`enqueue(value, { delayMs })`): written beside the queue at
 * `__jobs/<enc(name)>/d/<due>/<nanos>[~<priority>]` (see `job-keys.ts`), so no
 * consumer — Go's recipes included — sees them before they are due. When due,
 * a promoter moves each into the queue in one txn (delete the delayed key,
 * guarded by its mod revision; put the item as an ordinary enqueue would):
 * never in both places, never in neither; promoters of several processes race
 * harmlessly (the guard lets one win). Keys sort by due time and promoters
 * move them in key order, so items come out FIFO by due time.
 *
 * Promoters run inside `process()` calls (one per queue per client, shared).
 * Due times are the producer's clock (`Date.now()` + `delayMs`): clocks of
 * producers and consumers should agree to within the precision wanted.
 * @module
 * @internal
 */
import { ClosedError, InvalidArgumentError } from '../errors.js';
import { Backoff, sleep } from '../backoff.js';
import { Registry } from '../kit/registry.js';
import { sharedWatch, type SharedWatch } from '../kit/shared-watch.js';
import { op, type Store } from '../kit/store.js';
import { uniqueNanos } from '../kit/unique-key.js';
import { MAX_TIMER_MS } from '../validate.js';
import { delayedKeyOf, delayedPrefixOf, parseDelayedKey } from './job-keys.js';
import type { QueueLayout } from './layout.js';
import { putSequential } from './sequential.js';

/** Items moved per read. */
const BATCH = 64n;

/** Checks a `delayMs`. */
export function checkDelay(delayMs: unknown): asserts delayMs is number {
  if (typeof delayMs !== 'number' || !Number.isFinite(delayMs) || delayMs < 0 || delayMs > MAX_TIMER_MS) {
    throw new InvalidArgumentError(`delayMs must be a number between 0 and ${MAX_TIMER_MS}, got ${String(delayMs)}`);
  }
}

/** Writes a delayed item (version == 0 guard, as the recipes' unique keys). Not re-sent after an unknown outcome. */
export async function enqueueDelayed(store: Store, name: string, bytes: Uint8Array, delayMs: number, priority?: number): Promise<void> {
  const due = Date.now() + delayMs;
  for (;;) {
    const key = store.key(delayedKeyOf(name, due, uniqueNanos(), priority));
    const res = await store.txn({
      compare: [{ target: 'version', result: 'equal', key, value: 0n }],
      success: [op.put({ key, value: bytes })],
      failure: [],
    });
    if (res.succeeded) return;
  }
}

interface Running {
  users: number;
  controller: AbortController;
}

const promoters = new Registry<Running>();

/**
 * Starts (or joins) the promoter of `layout`'s queue in `store`'s client;
 * returns the function that leaves it (the last one out stops it).
 */
export function joinPromoter(store: Store, layout: QueueLayout): () => void {
  const map = promoters.table(store.connection);
  const id = `${layout.kind}:${layout.name}:${store.userKey(store.key(''))}`;
  let running = map.get(id);
  if (!running) {
    running = { users: 0, controller: new AbortController() };
    map.set(id, running);
    void promote(store, layout, running.controller.signal);
  }
  running.users++;
  const mine = running;
  let left = false;
  return () => {
    if (left) return;
    left = true;
    if (--mine.users === 0) {
      mine.controller.abort(new ClosedError('promoter stopped'));
      if (map.get(id) === mine) map.delete(id);
    }
  };
}

/** The promoter loop: move every due item; wait until the next is due or a delayed item is put. */
async function promote(store: Store, layout: QueueLayout, signal: AbortSignal): Promise<void> {
  const prefix = delayedPrefixOf(layout.name);
  const backoff = new Backoff(100, 2_000);
  // The client's one watch of the delayed items, held while the promoter runs (opened before its first read).
  const watch = sharedWatch(store, store.prefix(prefix));
  const unwatch = watch.retain();
  try {
    while (!signal.aborted && !store.closed) {
      try {
        const res = await store.range({ ...store.prefix(prefix), sortTarget: 'key', sortOrder: 'ascend', limit: BATCH }, signal);
        let nextDue: number | undefined;
        for (const kv of res.kvs) {
          const key = store.userKey(kv.key);
          const parsed = parseDelayedKey(layout.name, key);
          if (!parsed) continue;
          if (parsed.dueMs > Date.now()) {
            nextDue = parsed.dueMs;
            break;
          }
          if (signal.aborted) return;
          await moveIn(store, layout, kv.key, kv.modRevision, kv.value, parsed.priority);
        }
        backoff.reset();
        if (res.more && nextDue === undefined) continue;
        await waitForChange(watch, res.header.revision, nextDue, signal);
      } catch {
        if (signal.aborted || store.closed) return;
        await sleep(backoff.next(), signal).catch(() => undefined);
      }
    }
  } finally {
    unwatch();
  }
}

/**
 * Moves one due item into the queue, in one txn guarded by the delayed key's
 * mod revision. A failed guard means another promoter moved it; an unknown
 * outcome is settled by the next read (the delayed key is gone if it was applied).
 */
async function moveIn(store: Store, layout: QueueLayout, stored: Uint8Array, modRevision: bigint, value: Uint8Array, priority?: number): Promise<void> {
  const guard = { target: 'mod' as const, result: 'equal' as const, key: stored, value: modRevision };
  if (layout.kind === 'priority') {
    await putSequential(store, layout.name, priority ?? 0, value, { compare: [guard], success: [op.del({ key: stored })] });
    return;
  }
  for (;;) {
    const key = store.key(`${layout.name}/${uniqueNanos()}`);
    const res = await store.txn({
      compare: [guard, { target: 'version', result: 'equal', key, value: 0n }],
      success: [op.del({ key: stored }), op.put({ key, value })],
      failure: [op.range({ key: stored, keysOnly: true })],
    });
    if (res.succeeded) return;
    const still = res.responses[0] && 'range' in res.responses[0] ? res.responses[0].range.kvs[0] : undefined;
    if (still?.modRevision !== modRevision) return; // another promoter moved it
  }
}

/** The reason of a wait's local abort when the next item is due. */
const DUE = Symbol('due');

/**
 * Waits until `dueMs` (if any) or a delayed item is put after `revision`, on the promoter's
 * watch (see `../kit/follow-read.ts`); returns at once when that watch does not cover `revision`
 * (the caller reads again).
 */
async function waitForChange(watch: SharedWatch, revision: bigint, dueMs: number | undefined, signal: AbortSignal): Promise<void> {
  const wait = dueMs === undefined ? undefined : Math.min(Math.max(0, dueMs - Date.now()) + 1, MAX_TIMER_MS);
  const local = new AbortController();
  const onAbort = (): void => local.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  const due = wait === undefined ? undefined : setTimeout(() => local.abort(DUE), wait);
  try {
    if (signal.aborted) onAbort();
    await watch.waitFor(revision, local.signal, (batch) => batch.events.some((e) => e.type === 'put'));
  } catch (error) {
    if (local.signal.reason === DUE && !signal.aborted) return;
    throw error;
  } finally {
    clearTimeout(due);
    signal.removeEventListener('abort', onAbort);
  }
}
