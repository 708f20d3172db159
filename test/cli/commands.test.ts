/**
 * `conclave lock -- <command>`, `conclave watch` and `conclave topic tail` from the packed
 * tarball against the shared cluster.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { connect, type Conclave } from '../../src/index.js';
import { sharedCluster, uniquePrefix } from '../harness/index.js';
import { packedApp } from '../harness/packed.js';
import { CliChild, runCli } from './cli-process.js';

// The tarball is packed and installed once per run (minutes on a busy machine).
beforeAll(() => packedApp(), 600_000);

const ns = uniquePrefix('cli commands');
let client: Conclave;
let flags: string[];

beforeAll(async () => {
  const { endpoints } = sharedCluster();
  flags = ['--endpoints', endpoints.join(','), '--namespace', ns];
  client = await connect({ endpoints, namespace: ns });
});
afterAll(() => client?.close());

/** Writes with `write(i)` until `child` printed what `done` looks for (the watch may open after the first writes). */
async function writeUntilSeen(child: CliChild, write: (i: number) => Promise<unknown>, done: (out: string) => boolean): Promise<void> {
  const seen = child.until(done, 20_000, 'the change');
  let stop = false;
  const writer = (async () => {
    for (let i = 0; !stop && i < 100; i++) {
      await write(i);
      await Promise.race([seen.catch(() => undefined), new Promise((r) => setTimeout(r, 200))]);
    }
  })();
  try {
    await seen;
  } finally {
    stop = true;
    await writer;
  }
}

it('lock: runs the command holding the mutex, with the fencing token and key in its environment; exits with its code; releases', async () => {
  const script = 'console.log(JSON.stringify({ token: process.env.CONCLAVE_FENCING_TOKEN, key: process.env.CONCLAVE_LOCK_KEY })); process.exit(7)';
  const r = await runCli(['lock', 'deploy', ...flags, '--', process.execPath, '-e', script]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(7);
  const seen = JSON.parse(r.stdout) as { token: string; key: string };
  expect(seen.key).toMatch(/^deploy\/[0-9a-f]+$/);
  expect(BigInt(seen.token)).toBeGreaterThan(0n);
  expect(await client.getPrefix('deploy/')).toEqual([]);
  // The command ran under the same lock as client.mutex('deploy'): a holder makes it wait.
  const held = await client.mutex('deploy').acquire();
  const waiting = await runCli(['lock', 'deploy', '--timeout', '500', ...flags, '--', process.execPath, '-e', 'process.exit(0)']);
  expect(waiting.code).toBe(1);
  expect(waiting.stderr).toMatch(/^conclave: TimeoutError/);
  await held.release();
});

it('watch --prefix prints each change of the keys under the prefix', async () => {
  const child = await CliChild.start(['watch', 'config/', '--prefix', ...flags]);
  try {
    await writeUntilSeen(child, (i) => client.put('config/mode', `v${i}`), (out) => /^PUT config\/mode v\d+ \(revision \d+\)$/m.test(out));
    await client.delete('config/mode');
    await child.until((out) => /^DELETE config\/mode \(revision \d+\)$/m.test(out), 20_000, 'the delete');
  } finally {
    await child.stop('SIGINT');
  }
  expect((await child.exited).code).toBe(0);
});

it('topic tail prints each new message decoded, as a JSON line', async () => {
  const child = await CliChild.start(['topic', 'tail', 'orders', ...flags]);
  const topic = client.topic<{ order: number }>('orders');
  try {
    await writeUntilSeen(child, (i) => topic.publish({ order: i }), (out) => out.includes('"value":{"order":'));
  } finally {
    await child.stop('SIGINT');
  }
  const line = JSON.parse(child.stdout.split('\n')[0]!) as { revision: string; value: { order: number } };
  expect(line.revision).toMatch(/^\d+$/);
  expect(typeof line.value.order).toBe('number');
});
