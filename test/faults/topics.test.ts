/**
 * Topics under member restarts: 10,000 messages are published (16 at a time, retried on
 * failures) while the three members are restarted one by one; every subscriber — on two
 * clients, preferring different members — must receive every acknowledged message, in publish
 * (revision) order, exactly once. A subscriber replaying from the first revision afterwards
 * must see the same stream.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Subscription } from 'rxjs';
import { connect, type Conclave, type Topic } from '../../src/index.js';
import { startCluster, uniquePrefix, type EtcdCluster } from '../harness/index.js';
import { checkStream, type StreamMessage } from './checkers/stream-history.js';
import { describeViolations } from './checkers/violation.js';
import { recordRow } from './report.js';
import { Checks, Counter, retrying, SCALE, since } from './support.js';

const MESSAGES = 10_000 * SCALE;
const IN_FLIGHT = 16;

let cluster: EtcdCluster;
const clients: Conclave[] = [];

beforeAll(async () => {
  cluster = await startCluster({ name: 'faults-topics' });
});
afterAll(async () => {
  await Promise.allSettled(clients.map((c) => c.close()));
  await cluster?.stop();
});

async function open(endpoints: string[]): Promise<Conclave> {
  const c = await connect({ endpoints });
  clients.push(c);
  return c;
}

interface Payload {
  n: number;
  attempt: number;
}

/** One subscriber's received stream, with a wait for a revision. */
class Received {
  readonly messages: StreamMessage[] = [];
  readonly #at = new Counter();
  subscription: Subscription | undefined;

  constructor(
    readonly name: string,
    topic: Topic<Payload>,
    fromRevision?: bigint,
  ) {
    this.subscription = topic.messages$(fromRevision === undefined ? {} : { fromRevision }).subscribe({
      next: (m) => {
        this.messages.push({ revision: m.revision, id: m.value.n < 0 ? 'probe' : `${m.value.n}.${m.value.attempt}` });
        this.#at.add();
      },
      error: (e: unknown) => {
        this.messages.push({ revision: -1n, id: `error: ${String(e)}` });
      },
    });
  }

  /** Resolves once a message with revision >= `revision` arrived (bounded). */
  async reach(revision: bigint, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while ((this.messages.at(-1)?.revision ?? 0n) < revision) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.name}: stuck at revision ${this.messages.at(-1)?.revision} of ${revision} (${this.messages.length} messages)`);
      await this.#at.reach(this.#at.value + 1, left, `${this.name} to reach revision ${revision}`).catch(() => undefined);
    }
  }
}

it(`${MESSAGES} messages while the 3 members restart one by one: every subscriber gets every message, in order, once`, async ({ task }) => {
  const [m0, m1, m2] = cluster.members;
  const publisher = await open(cluster.endpoints);
  const near = await open([m0!.clientAddress, m1!.clientAddress, m2!.clientAddress]);
  const far = await open([m2!.clientAddress, m1!.clientAddress, m0!.clientAddress]);
  const name = `${uniquePrefix('topic faults')}events`;
  const subscribers = [
    new Received('near-1', near.topic<Payload>(name)),
    new Received('near-2', near.topic<Payload>(name)),
    new Received('far-1', far.topic<Payload>(name)),
  ];
  const topic = publisher.topic<Payload>(name);
  // Every subscriber's watch is live once it got this probe.
  const probe = await topic.publish({ n: -1, attempt: 0 });
  await Promise.all(subscribers.map((s) => s.reach(probe.revision, 20_000)));

  const acknowledged: StreamMessage[] = [];
  const maybe = new Set<string>();
  const published = new Counter();
  let next = 0;
  const publishOne = async (n: number): Promise<void> => {
    let attempt = 0;
    const { revision } = await retrying(
      () => topic.publish({ n, attempt }),
      60_000,
      () => maybe.add(`${n}.${attempt++}`),
    );
    acknowledged.push({ revision, id: `${n}.${attempt}` });
    published.add();
  };
  const publishing = Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < MESSAGES) await publishOne(next++);
    }),
  );
  const restarts: string[] = [];
  const faults = (async () => {
    for (const [i, member] of cluster.members.entries()) {
      await published.reach(((i + 1) * MESSAGES) / 4, 240_000, `${((i + 1) * MESSAGES) / 4} messages`);
      const t0 = performance.now();
      await member.restart();
      await cluster.waitHealthy();
      restarts.push(`${member.name} at ${published.value} (${since(t0)} ms)`);
    }
  })();
  const started = performance.now();
  await Promise.all([publishing, faults]);
  const publishMs = since(started);
  acknowledged.sort((a, b) => (a.revision < b.revision ? -1 : 1));
  const last = acknowledged.at(-1)!.revision;
  await Promise.all(subscribers.map((s) => s.reach(last, 60_000)));

  // A late subscriber replaying from the first revision sees the same history.
  const replay = new Received('replay', far.topic<Payload>(name), probe.revision + 1n);
  await replay.reach(last, 60_000);
  const all = [...subscribers, replay];
  for (const s of all) s.subscription?.unsubscribe();

  const checks = new Checks();
  for (const s of all) {
    const live = s.messages.filter((m) => m.id !== 'probe' && m.revision <= last);
    checks.add(checkStream(s.name, acknowledged, live, maybe));
  }
  recordRow(task, {
    scenario: `topics: ${MESSAGES} messages, ${IN_FLIGHT} in flight; members restarted one by one (${restarts.join(', ')})`,
    operations: MESSAGES,
    invariant: 'every subscriber (3 live on 2 clients + 1 replay) gets every message, in order, once',
    violations: checks.violations.length,
    notes: `${acknowledged.length} acknowledged in ${publishMs} ms, ${maybe.size} publishes retried after an unknown outcome; ${all.map((s) => `${s.name} ${s.messages.length}`).join(', ')}`,
  });
  expect(checks.violations, describeViolations(checks.violations)).toEqual([]);
  expect(acknowledged).toHaveLength(MESSAGES);
  expect(restarts).toHaveLength(3);
}, 420_000 * SCALE);
