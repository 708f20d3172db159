/**
 * Election rows: `campaign`, `proclaim`, `resign`. Invariants: a failed campaign leaves no
 * phantom candidate (a peer is elected at once while the faulty client lives); a leader's
 * peer must wait; a retried proclaim/resign succeeds and takes effect; terms' fencing tokens
 * strictly increase, also the faulty client's next term; the fenced history shows one leader
 * at a time.
 */
import type { Leadership } from '../../../src/index.js';
import { FencedLog } from './fenced.js';
import type { AmbiguousCase } from './run.js';
import { BLOCKED_MS, STEP_MS, type World } from './steps.js';

const utf8 = new TextDecoder();

/** The peer's term once the subject is out, then the subject's next term: tokens strictly increase. */
async function terms(w: World, fenced: FencedLog, after: bigint | undefined, phantomKind: string): Promise<void> {
  let last = after;
  const next = await w.log.step('peer campaign after the subject is out', w.peer.election('e').campaign('peer', { signal: AbortSignal.timeout(STEP_MS) }), STEP_MS + 2_000, phantomKind);
  if (next.ok) {
    const term = next.value;
    if (last !== undefined) w.log.that(term.revision > last, 'token-order', `peer term ${term.revision} is not above ${last}`);
    last = term.revision;
    await fenced.write(term, 'peer', term.revision);
    await w.log.step('peer resign', term.resign(), STEP_MS);
  }
  const again = await w.log.step('subject campaign again', w.subject.election('e').campaign('again', { signal: AbortSignal.timeout(STEP_MS) }), STEP_MS + 2_000);
  if (again.ok) {
    if (last !== undefined) w.log.that(again.value.revision > last, 'token-order', `subject's next term ${again.value.revision} is not above ${last}`);
    await fenced.write(again.value, 'subject', again.value.revision);
    await w.log.step('subject resign', again.value.resign(), STEP_MS);
  }
  await fenced.check(w);
}

const campaign: AmbiguousCase<undefined> = {
  name: 'election.campaign',
  prepare: async () => undefined,
  op: (w) => w.subject.election('e').campaign('subject', { signal: AbortSignal.timeout(STEP_MS) }),
  async verify(w, _s, out) {
    const fenced = await FencedLog.open(w);
    let token: bigint | undefined;
    if (out.ok) {
      const term = out.value as Leadership;
      token = term.revision;
      const leader = await w.observer.election('e').leader();
      w.log.that(leader?.revision === term.revision, 'leader', `leader() is ${leader?.key} at ${leader?.revision}, the subject's term is ${term.revision}`);
      await fenced.write(term, 'subject', token);
      await w.log.stillBlocked('peer campaign while the subject leads', (signal) => w.peer.election('e').campaign('peer', { signal }), BLOCKED_MS, 'two-leaders');
      await w.log.step('subject resign', term.resign(), STEP_MS);
    }
    await terms(w, fenced, token, out.ok ? 'blocked-after-resign' : 'phantom-candidate');
  },
};

const proclaim: AmbiguousCase<Leadership> = {
  name: 'election.proclaim',
  prepare: (w) => w.subject.election('e').campaign('v0', { signal: AbortSignal.timeout(STEP_MS) }),
  op: (_w, term) => term.proclaim('v1'),
  async verify(w, term, out) {
    const fenced = await FencedLog.open(w);
    if (!out.ok) await w.log.step('retried proclaim', term.proclaim('v1'), STEP_MS, 'retry-failed');
    const leader = await w.observer.election('e').leader();
    w.log.that(leader !== undefined && utf8.decode(leader.value) === 'v1', 'proclaim-lost', `leader value is ${leader && utf8.decode(leader.value)}, not v1`);
    w.log.that(!term.signal.aborted, 'term-lost', 'the term ended because of the lost proclaim reply');
    await fenced.write(term, 'subject', term.revision);
    await w.log.step('subject resign', term.resign(), STEP_MS);
    await terms(w, fenced, term.revision, 'blocked-after-resign');
  },
};

const resign: AmbiguousCase<Leadership> = {
  name: 'election.resign',
  prepare: (w) => w.subject.election('e').campaign('v0', { signal: AbortSignal.timeout(STEP_MS) }),
  op: (_w, term) => term.resign(),
  async verify(w, term, out) {
    const fenced = await FencedLog.open(w);
    if (!out.ok) await w.log.step('retried resign (idempotent)', term.resign(), STEP_MS, 'retry-failed');
    w.log.that(term.signal.aborted, 'signal', 'term.signal not aborted after resign');
    await terms(w, fenced, term.revision, 'phantom-leader');
  },
};

/** Every election row. */
export const electionCases = [campaign, proclaim, resign] as AmbiguousCase<unknown>[];
