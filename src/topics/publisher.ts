/**
 * A client's one writer of a topic: every `Topic` object of that client for that topic (and
 * retention) shares it. It makes the steady-state publish a single Put and enforces the
 * retention with ONE single-flight trimmer per client, never a trim per publisher.
 *
 * - **First publish** of the client on the topic: one txn that writes the message, deletes the
 *   messages older than `maxAgeMs` and counts the topic. That count, at that revision, is the
 *   trimmer's base.
 * - **Then each publish is one Put.** Its revision `r` bounds the topic's count without a read:
 *   every message key is written at a revision of its own, so the topic gained at most
 *   `r - R` keys since the base `(count C, revision R)`: `count(r) <= C + r - R` (the estimate).
 *   Other writes to etcd only make the estimate looser, never wrong.
 * - **The trimmer** (one pass at a time per client and topic): once the estimate passes
 *   `trimAt` (`maxMessages` + half the slack), a background pass reads the count and the
 *   oldest keys (one Range) and, if the topic holds more than `trimAt`, deletes the oldest down
 *   to `maxMessages`; its read is the new base, lowered by what the delete removed. A background
 *   pass does not send that delete itself: the client's next publish carries it (one txn: its
 *   Put and the DeleteRange), so the steady state costs exactly one write (revision) per
 *   message. A pass serving a publish that waits (below), or sweeping by age, deletes at once. The same pass sweeps the messages older than `maxAgeMs` when the last sweep is
 *   `sweepEveryMs` old (one key range up to the cutoff time, which the count trim's range
 *   extends). A delete computed from any past read leaves at least `maxMessages` keys: keys
 *   are only added after it (newer), and every trimmer deletes a prefix in key (time) order.
 * - **The bound.** A publish returns only once its estimate is at most
 *   `maxMessages + slack + 2 × (the client's other publishes of the topic in flight)`, awaiting
 *   trimmer passes if it is not: what lands during a pass (a read and a delete, one round trip
 *   each) is what the in-flight term covers. Since the check starts half a slack early, a
 *   client publishing one at a time never waits in the steady state; at 64 in flight under 1 %
 *   of publishes wait (measured).
 * @module
 * @internal
 */
import type { Bytes, PutRequest } from '../transport/index.js';
import { compareBytes, hex } from '../bytes.js';
import { op, rangeOf, type Store } from '../kit/store.js';
import { Registry } from '../kit/registry.js';
import { MessageKeys, timeField } from './layout.js';
import type { Retention } from './retention.js';

/** The writer of each topic, per client. */
const publishers = new Registry<Publisher>();

/** The count of the topic's message keys at a revision (the trimmer's base). */
interface Base {
  count: number;
  revision: bigint;
}

/** What a publish returning at a revision has to do about retention. */
type Due = 'none' | 'background' | 'wait';

/** The client's writer of the topic with user-key prefix `prefix` (see {@link Publisher}). */
export function publisherOf(store: Store, prefix: string, retention: Retention): Publisher {
  const id = `${hex(store.key(prefix))}|${retention.maxMessages}|${retention.maxAgeMs}`;
  return publishers.ensure(store.connection, id, () => new Publisher(store, prefix, retention));
}

/**
 * Publishes the messages of one topic for one client, and trims it (see the module comment).
 *
 * @example
 * ```ts
 * const writer = publisherOf(store, topicPrefix('orders'), resolveRetention(undefined));
 * const now = Date.now();
 * const revision = await writer.publish({ key: writer.nextKey(now), value: new TextEncoder().encode('{"id":1}') }, now);
 * ```
 */
export class Publisher {
  /** Message key suffixes of this client. */
  private readonly keys = new MessageKeys();
  /** The stored range of the message keys (they start with a digit; consumer-group keys sort after them). */
  private readonly range: { key: Bytes; rangeEnd: Bytes };
  /** Count at a revision; undefined until the first publish (or pass) read it. */
  private base: Base | undefined;
  /** The pass in progress (or the first publish's txn): the single flight; resolves false if it failed. */
  private current: Promise<boolean> | undefined;
  /** Highest revision a publish returned with: what the trimmer's estimate must cover. */
  private wanted = 0n;
  /** When the messages older than `maxAgeMs` were last deleted (client clock). */
  private lastSweep = -Infinity;
  /** Publishes of this client on this topic in flight. */
  private inFlight = 0;
  /** A count trim a background pass computed: the end of the oldest keys to delete, carried by the next publish. */
  private pendingTrim: Bytes | undefined;
  /** Publishes carrying a trim whose txn has not answered yet (their delete is part of the single flight). */
  private carrying = 0;
  /** A publish could not carry the pending trim (see {@link takeTrim}): the next pass deletes at once. */
  private noCarry = false;

  constructor(
    private readonly store: Store,
    private readonly prefix: string,
    private readonly retention: Retention,
  ) {
    this.range = store.between(`${prefix}0`, `${prefix}:`);
  }

