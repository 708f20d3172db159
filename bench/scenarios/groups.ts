/**
 * Consumer groups vs plain delivery, same etcd, same run: `npx tsx bench/scenarios/groups.ts [messages]`.
 *
 * Starts a throwaway single-member etcd, then, for N messages published 16 at a time by one client:
 * - `publish`: raw publish throughput (messages/s), nobody consuming;
 * - `messages$()`: one subscriber; from the first publish until it received the N-th message;
 * - `group (3 members)`: three clients each running `topic.consume(..., { group })`; from the
 *   first publish until the group handled every message (each exactly once, checked).
 *
 * etcd writes of the group are counted exactly: every write txn moves etcd's revision by one,
 * so writes per message = (revision moved during the cell - N publishes) / N.
 * Targets (printed, not asserted): group >= 50 % of raw publish throughput, <= 2 writes/message.
 * @module
 */
import { connect, type Conclave } from '../../src/index.js';
import { startSingle } from '../../test/harness/standalone.js';

const N = Number(process.argv[2] ?? 2000);
const IN_FLIGHT = 16;

async function publishAll(c: Conclave, topic: string, base: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < N) await c.topic<number>(topic, { retention: { maxMessages: N * 2 } }).publish(base + next++);
    }),
  );
}

async function revision(c: Conclave): Promise<bigint> {
  return (await c.put('bench/probe', 'x')).revision;
}

function waitFor(check: () => boolean, timeoutMs = 120_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + timeoutMs;
    const tick = (): void => {
      if (check()) resolve();
      else if (Date.now() > deadline) reject(new Error('timed out'));
      else setTimeout(tick, 5);
    };
    tick();
  });
}

async function main(): Promise<void> {
  const etcd = await startSingle();
  const clients: Conclave[] = [];
  const open = async (): Promise<Conclave> => {
    const c = await connect({ endpoints: etcd.endpoints });
    clients.push(c);
    return c;
  };
  try {
    const publisher = await open();

    let t = performance.now();
    await publishAll(publisher, 'raw', 0);
    const publishRate = N / ((performance.now() - t) / 1000);

    let received = 0;
    const sub = publisher.topic<number>('plain').messages$().subscribe(() => received++);
    t = performance.now();
    await publishAll(publisher, 'plain', 0);
    await waitFor(() => received >= N);
    const plainRate = N / ((performance.now() - t) / 1000);
    sub.unsubscribe();

    const members = [await open(), await open(), await open()];
    const seen = new Set<number>();
    let handled = 0;
    const stop = new AbortController();
    const runs = members.map((m) =>
      m.topic<number>('grouped').consume(
        async (msg) => {
          handled++;
          seen.add(msg.value);
        },
        { group: 'bench', signal: stop.signal },
      ),
    );
    for (;;) {
      if ((await publisher.getPrefix('__topics/grouped/~groups/bench/')).length === 3) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const before = await revision(publisher);
    t = performance.now();
    await publishAll(publisher, 'grouped', 0);
    await waitFor(() => seen.size >= N);
    const groupRate = N / ((performance.now() - t) / 1000);
    await new Promise((r) => setTimeout(r, 300)); // let the last low-mark move land
    const after = await revision(publisher);
    const writesPerMessage = (Number(after - before - 1n) - N) / N;
    stop.abort();
    await Promise.all(runs);

    const pct = (x: number): string => `${Math.round((100 * x) / publishRate)} %`;
    const rows = [
      `| cell (${N} messages, ${IN_FLIGHT} publishes in flight) | messages/s | vs raw publish |`,
      '|---|---:|---:|',
      `| raw publish | ${publishRate.toFixed(0)} | 100 % |`,
      `| messages$() delivery, 1 subscriber | ${plainRate.toFixed(0)} | ${pct(plainRate)} |`,
      `| consumer group, 3 members | ${groupRate.toFixed(0)} | ${pct(groupRate)} |`,
      '',
      `group: ${handled} handled for ${N} messages (${handled - N} duplicates); etcd writes per message (besides the publish): ${writesPerMessage.toFixed(3)}`,
      `targets: group >= 50 % of raw publish: ${groupRate >= publishRate / 2 ? 'met' : 'NOT met'}; <= 2 writes per message: ${writesPerMessage <= 2 ? 'met' : 'NOT met'}`,
    ];
    process.stdout.write(`${rows.join('\n')}\n`);
  } finally {
    await Promise.allSettled(clients.map((c) => c.close()));
    await etcd.stop();
  }
}

void main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(1);
  },
);
