/**
 * `conclave watch <key> [--prefix]` and `conclave topic tail <name>`: print changes as they come,
 * one line each, until interrupted.
 * @module
 */
import { decodeText, type Conclave } from '../../src/index.js';
import { open, type Connection } from '../options.js';

/** Resolves on SIGINT / SIGTERM (or when `signal` aborts), whichever first. */
export function untilInterrupted(signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
    signal?.addEventListener('abort', done, { once: true });
  });
}

function printable(value: Uint8Array): string {
  try {
    return decodeText(value);
  } catch {
    return `<${value.length} bytes>`;
  }
}

async function follow(connection: Connection, subscribe: (client: Conclave, fail: (e: unknown) => void) => { unsubscribe(): void }): Promise<void> {
  const { client } = await open(connection);
  const failed = new AbortController();
  let failure: unknown;
  const sub = subscribe(client, (e) => {
    failure = e;
    failed.abort();
  });
  try {
    await untilInterrupted(failed.signal);
  } finally {
    sub.unsubscribe();
    await client.close();
  }
  if (failure !== undefined) throw failure;
}

/** Prints every change of `key` (or of every key under it, with `prefix`). */
export function runWatch(connection: Connection, key: string, prefix: boolean): Promise<void> {
  return follow(connection, (client, fail) =>
    client.watch(key, { prefix }).subscribe({
      next: (e) => process.stdout.write(e.type === 'put' ? `PUT ${e.key} ${printable(e.value)} (revision ${e.revision})\n` : `DELETE ${e.key} (revision ${e.revision})\n`),
      error: fail,
    }),
  );
}

/** Prints each new message of topic `name`, decoded as JSON, one JSON line each. */
export function runTopicTail(connection: Connection, name: string): Promise<void> {
  return follow(connection, (client, fail) =>
    client.topic<unknown>(name).messages$().subscribe({
      next: (m) => process.stdout.write(`${JSON.stringify({ revision: m.revision.toString(), value: m.value })}\n`),
      error: fail,
    }),
  );
}