  /** Whether the count is bounded. */
  private get counted(): boolean {
    return this.retention.maxMessages !== Infinity;
  }

  /** The stored key of a new message published at `now`. */
  nextKey(now: number): Bytes {
    return this.store.key(this.prefix + this.keys.next(now));
  }

  /** Writes the message `put` (its key from {@link nextKey} at `now`); resolves with its revision. */
  async publish(put: PutRequest, now: number): Promise<bigint> {
    this.inFlight++;
    try {
      const first = this.base === undefined && this.lastSweep === -Infinity && this.current === undefined;
      const trim = first ? undefined : this.takeTrim(put);
      const revision = first ? await this.publishFirst(put, now) : trim ? await this.putWithTrim(put, now, trim) : await this.putMessage(put, now);
      await this.settle(revision);
      return revision;
    } finally {
      this.inFlight--;
    }
  }

  /**
   * One Put. It asks for the previous value: a key is never written twice by one publisher, so a
   * previous value means another client drew the same random id and counter in the same
   * millisecond (2^-64 per pair of messages). The message it replaced is published again under a
   * fresh id, so nothing is lost (it gets a later revision than it first had).
   */
  private async putMessage(put: PutRequest, now: number): Promise<bigint> {
    const res = await this.store.put({ ...put, prevKv: true });
    if (res.prevKv) await this.republish(res.prevKv.value, now);
    return res.header.revision;
  }

  /**
   * The pending trim, if this publish can carry it: its key sorts after the range deleted (a txn may not put a key
   * it deletes; another publisher's clock may be ahead) and the txn stays within etcd's request size. If it cannot,
   * the trim is dropped and the next pass deletes at once (a trim that is never carried must not block trimming).
   */
  private takeTrim(put: PutRequest): Bytes | undefined {
    const end = this.pendingTrim;
    if (end === undefined) return undefined;
    this.pendingTrim = undefined;
    const size = put.value.length + 2 * put.key.length + this.range.key.length + end.length + 64;
    if (compareBytes(put.key, end) < 0 || size > this.store.maxRequestBytes) {
      this.noCarry = true;
      return undefined;
    }
    return end;
  }

  /** One txn: the message's Put (as {@link putMessage}) and the pending trim's DeleteRange, one revision. */
  private async putWithTrim(put: PutRequest, now: number, end: Bytes): Promise<bigint> {
    let res;
    this.carrying++;
    try {
      res = await this.store.txn({ compare: [], success: [op.put({ ...put, prevKv: true }), op.del({ key: this.range.key, rangeEnd: end })], failure: [] });
    } catch (error) {
      this.pendingTrim ??= end; // not known to be applied: the next publish carries it (deleting twice is harmless)
      throw error;
    } finally {
      this.carrying--;
    }
    const first = res.responses[0];
    const replaced = first && 'put' in first ? first.put.prevKv : undefined;
    if (replaced) await this.republish(replaced.value, now);
    const second = res.responses[1];
    this.trimmed(res.header.revision, second && 'deleteRange' in second ? second.deleteRange.deleted : 0n);
    return res.header.revision;
  }

  /** A delete of the oldest keys at `revision` removed `deleted`: the base is lowered (see {@link pass}). */
  private trimmed(revision: bigint, deleted: bigint): void {
    // Keys deleted after the base's read were counted there or added since (a revision each): either way they are gone.
    const current = this.base;
    if (current && current.revision < revision && deleted > 0n) {
      this.base = { count: Math.max(0, current.count - Number(deleted)), revision: current.revision };
    }
  }

  /** Publishes `value` (a message another client's colliding key replaced) again, under a fresh id. */
  private async republish(value: Bytes, now: number): Promise<void> {
    let replaced: Bytes | undefined = value;
    for (let tries = 0; replaced !== undefined && tries < 8; tries++) {
      this.keys.renew();
      const res = await this.store.put({ key: this.nextKey(now), value: replaced, prevKv: true });
      replaced = res.prevKv?.value; // drew another publisher's id again (astronomically unlikely): once more
    }
  }

  /** The first publish: put, age sweep and count in one txn (the base of the estimate). */
  private async publishFirst(put: PutRequest, now: number): Promise<bigint> {
    const ops = [op.put({ ...put, prevKv: true })];
    if (this.retention.maxAgeMs !== Infinity) ops.push(op.del({ key: this.range.key, rangeEnd: this.ageEnd(now) }));
    if (this.counted) ops.push(op.range({ ...this.range, countOnly: true }));
    const txn = this.store.txn({ compare: [], success: ops, failure: [] });
    const flight = (this.current = txn.then(
      () => true,
      () => false,
    ));
    try {
      const res = await txn;
      const replaced = res.responses[0] && 'put' in res.responses[0] ? res.responses[0].put.prevKv : undefined;
      if (replaced) await this.republish(replaced.value, now);
      if (this.counted) this.base = { count: Number(rangeOf(res, ops.length - 1).count), revision: res.header.revision };
      this.lastSweep = now;
      return res.header.revision;
    } finally {
      if (this.current === flight) this.current = undefined;
    }
  }

