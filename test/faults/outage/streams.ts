/**
 * Compaction-during-outage rows for the streams: watch subscribers (one that had received
 * nothing yet, one that had), topic `messages$` (with `onCompacted` `'error'` and
 * `'retained'`), election `leader$` and services `instances$`. A stream must deliver every
 * event written during the outage, in order, once — or, where history is its contract (watch,
 * topic in `'error'` mode), end with `CompactedError`; never skip silently. `leader$` and
 * `instances$` show state, not history: they must reach the current state, with no error.
 */
import type { Leader, ServiceInstance } from '../../../src/index.js';
import { CompactedError } from '../../../src/index.js';
import { checkStream, type StreamMessage } from '../checkers/stream-history.js';
import { Counter } from '../support.js';
import { STEP_MS, type World } from '../ambiguous/steps.js';
import { inPlace, type OutageCase } from './run.js';

const utf8 = new TextDecoder();

interface StreamState {
  received: StreamMessage[];
  count: Counter;
  errors: unknown[];
  expected: StreamMessage[];
  stop: () => void;
}

/** Waits until `s` received `last` or errored (bounded), then stops it. */
async function settleStream(s: StreamState, last: bigint): Promise<void> {
  const deadline = Date.now() + STEP_MS;
  while ((s.received.at(-1)?.revision ?? 0n) < last && Date.now() < deadline && s.errors.length === 0) {
    await s.count.reach(s.count.value + 1, Math.max(1, deadline - Date.now())).catch(() => undefined);
  }
  s.stop();
}

/** Records the stream's violations: complete and in order, or a `CompactedError` when `mayCompact`. */
function judge(w: World, s: StreamState, mayCompact: boolean): void {
  const error = s.errors[0];
  if (error !== undefined) {
    w.log.that(mayCompact && error instanceof CompactedError, 'stream-error', `the stream ended with ${String(error)}`);
    w.log.note(`ended with ${(error as Error).name} after ${s.received.length} message(s)`);
    // What did arrive must still be a gap-free, ordered prefix of the truth.
    const got = new Set(s.received.map((m) => m.id));
    const prefix = s.expected.filter((m, i) => i < s.received.length || got.has(m.id));
    for (const v of checkStream('subscriber', prefix, s.received)) w.log.that(false, v.kind, v.detail);
    return;
  }
  for (const v of checkStream('subscriber', s.expected, s.received)) w.log.that(false, v.kind, `${v.detail} (no error: skipped silently)`);
}

function watchCase(receivedBefore: boolean): OutageCase<StreamState> {
  return {
    name: receivedBefore ? 'watch (had received events)' : 'watch (had received nothing yet)',
    async start(w) {
      const s: StreamState = { received: [], count: new Counter(), errors: [], expected: [], stop: () => undefined };
      const before = w.subject.stats().watchSubscribers;
      const sub = w.subject.watch('w/', { prefix: true }).subscribe({
        next: (e) => {
          s.received.push({ revision: e.revision, id: utf8.decode(e.value) });
          s.count.add();
        },
        error: (e: unknown) => {
          s.errors.push(e);
          s.count.add(); // wake the waiter
        },
      });
      s.stop = () => sub.unsubscribe();
      if (receivedBefore) {
        const { revision } = await w.peer.put('w/0', 'v0');
        s.expected.push({ revision, id: 'v0' });
        await s.count.reach(1, STEP_MS, 'the first event');
      } else await inPlace(w, before);
      return s;
    },
    async during(w, s) {
      for (let i = 1; i <= 3; i++) s.expected.push({ revision: (await w.peer.put(`w/${i}`, `v${i}`)).revision, id: `v${i}` });
    },
    async verify(w, s) {
      const last = (await w.peer.put('w/end', 'end')).revision;
      s.expected.push({ revision: last, id: 'end' });
      await settleStream(s, last);
      judge(w, s, true);
    },
    keeps: (key) => key.startsWith('w/'), // the test's own data
  };
}

