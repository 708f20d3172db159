/**
 * Dead letters and error records, in one stored form shared by the jobs mode of queues
 * (`process()`) and by consumer groups of topics: the original value moved to `${dead}/<suffix>`
 * and a JSON {@link JobErrorRecord} beside it at `__jobs/<enc(dead)>/dead/<suffix>` (see
 * `queues/job-keys.ts` for the rest of the jobs layout).
 * @module
 * @internal
 */
import type { RequestOp } from '../transport/index.js';
import { op, type Store } from './store.js';

/**
 * The stored form of an error of a job (last error of an item; why an item was
 * dead-lettered). A consumer group's dead letter has the same form, with
 * `queue` the topic, `key` the message's key and `group`/`revision` set.
 */
export interface JobErrorRecord {
  /** The queue the item failed in (for a consumer group: the topic). */
  queue: string;
  /** The item's key there (for a consumer group: the message's key, `__topics/<enc(topic)>/<time>-<random>`). */
  key: string;
  /** Consumer groups only: the group that gave up on the message. */
  group?: string;
  /** Consumer groups only: the message's revision (decimal). */
  revision?: string;
  /** Deliveries so far (the attempt that failed last). */
  attempt: number;
  /** The error: `name`, `message`, and `code` / `stack` when it had them. */
  error: { name: string; message: string; code?: string; stack?: string };
  /** When (ISO 8601). */
  at: string;
}

/** Where the jobs bookkeeping of queue `name` lives: `__jobs/<enc(name)>/`. */
export function jobsPrefixOf(name: string): string {
  return `__jobs/${encodeURIComponent(name)}/`;
}

/** The key of the error record of dead letter `${deadQueue}/${suffix}`. */
export function deadRecordKeyOf(deadQueue: string, suffix: string): string {
  return `${jobsPrefixOf(deadQueue)}dead/${suffix}`;
}

/** An error as a {@link JobErrorRecord}'s `error`. */
export function errorInfoOf(error: unknown): JobErrorRecord['error'] {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return {
      name: error.name,
      message: error.message,
      ...(typeof code === 'string' ? { code } : {}),
      ...(error.stack !== undefined ? { stack: error.stack.slice(0, 4096) } : {}),
    };
  }
  return { name: 'Error', message: String(error) };
}

/** A {@link JobErrorRecord} of `error` at delivery `attempt` of item `key` of `queue` (`extra`: a consumer group's `group`/`revision`). */
export function errorRecordOf(queue: string, key: string, attempt: number, error: unknown, extra?: { group: string; revision: string }): JobErrorRecord {
  return { queue, key, ...extra, attempt, error: errorInfoOf(error), at: new Date().toISOString() };
}

/**
 * The two writes of a dead letter, for the txn that moves it: the original
 * value at `${dead}/<suffix>` and its {@link JobErrorRecord} beside it, at
 * `__jobs/<enc(dead)>/dead/<suffix>`. Used by `process()` and by consumer groups.
 */
export function deadLetterPuts(store: Store, dead: string, suffix: string, value: Uint8Array, rec: JobErrorRecord): RequestOp[] {
  return [
    op.put({ key: store.key(`${dead}/${suffix}`), value }),
    op.put({ key: store.key(deadRecordKeyOf(dead, suffix)), value: new TextEncoder().encode(JSON.stringify(rec)) }),
  ];
}
