/**
 * One membership of a consumer group, from join to leave:
 *
 * 1. read the group's state (creating it at `startAt` if it is new);
 * 2. register: ONE txn puts our member key on a fresh session lease and reads
 *    every member key, so we know the member set at our registration revision `M`;
 * 3. watch the group's state from the revision read in 1, and the topic
 *    (messages and member keys, in revision order) from the group's low mark;
 * 4. run our share (see `group-view.ts`, `deliveries.ts`) until stopped, the
 *    session is lost, or a stream can no longer be resumed;
 * 5. leave: wait for running handlers and marks, move the low mark, revoke the
 *    lease (our member key and claims go with it: others take over what we held).
 *
 * When the topic's history from the low mark is compacted (a group that was
 * stopped for long, or an outage with a compaction) the messages are read from
 * what the topic retains, provided it still holds a message at or before the
 * low mark (so nothing after it was trimmed); otherwise `CompactedError`.
 * @module
 * @internal
 */
import type { Subscription } from 'rxjs';
import { hex, toBytes, utf8 } from '../bytes.js';
import type { SessionImpl } from '../kit/store.js';
import { onAbort } from '../abort-listeners.js';
import { ClosedError, CompactedError } from '../errors.js';
import type { Rev, WatchEvent } from '../types.js';
import { op, rangeOf, type Store } from '../kit/store.js';
import { Deliveries, type DeliveryConfig } from './deliveries.js';
import { memberIdOf, padRevision, parseRevision, parseStateKey, parseTries, type GroupLayout } from './group-layout.js';
import { GroupView } from './group-view.js';
import { GroupWriter, sendRetrying } from './group-writes.js';
import { isMessageKey } from './layout.js';

/** Messages read per page when replaying retained messages. */
const REPLAY_PAGE = 256n;

export interface MemberContext<T> {
  store: Store;
  layout: GroupLayout;
  startAt: 'latest' | 'earliest' | Rev;
  config: DeliveryConfig<T>;
}

/** How a membership ended: stopped by the caller, or to be started again (session lost, stream compacted). */
export type MemberEnd = 'stopped' | 'rejoin';

/** Runs one membership until it ends; rejects with `CompactedError`, `ClosedError` or a non-retryable error. */
export async function runMembership<T>(ctx: MemberContext<T>, stop: AbortSignal): Promise<MemberEnd> {
  const { store, layout } = ctx;
  const session = await store.newSession();
  try {
    const state = await store.range(store.prefix(layout.statePrefix));
    const stored = state.kvs.map((kv) => store.toKeyValue(kv));
    const lowKv = stored.find((kv) => kv.key === layout.low);
    const low = (lowKv && parseRevision(utf8(lowKv.value))) ?? (await createGroup(store, layout, ctx.startAt, state.header.revision));
    const id = hex(globalThis.crypto.getRandomValues(new Uint8Array(8)));
    const reg = await store.txn({
      compare: [],
      success: [op.put({ key: store.key(layout.membersPrefix + id), value: toBytes(''), lease: session.lease }), op.range(store.prefix(layout.membersPrefix))],
      failure: [],
    });
    const registered = reg.header.revision;
    const members = new Map<string, bigint>();
    for (const kv of rangeOf(reg, 1).kvs) {
      const member = memberIdOf(layout, store.userKey(kv.key));
      if (member !== undefined) members.set(member, kv.createRevision);
    }
    const view = new GroupView(id, members.get(id) ?? registered, members, low);
    view.position = low - 1n;
    for (const kv of stored) {
      const k = parseStateKey(layout, kv.key);
      if (k?.kind === 'done') view.markDone(k.revision);
      else if (k?.kind === 'claims') view.claims.set(k.revision, kv.lease);
      else if (k?.kind === 'tries') view.tries.set(k.revision, { modRevision: kv.modRevision, tries: parseTries(utf8(kv.value)) });
    }
    const writer = new GroupWriter(store, layout, id, session, view.selfCreate);
    return await new Membership(ctx, session, view, writer, stop).run(state.header.revision + 1n);
  } finally {
    await session.close();
  }
}

class Membership<T> {
  private readonly deliveries: Deliveries<T>;
  private readonly cleanups: (() => void)[] = [];
  private ending = false;
  private resolve!: (end: MemberEnd) => void;
  private reject!: (error: unknown) => void;

  constructor(
    private readonly ctx: MemberContext<T>,
    private readonly session: SessionImpl,
    private readonly view: GroupView,
    writer: GroupWriter,
    private readonly stop: AbortSignal,
  ) {
    this.deliveries = new Deliveries(view, writer, ctx.config, (error) => this.onFailure(error));
  }

