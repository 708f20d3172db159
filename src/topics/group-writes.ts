/**
 * The writes of a consumer-group member, each safe under an ambiguous outcome
 * (the request may have been applied although its reply was lost): every one
 * is re-sent until it answers, and a re-send of an applied write either
 * changes nothing or fails its guard in a way the failure branch explains.
 *
 * | write | guard | a re-send of an applied write |
 * |---|---|---|
 * | {@link GroupWriter.ack} (batch: `done/<r>` for each) | our member key, low <= every r | rewrites the same marks, or finds low past them (done) |
 * | {@link GroupWriter.claim} (`claims/<r>` on our lease + `tries/<r>`) | no claim, not done, low <= r, owner key gone, tries unchanged | finds the claim on our lease: ours |
 * | {@link GroupWriter.deadLetter} (queue item + its error record + `done/<r>` = dead) | our key, not done, low <= r, item key free | finds `done/<r>`, or low past r: moved once (never in both, never in neither) |
 * | {@link GroupWriter.recordTry} (`tries/<r>`) | our member key, not done, low <= r | writes the same value again |
 * | {@link GroupWriter.advance} (`low`, deletes `done/` below it) | low unchanged | finds low moved: fine |
 * @module
 * @internal
 */
import { toBytes, utf8 } from '../bytes.js';
import type { SessionImpl } from '../kit/store.js';
import { ClosedError, ConclaveError } from '../errors.js';
import type { Compare, RequestOp, TxnRequest, TxnResponse } from '../transport/index.js';
import { Backoff, sleep } from '../backoff.js';
import { op, rangeOf, type Store } from '../kit/store.js';
import { uniqueNanos } from '../kit/unique-key.js';
import { deadLetterPuts, type JobErrorRecord } from '../kit/dead-letters.js';
import { padRevision, parseRevision, parseTries, type GroupLayout, type Tries } from './group-layout.js';

/** A message to mark done. */
export interface AckItem {
  revision: bigint;
  /** Whether a claim or tries record may exist (deleted with the mark). */
  cleanup: boolean;
}

export type ClaimResult = { result: 'claimed'; attempt: number } | { result: 'dead' } | { result: 'gone' };

const ABSENT = 0n;

export class GroupWriter {
  private readonly memberKey: Uint8Array;

  constructor(
    private readonly store: Store,
    private readonly layout: GroupLayout,
    readonly id: string,
    readonly session: SessionImpl,
    readonly createRevision: bigint,
  ) {
    this.memberKey = store.key(layout.membersPrefix + id);
  }

  /** Sends `request` until it answers; throws a non-retryable error, or the session's reason once it ended. */
  async send(request: TxnRequest): Promise<TxnResponse> {
    return sendRetrying(this.store, request, this.session);
  }

  private alive(): Compare {
    return { target: 'create', result: 'equal', key: this.memberKey, value: this.createRevision };
  }

  private lowAtMost(revision: bigint): Compare {
    return { target: 'value', result: 'less', key: this.store.key(this.layout.low), value: toBytes(padRevision(revision + 1n)) };
  }

  private absent(key: string): Compare {
    return { target: 'create', result: 'equal', key: this.store.key(key), value: ABSENT };
  }

  private read(key: string): RequestOp {
    return op.range({ key: this.store.key(key) });
  }

  /** Marks `items` done in one txn. `'lost'`: our member key is gone (nothing written for us). */
  async ack(items: AckItem[]): Promise<'ok' | 'lost'> {
    let batch = items;
    while (batch.length > 0) {
      const min = batch.reduce((m, i) => (i.revision < m ? i.revision : m), batch[0]!.revision);
      const success: RequestOp[] = [];
      for (const item of batch) {
        success.push(op.put({ key: this.store.key(this.layout.done(item.revision)), value: toBytes('ok') }));
        if (item.cleanup) success.push(op.del({ key: this.store.key(this.layout.tries(item.revision)) }), op.del({ key: this.store.key(this.layout.claim(item.revision)) }));
      }
      const res = await this.send({ compare: [this.alive(), this.lowAtMost(min)], success, failure: [op.range({ key: this.memberKey }), this.read(this.layout.low)] });
      if (res.succeeded) return 'ok';
      if (rangeOf(res, 0).kvs.length === 0) return 'lost';
      const low = this.lowOf(res, 1);
      batch = batch.filter((i) => i.revision >= low); // below low: done already (low only passes done messages)
    }
    return 'ok';
  }

