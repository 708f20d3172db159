/**
 * Consumer groups vs plain delivery (issue 15). In `npm run bench` each cell runs in its own
 * process (`worker.ts groups.<cell>`); `npx tsx bench/scenarios/groups.ts [messages]` runs the
 * three in one process on a throwaway single-member etcd and prints them. For N messages
 * published {@link IN_FLIGHT} at a time by one client:
 * - `publish`: raw publish throughput (messages/s), nobody consuming;
 * - `messages`: one `messages$()` subscriber; from the first publish until it received the N-th message;
 * - `group`: three clients each running `topic.consume(..., { group })`; from the
 *   first publish until the group handled every message (duplicates counted).
 *
 * etcd writes of the group are counted exactly: every write txn moves etcd's revision by one,
 * so writes per message = (revision moved during the cell - N publishes) / N.
 * Targets (printed, not asserted): group >= 50 % of raw publish throughput, <= 2 writes/message.
 * @module
 */
import { fileURLToPath } from 'node:url';
import { connect, type Conclave } from '../../src/index.js';
import { startSingle } from '../../test/harness/standalone.js';

export const IN_FLIGHT = 16;
export const GROUP_MEMBERS = 3;
export const GROUPS_CELLS = ['publish', 'messages', 'group'] as const;
export type GroupsCell = (typeof GROUPS_CELLS)[number];

export interface GroupsResult {
  scenario: 'groups';
  cell: GroupsCell;
  n: number;
  messagesPerSecond: number;
  /** `group` only: etcd writes per message besides the publish. */
  writesPerMessage?: number;
  /** `group` only: handler calls (N when none was duplicated). */
  handled?: number;
}

async function publishAll(c: Conclave, topic: string, n: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < n) await c.topic<number>(topic, { retention: { maxMessages: n * 2 } }).publish(next++);
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

async function publishCell(publisher: Conclave, n: number): Promise<GroupsResult> {
  const t = performance.now();
  await publishAll(publisher, 'raw', n);
  return { scenario: 'groups', cell: 'publish', n, messagesPerSecond: n / ((performance.now() - t) / 1000) };
}

async function messagesCell(publisher: Conclave, n: number): Promise<GroupsResult> {
  let received = 0;
  const sub = publisher.topic<number>('plain').messages$().subscribe(() => received++);
  try {
    const t = performance.now();
    await publishAll(publisher, 'plain', n);
    await waitFor(() => received >= n);
    return { scenario: 'groups', cell: 'messages', n, messagesPerSecond: n / ((performance.now() - t) / 1000) };
  } finally {
    sub.unsubscribe();
  }
}

async function groupCell(publisher: Conclave, members: Conclave[], n: number): Promise<GroupsResult> {
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
  try {
    for (;;) {
      if ((await publisher.getPrefix('__topics/grouped/~groups/bench/')).length === members.length) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const before = await revision(publisher);
    const t = performance.now();
    await publishAll(publisher, 'grouped', n);
    await waitFor(() => seen.size >= n);
    const messagesPerSecond = n / ((performance.now() - t) / 1000);
    await new Promise((r) => setTimeout(r, 300)); // let the last low-mark move land
    const after = await revision(publisher);
    return { scenario: 'groups', cell: 'group', n, messagesPerSecond, writesPerMessage: (Number(after - before - 1n) - n) / n, handled };
  } finally {
    stop.abort();
    await Promise.allSettled(runs);
  }
}

/** Runs one cell with `n` messages against etcd at `endpoint`, keys under `namespace`. */
export async function runGroups(endpoint: string, namespace: string, cell: GroupsCell, n: number): Promise<GroupsResult> {
  const clients: Conclave[] = [];
  const open = async (): Promise<Conclave> => {
    const c = await connect({ endpoints: [endpoint], namespace });
    clients.push(c);
    return c;
  };
  try {
    const publisher = await open();
    if (cell === 'publish') return await publishCell(publisher, n);
    if (cell === 'messages') return await messagesCell(publisher, n);
    const members: Conclave[] = [];
    for (let i = 0; i < GROUP_MEMBERS; i++) members.push(await open());
    return await groupCell(publisher, members, n);
  } finally {
    await Promise.allSettled(clients.map((c) => c.close()));
  }
}

/** Whether the group cell meets its targets against the raw publish cell. */
export function groupTargets(publish: GroupsResult, group: GroupsResult): { throughput: boolean; writes: boolean } {
  return { throughput: group.messagesPerSecond >= publish.messagesPerSecond / 2, writes: (group.writesPerMessage ?? Infinity) <= 2 };
}

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 2000);
  const etcd = await startSingle();
  try {
    const [publish, plain, group] = [
      await runGroups(etcd.endpoints[0]!, 'bench/groups/publish/', 'publish', n),
      await runGroups(etcd.endpoints[0]!, 'bench/groups/messages/', 'messages', n),
      await runGroups(etcd.endpoints[0]!, 'bench/groups/group/', 'group', n),
    ];
    const pct = (x: number): string => `${Math.round((100 * x) / publish.messagesPerSecond)} %`;
    const met = groupTargets(publish, group);
    const rows = [
      `| cell (${n} messages, ${IN_FLIGHT} publishes in flight) | messages/s | vs raw publish |`,
      '|---|---:|---:|',
      `| raw publish | ${publish.messagesPerSecond.toFixed(0)} | 100 % |`,
      `| messages$() delivery, 1 subscriber | ${plain.messagesPerSecond.toFixed(0)} | ${pct(plain.messagesPerSecond)} |`,
      `| consumer group, ${GROUP_MEMBERS} members | ${group.messagesPerSecond.toFixed(0)} | ${pct(group.messagesPerSecond)} |`,
      '',
      `group: ${group.handled} handled for ${n} messages (${(group.handled ?? n) - n} duplicates); etcd writes per message (besides the publish): ${group.writesPerMessage?.toFixed(3)}`,
      `targets: group >= 50 % of raw publish: ${met.throughput ? 'met' : 'NOT met'}; <= 2 writes per message: ${met.writes ? 'met' : 'NOT met'}`,
    ];
    process.stdout.write(`${rows.join('\n')}\n`);
  } finally {
    await etcd.stop();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  void main().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`${String(error)}\n`);
      process.exit(1);
    },
  );
}