  /** Awaits trimmer passes while the publish at `revision` would leave the topic over its bound; starts one in the background when due. */
  private async settle(revision: bigint): Promise<void> {
    if (revision > this.wanted) this.wanted = revision;
    for (;;) {
      const due = this.due(revision);
      if (due === 'none') return;
      const pass = this.kick();
      if (due === 'background' || !(await pass)) return; // a failed pass: best effort, the next publish retries
    }
  }

  /** What the publish at `revision` needs (see the module comment). */
  private due(revision: bigint): Due {
    const { maxMessages, maxAgeMs, slack, trimAt, sweepEveryMs } = this.retention;
    let due: Due = maxAgeMs !== Infinity && Date.now() - this.lastSweep >= sweepEveryMs ? 'background' : 'none';
    if (maxMessages === Infinity) return due;
    if (this.base === undefined) return 'wait';
    const estimate = this.base.count + Number(revision > this.base.revision ? revision - this.base.revision : 0n);
    if (estimate > maxMessages + slack + 2 * Math.max(0, this.inFlight - 1)) return 'wait';
    // A pending trim (the next publish carries it) or one being carried is this client's trim in flight: no second pass.
    if (estimate > trimAt && this.pendingTrim === undefined && this.carrying === 0) due = 'background';
    return due;
  }

  /**
   * The pass in progress, or a new one: passes run one at a time, and again while the latest
   * publish still needs one. A waiting publish re-checks after each pass, not after the loop.
   */
  private kick(): Promise<boolean> {
    if (this.current) return this.current;
    void this.loop(); // never rejects: a pass catches its errors
    return this.current ?? Promise.resolve(true);
  }

  /**
   * Runs passes while due. While a publish waits (the estimate is past the bound), the next
   * pass reads as soon as the previous one has read, overlapping its delete: the trimmer's lag
   * is then one round trip, not two.
   */
  private async loop(): Promise<void> {
    try {
      let previous: Promise<boolean> | undefined;
      for (;;) {
        const { read, done } = this.pass(this.due(this.wanted) !== 'wait');
        this.current = done;
        const ok = await read;
        const due = ok && !this.store.closed ? this.due(this.wanted) : 'none';
        if (due !== 'wait') {
          if (!(await done) || due === 'none' || this.due(this.wanted) === 'none') break;
        }
        previous = done;
      }
      await previous;
    } finally {
      this.current = undefined;
    }
  }

  /**
   * One trimmer pass: reads the count and the oldest keys (`read` resolves then, the base
   * set), deletes the oldest down to `maxMessages` if over `trimAt`, and (when due) every
   * message older than `maxAgeMs` (`done` resolves then). Both resolve false on failure.
   * `carry`: a count trim alone is left to the next publish ({@link pendingTrim}) instead of sent.
   */
  private pass(carry: boolean): { read: Promise<boolean>; done: Promise<boolean> } {
    const { maxMessages, maxAgeMs, slack, trimAt, sweepEveryMs } = this.retention;
    const now = Date.now();
    const sweep = maxAgeMs !== Infinity && now - this.lastSweep >= sweepEveryMs;
    let end = sweep ? this.ageEnd(now) : undefined;
    const read = (async () => {
      if (!this.counted) return;
      const res = await this.store.range({ ...this.range, keysOnly: true, limit: BigInt(slack + this.inFlight) });
      const count = Number(res.count);
      if (!this.base || this.base.revision < res.header.revision) this.base = { count, revision: res.header.revision };
      const last = count > trimAt ? res.kvs[Math.min(count - maxMessages, res.kvs.length) - 1] : undefined;
      if (last) {
        const after = Uint8Array.of(...last.key, 0);
        if (end === undefined || compareBytes(after, end) > 0) end = after;
      }
    })();
    const done = read.then(async () => {
      if (end === undefined) return;
      if (carry && !sweep && !this.noCarry) {
        if (this.pendingTrim === undefined || compareBytes(end, this.pendingTrim) > 0) this.pendingTrim = end;
        return;
      }
      this.noCarry = false;
      const res = await this.store.deleteRange({ key: this.range.key, rangeEnd: end });
      if (sweep) this.lastSweep = now;
      if (this.pendingTrim !== undefined && compareBytes(end, this.pendingTrim) >= 0) this.pendingTrim = undefined; // done by this delete
      this.trimmed(res.header.revision, res.deleted);
    });
    // Unreachable or closed: retention is enforced again at the next publish.
    return {
      read: read.then(
        () => true,
        () => false,
      ),
      done: done.then(
        () => true,
        (error: unknown) => {
          this.store.log.debug('topic trim failed', { prefix: this.prefix, error: String(error) });
          return false;
        },
      ),
    };
  }

  /** The end of the stored keys published before `now - maxAgeMs`. */
  private ageEnd(now: number): Bytes {
    return this.store.key(this.prefix + timeField(now - this.retention.maxAgeMs));
  }
}