  run(groupFrom: bigint): Promise<MemberEnd> {
    return new Promise<MemberEnd>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
      const { store, layout } = this.ctx;
      const onStop = (): void => void this.end('stopped');
      const onLost = (): void => void this.end(store.closed ? new ClosedError() : 'rejoin', true);
      this.cleanups.push(onAbort(this.stop, onStop));
      this.cleanups.push(onAbort(this.session.signal, onLost));
      this.keep(
        store.watch(layout.statePrefix, { prefix: true, fromRevision: groupFrom }).subscribe({
          next: (e) => this.onGroupEvent(e),
          error: (e: unknown) => void this.end(e instanceof CompactedError ? 'rejoin' : e),
          complete: () => void this.end(new ClosedError()),
        }),
      );
      this.follow(this.view.low);
      if (this.stop.aborted) onStop();
      if (this.session.signal.aborted) onLost();
    });
  }

  /** Watches the topic from `from`; on a compaction, replays what the topic retains, or ends. */
  private follow(from: bigint): void {
    if (this.ending) return;
    const sub = this.ctx.store.watch(this.ctx.layout.topicPrefix, { prefix: true, fromRevision: from }).subscribe({
      next: (e) => this.onTopicEvent(e),
      error: (e: unknown) => {
        if (!(e instanceof CompactedError)) return void this.end(e);
        // Member keys changed after our registration would be missing from a replay of retained keys: join again.
        if (e.compactRevision > this.view.selfCreate + 1n) return void this.end('rejoin');
        this.replay(this.view.position + 1n, e.compactRevision).then(
          () => this.follow(e.compactRevision),
          (error: unknown) => void this.end(error),
        );
      },
      complete: () => void this.end(new ClosedError()),
    });
    this.keep(sub);
  }

  private keep(sub: Subscription): void {
    this.cleanups.push(() => sub.unsubscribe());
  }

  /** Delivers the retained messages with revisions in `[from, to)`, if the topic provably retains every one. */
  private async replay(from: bigint, to: bigint): Promise<void> {
    if (from >= to) return;
    const { store, layout } = this.ctx;
    const range = store.between(`${layout.topicPrefix}0`, `${layout.topicPrefix}:`);
    const oldest = await store.range({ ...range, sortTarget: 'mod', sortOrder: 'ascend', limit: 1n, keysOnly: true });
    const first = oldest.kvs[0]?.modRevision;
    if (first === undefined || first > from) throw new CompactedError(to);
    let min = from;
    let revision: bigint | undefined;
    for (;;) {
      const page = await store.range({ ...range, revision, minModRevision: min, maxModRevision: to - 1n, sortTarget: 'mod', sortOrder: 'ascend', limit: REPLAY_PAGE });
      revision ??= page.header.revision;
      for (const wire of page.kvs) {
        const kv = store.toKeyValue(wire);
        this.onTopicEvent({ type: 'put', key: kv.key, value: kv.value, revision: kv.modRevision, kv });
      }
      const last = page.kvs[page.kvs.length - 1];
      if (!page.more || !last) return;
      min = last.modRevision + 1n;
    }
  }

  private onTopicEvent(e: WatchEvent): void {
    if (this.ending) return;
    const { layout } = this.ctx;
    const member = memberIdOf(layout, e.key);
    if (member === undefined) {
      if (e.type === 'put' && isMessageKey(e.key, layout.topicPrefix)) {
        const m = this.view.addMessage(e.revision, e.key.slice(layout.topicPrefix.length), e.value);
        if (m) this.deliveries.consider(m);
      } else this.view.advance(e.revision);
      return;
    }
    this.view.advance(e.revision);
    if (e.revision <= this.view.selfCreate) return; // the registration snapshot has it
    if (e.type === 'put') {
      this.view.memberPut(member, e.kv.createRevision);
      return;
    }
    this.view.memberDeleted(member);
    if (member === this.view.self) void this.end('rejoin', true);
    else this.deliveries.rescan();
  }

  private onGroupEvent(e: WatchEvent): void {
    const k = parseStateKey(this.ctx.layout, e.key);
    if (!k || this.ending) return;
    if (k.kind === 'low') {
      const low = e.type === 'put' ? parseRevision(utf8(e.value)) : undefined;
      if (low !== undefined) this.view.setLow(low);
    } else if (k.kind === 'done') {
      if (e.type === 'put') this.deliveries.onDone(k.revision);
    } else if (k.kind === 'claims') {
      if (e.type === 'put') this.view.claims.set(k.revision, e.kv.lease);
      else if (this.view.claims.delete(k.revision) && !this.view.done.has(k.revision)) this.deliveries.rescan();
    } else if (e.type === 'put') this.view.tries.set(k.revision, { modRevision: e.revision, tries: parseTries(utf8(e.value)) });
    else this.view.tries.delete(k.revision);
  }

  private onFailure(error: unknown): void {
    if (this.session.state !== 'alive') void this.end(this.ctx.store.closed ? new ClosedError() : 'rejoin', true);
    else void this.end(error);
  }

  /** Leaves: stops taking messages, lets running handlers settle (aborting them when the messages are lost), then settles `run()`. */
  private async end(how: MemberEnd | unknown, lost = false): Promise<void> {
    if (this.ending) return;
    this.ending = true;
    this.deliveries.stopIntake();
    if (lost || how instanceof ClosedError) this.deliveries.handlerAbort.abort(this.session.signal.reason ?? new ClosedError());
    await this.deliveries.idle();
    if (how === 'stopped') await this.deliveries.advanceNow();
    this.deliveries.dispose();
    for (const cleanup of this.cleanups.splice(0)) cleanup();
    if (how === 'stopped' || how === 'rejoin') this.resolve(how);
    else this.reject(how);
  }
}

/** Creates the group's low mark at `startAt` unless another member did first; returns the low mark. */
async function createGroup(store: Store, layout: GroupLayout, startAt: 'latest' | 'earliest' | Rev, readAt: bigint): Promise<bigint> {
  let start: bigint;
  if (startAt === 'latest') start = readAt + 1n;
  else if (startAt === 'earliest') {
    const range = store.between(`${layout.topicPrefix}0`, `${layout.topicPrefix}:`);
    const oldest = await store.range({ ...range, sortTarget: 'mod', sortOrder: 'ascend', limit: 1n, keysOnly: true });
    start = oldest.kvs[0]?.modRevision ?? readAt + 1n;
  } else start = startAt;
  const low = store.key(layout.low);
  const res = await sendRetrying(store, {
    compare: [{ target: 'create', result: 'equal', key: low, value: 0n }],
    success: [op.put({ key: low, value: toBytes(padRevision(start)) })],
    failure: [op.range({ key: low })],
  });
  if (res.succeeded) return start;
  const existing = rangeOf(res, 0).kvs[0];
  return (existing && parseRevision(utf8(existing.value))) ?? start;
}