  /**
   * Claims orphan `revision` (its owner `owner` gone, or none), counting the
   * delivery in `tries/<r>`; when `tries` already reached `maxDeliveries`,
   * moves it to the dead-letter queue instead, with the error record
   * `dead.record` makes of the counted tries.
   */
  async claim(
    revision: bigint,
    owner: string | null | undefined,
    tries: { modRevision: bigint; tries: Tries },
    maxDeliveries: number,
    dead: { queue: string; value: Uint8Array; record: (tries: Tries) => JobErrorRecord },
  ): Promise<ClaimResult> {
    let known = tries;
    let suffix = uniqueNanos();
    for (;;) {
      const item = `${dead.queue}/${suffix}`;
      const compare: Compare[] = [
        this.absent(this.layout.claim(revision)),
        this.absent(this.layout.done(revision)),
        this.lowAtMost(revision),
        { target: 'mod', result: 'equal', key: this.store.key(this.layout.tries(revision)), value: known.modRevision },
      ];
      if (typeof owner === 'string') compare.push({ target: 'create', result: 'equal', key: this.store.key(this.layout.membersPrefix + owner), value: ABSENT });
      const toDead = known.tries.attempts >= maxDeliveries;
      const attempt = known.tries.attempts + 1;
      const success = toDead
        ? [
            ...deadLetterPuts(this.store, dead.queue, suffix, dead.value, dead.record(known.tries)),
            op.put({ key: this.store.key(this.layout.done(revision)), value: toBytes('dead') }),
            op.del({ key: this.store.key(this.layout.tries(revision)) }),
          ]
        : [
            op.put({ key: this.store.key(this.layout.claim(revision)), value: toBytes(this.id), lease: this.session.lease }),
            op.put({ key: this.store.key(this.layout.tries(revision)), value: toBytes(JSON.stringify({ ...known.tries, attempts: attempt })) }),
          ];
      if (toDead) compare.push(this.absent(item));
      const failure = [this.read(this.layout.claim(revision)), this.read(this.layout.done(revision)), this.read(this.layout.low), this.read(this.layout.tries(revision))];
      if (typeof owner === 'string') failure.push(this.read(this.layout.membersPrefix + owner));
      if (toDead) failure.push(this.read(item));
      const res = await this.send({ compare, success, failure });
      if (res.succeeded) return toDead ? { result: 'dead' } : { result: 'claimed', attempt };
      const claim = rangeOf(res, 0).kvs[0];
      if (claim) {
        if (claim.lease !== this.session.lease) return { result: 'gone' };
        return { result: 'claimed', attempt: parseTries(utf8(rangeOf(res, 3).kvs[0]?.value ?? new Uint8Array())).attempts }; // a re-send of our applied claim
      }
      if (rangeOf(res, 1).kvs.length > 0 || this.lowOf(res, 2) > revision) return { result: 'gone' };
      if (typeof owner === 'string' && rangeOf(res, 4).kvs.length > 0) return { result: 'gone' }; // the owner lives: not an orphan
      const t = rangeOf(res, 3).kvs[0];
      known = { modRevision: t?.modRevision ?? ABSENT, tries: t ? parseTries(utf8(t.value)) : { attempts: 0 } };
      suffix = uniqueNanos();
    }
  }

  /** Records `attempts` deliveries (and the last error) of a message we hold. `'lost'`: our member key is gone; `'gone'`: done already. */
  async recordTry(revision: bigint, tries: Tries): Promise<'ok' | 'lost' | 'gone'> {
    const res = await this.send({
      // low <= r too: once low passed r its done mark is deleted, and a re-send must not write below low
      compare: [this.alive(), this.absent(this.layout.done(revision)), this.lowAtMost(revision)],
      success: [op.put({ key: this.store.key(this.layout.tries(revision)), value: toBytes(JSON.stringify(tries)) })],
      failure: [op.range({ key: this.memberKey })],
    });
    if (res.succeeded) return 'ok';
    return rangeOf(res, 0).kvs.length === 0 ? 'lost' : 'gone';
  }

  /** Moves a message we hold to the dead-letter queue `queue` (its original bytes, and its error record `rec` beside it) and marks it done, in one txn. */
  async deadLetter(revision: bigint, queue: string, value: Uint8Array, rec: JobErrorRecord): Promise<'ok' | 'lost'> {
    for (;;) {
      const suffix = uniqueNanos();
      const item = `${queue}/${suffix}`;
      const res = await this.send({
        // low <= r: a re-send after low passed r (deleting its done mark) must not move it twice
        compare: [this.alive(), this.absent(this.layout.done(revision)), this.lowAtMost(revision), this.absent(item)],
        success: [
          ...deadLetterPuts(this.store, queue, suffix, value, rec),
          op.put({ key: this.store.key(this.layout.done(revision)), value: toBytes('dead') }),
          op.del({ key: this.store.key(this.layout.tries(revision)) }),
          op.del({ key: this.store.key(this.layout.claim(revision)) }),
        ],
        failure: [op.range({ key: this.memberKey }), this.read(this.layout.done(revision)), this.read(this.layout.low)],
      });
      if (res.succeeded) return 'ok';
      // a re-send of our applied move (only the holder marks it; low passes only done messages)
      if (rangeOf(res, 1).kvs.length > 0 || this.lowOf(res, 2) > revision) return 'ok';
      if (rangeOf(res, 0).kvs.length === 0) return 'lost';
      // the item key was taken by an enqueue of the same nanosecond: pick another
    }
  }

  /** Moves the low mark from `from` to `to`, deleting the done marks below it. */
  async advance(from: bigint, to: bigint): Promise<boolean> {
    const res = await this.send({
      compare: [{ target: 'value', result: 'equal', key: this.store.key(this.layout.low), value: toBytes(padRevision(from)) }],
      success: [
        op.put({ key: this.store.key(this.layout.low), value: toBytes(padRevision(to)) }),
        op.del({ key: this.store.key(this.layout.done(from)), rangeEnd: this.store.key(this.layout.done(to)) }),
      ],
      failure: [],
    });
    return res.succeeded;
  }

  private lowOf(res: TxnResponse, index: number): bigint {
    const kv = rangeOf(res, index).kvs[0];
    const low = kv && parseRevision(utf8(kv.value));
    if (low === undefined) throw new ConclaveError(`consumer group ${this.layout.group}: its state key ${this.layout.low} is missing or malformed`, { code: 'GROUP_STATE' });
    return low;
  }
}

/** Sends `request` until it answers: re-sent after retryable errors while `session` lives (a re-send must be harmless: see the table above). */
export async function sendRetrying(store: Store, request: TxnRequest, session?: SessionImpl): Promise<TxnResponse> {
  const backoff = new Backoff(50, 1000);
  for (;;) {
    if (session && session.state !== 'alive') throw session.signal.reason;
    try {
      return await store.txn(request);
    } catch (error) {
      if (error instanceof ClosedError || !(error instanceof ConclaveError) || !error.retryable) throw error;
      await sleep(backoff.next(), session?.signal).catch(() => undefined);
    }
  }
}