function topicCase(mode: 'error' | 'retained'): OutageCase<StreamState> {
  return {
    name: `topic messages$ (onCompacted '${mode}')`,
    async start(w) {
      const s: StreamState = { received: [], count: new Counter(), errors: [], expected: [], stop: () => undefined };
      const sub = w.subject
        .topic<{ id: string }>('t')
        .messages$({ onCompacted: mode })
        .subscribe({
          next: (m) => {
            s.received.push({ revision: m.revision, id: m.value.id });
            s.count.add();
          },
          error: (e: unknown) => {
            s.errors.push(e);
            s.count.add(); // wake the waiter
          },
        });
      s.stop = () => sub.unsubscribe();
      const { revision } = await w.peer.topic<{ id: string }>('t').publish({ id: 'm0' });
      s.expected.push({ revision, id: 'm0' });
      await s.count.reach(1, STEP_MS, 'the first message');
      return s;
    },
    async during(w, s) {
      for (let i = 1; i <= 3; i++) s.expected.push({ revision: (await w.peer.topic<{ id: string }>('t').publish({ id: `m${i}` })).revision, id: `m${i}` });
    },
    async verify(w, s) {
      const last = (await w.peer.topic<{ id: string }>('t').publish({ id: 'end' })).revision;
      s.expected.push({ revision: last, id: 'end' });
      await settleStream(s, last);
      judge(w, s, mode === 'error');
    },
    keeps: () => true, // retained messages
  };
}

interface StateStream<T> {
  latest: T | undefined;
  emissions: number;
  errors: unknown[];
  stop: () => void;
}

/** Waits (bounded) until `ok(latest)` or an error. */
async function until<T>(s: StateStream<T>, ok: (v: T | undefined) => boolean): Promise<boolean> {
  const deadline = Date.now() + STEP_MS;
  while (!ok(s.latest) && s.errors.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  return ok(s.latest);
}

const leader: OutageCase<StateStream<Leader> & { end?: () => Promise<void> }> = {
  name: 'election leader$',
  async start(w) {
    const s: StateStream<Leader> = { latest: undefined, emissions: 0, errors: [], stop: () => undefined };
    const sub = w.subject.election('e').leader$.subscribe({
      next: (l) => {
        s.latest = l;
        s.emissions++;
      },
      error: (e: unknown) => s.errors.push(e),
    });
    s.stop = () => sub.unsubscribe();
    const deadline = Date.now() + STEP_MS;
    while (s.emissions === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    return s;
  },
  async during(w, s) {
    const term = await w.peer.election('e').campaign('p1', { signal: AbortSignal.timeout(STEP_MS) });
    await term.proclaim('p2');
    s.end = () => term.resign();
  },
  async verify(w, s) {
    const reached = await until(s, (l) => l !== undefined && utf8.decode(l.value) === 'p2');
    w.log.that(s.errors.length === 0, 'stream-error', `leader$ errored: ${String(s.errors[0])}`);
    w.log.that(reached, 'stale-state', `leader$ shows ${s.latest ? utf8.decode(s.latest.value) : 'no leader'}, not p2`);
    s.stop();
    await s.end?.();
  },
};

const instances: OutageCase<StateStream<ServiceInstance[]> & { end?: () => Promise<void> }> = {
  name: 'services instances$',
  async start(w) {
    const s: StateStream<ServiceInstance[]> = { latest: undefined, emissions: 0, errors: [], stop: () => undefined };
    const sub = w.subject.services('svc').instances$.subscribe({
      next: (list) => {
        s.latest = list;
        s.emissions++;
      },
      error: (e: unknown) => s.errors.push(e),
    });
    s.stop = () => sub.unsubscribe();
    const deadline = Date.now() + STEP_MS;
    while (s.emissions === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    return s;
  },
  async during(w, s) {
    const reg = await w.peer.services('svc').register({ id: 'i1', address: 'h:1' });
    s.end = () => reg.deregister();
  },
  async verify(w, s) {
    const reached = await until(s, (list) => (list ?? []).some((i) => i.id === 'i1'));
    w.log.that(s.errors.length === 0, 'stream-error', `instances$ errored: ${String(s.errors[0])}`);
    w.log.that(reached, 'stale-state', `instances$ shows ${JSON.stringify(s.latest?.map((i) => i.id))}, not i1`);
    s.stop();
    await s.end?.();
  },
};

/** Every stream row. */
export const streamOutageCases = [watchCase(false), watchCase(true), topicCase('error'), topicCase('retained'), leader, instances] as OutageCase<unknown>[];
