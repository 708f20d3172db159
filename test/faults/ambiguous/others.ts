/**
 * Rows for topic `publish`, service registry `register` / `deregister`, and sessions
 * (`session()`: lease grant + marker; `close()`). Invariants: a subscriber sees every
 * acknowledged message once, in order (a publish retried after an unknown outcome may add its
 * first attempt, nothing else); one instance per id, gone at once after deregister; a session
 * whose creation failed or that was closed leaves no lease alive.
 */
import type { Registration, Session, TopicMessage } from '../../../src/index.js';
import { checkStream, type StreamMessage } from '../checkers/stream-history.js';
import { Counter } from '../support.js';
import type { AmbiguousCase, Participants } from './run.js';
import { STEP_MS, type World } from './steps.js';

interface Subscribed {
  received: StreamMessage[];
  count: Counter;
  errors: string[];
  stop: () => void;
  m0: bigint;
}

type Msg = { id: string };

const publish: AmbiguousCase<Subscribed> = {
  name: 'topic.publish',
  async prepare(w) {
    const received: StreamMessage[] = [];
    const count = new Counter();
    const errors: string[] = [];
    const sub = w.observer.topic<Msg>('t').messages$().subscribe({
      next: (m: TopicMessage<Msg>) => {
        received.push({ revision: m.revision, id: m.value.id });
        count.add();
      },
      error: (e: unknown) => errors.push(String(e)),
    });
    const { revision } = await w.peer.topic<Msg>('t').publish({ id: 'm0' });
    await count.reach(1, STEP_MS, 'the subscriber to see m0');
    return { received, count, errors, stop: () => sub.unsubscribe(), m0: revision };
  },
  op: (w) => w.subject.topic<Msg>('t').publish({ id: 'm1.0' }),
  async verify(w, s, out) {
    const expected: StreamMessage[] = [{ revision: s.m0, id: 'm0' }];
    const maybe = new Set<string>();
    if (out.ok) expected.push({ revision: (out.value as { revision: bigint }).revision, id: 'm1.0' });
    else {
      maybe.add('m1.0');
      const again = await w.log.step('retried publish', w.subject.topic<Msg>('t').publish({ id: 'm1.1' }), STEP_MS, 'retry-failed');
      if (again.ok) expected.push({ revision: again.value.revision, id: 'm1.1' });
    }
    const last = await w.peer.topic<Msg>('t').publish({ id: 'm2' });
    expected.push({ revision: last.revision, id: 'm2' });
    const deadline = Date.now() + STEP_MS;
    while ((s.received.at(-1)?.revision ?? 0n) < last.revision && Date.now() < deadline && s.errors.length === 0) {
      await s.count.reach(s.count.value + 1, Math.max(1, deadline - Date.now())).catch(() => undefined);
    }
    s.stop();
    w.log.that(s.errors.length === 0, 'stream-error', s.errors.join('; '));
    for (const v of checkStream('observer', expected, s.received, maybe)) w.log.that(false, v.kind, v.detail);
  },
  keeps: () => true, // the topic's retained messages
};

/** The instances with `id` seen by the observer, once it settles on `want` (bounded). */
async function instancesSettle(w: World, want: number): Promise<number> {
  const deadline = Date.now() + STEP_MS;
  for (;;) {
    const n = (await w.observer.services('svc').instances()).filter((i) => i.id === 'i1').length;
    if (n === want || Date.now() > deadline) return n;
    await new Promise((r) => setTimeout(r, 50));
  }
}

const register: AmbiguousCase<undefined> = {
  name: 'services.register',
  prepare: async () => undefined,
  op: (w) => w.subject.services('svc').register({ id: 'i1', address: 'h:1' }),
  async verify(w, _s, out) {
    let reg = out.ok ? (out.value as Registration) : undefined;
    if (!reg) {
      const again = await w.log.step('retried register', w.subject.services('svc').register({ id: 'i1', address: 'h:1' }), STEP_MS, 'retry-failed');
      reg = again.ok ? again.value : undefined;
    }
    const n = await instancesSettle(w, 1);
    w.log.that(n === 1, 'instances', `${n} instance(s) i1 registered, expected 1`);
    if (reg) await w.log.step('deregister', reg.deregister(), STEP_MS);
    const left = await instancesSettle(w, 0);
    w.log.that(left === 0, 'leftover-instance', `${left} instance(s) i1 still listed after deregister, the client alive`);
  },
};

const deregister: AmbiguousCase<Registration> = {
  name: 'services.deregister',
  prepare: (w) => w.subject.services('svc').register({ id: 'i1', address: 'h:1' }),
  op: (_w, reg) => reg.deregister(),
  async verify(w, reg, out) {
    if (!out.ok) await w.log.step('retried deregister', reg.deregister(), STEP_MS, 'retry-failed');
    const left = await instancesSettle(w, 0);
    w.log.that(left === 0, 'leftover-instance', `${left} instance(s) i1 still listed after deregister, the client alive`);
  },
};

/** The session rows need the raw transport to read leases: bound by {@link sessionCases}. */
function sessionCases(parts: () => Participants): AmbiguousCase<unknown>[] {
  const grant: AmbiguousCase<undefined> = {
    name: 'session.grant',
    prepare: async () => undefined,
    op: (w) => w.subject.session({ ttlSeconds: 5 }),
    async verify(w, _s, out) {
      if (out.ok) {
        const s = out.value as Session;
        await w.log.step('session close', s.close(), STEP_MS);
        const ttl = await parts().raw.leaseTimeToLive(s.lease);
        w.log.that(ttl.ttl < 0n, 'leftover-lease', `lease ${s.lease.toString(16)} alive after session.close()`);
      }
    },
  };
  const close: AmbiguousCase<Session> = {
    name: 'session.close',
    prepare: (w) => w.subject.session({ ttlSeconds: 5 }),
    op: (_w, s) => s.close(),
    async verify(w, s) {
      const ttl = await parts().raw.leaseTimeToLive(s.lease);
      w.log.that(ttl.ttl < 0n, 'leftover-lease', `lease ${s.lease.toString(16)} alive after session.close() (client still open)`);
    },
  };
  return [grant, close] as AmbiguousCase<unknown>[];
}

/** Every other row; `parts` gives the file's participants once they exist. */
export function otherCases(parts: () => Participants): AmbiguousCase<unknown>[] {
  return [publish, register, deregister, ...sessionCases(parts)] as AmbiguousCase<unknown>[];
}
