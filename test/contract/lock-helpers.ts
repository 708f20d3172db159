/**
 * Helpers of the lock and election tests: waiting on etcd's state through a
 * watch (never a sleep), and checking a promise is still pending.
 */
import type { Conclave, KeyValue } from '../../src/index.js';

/**
 * Resolves with the keys under `prefix` once `predicate` holds for them,
 * re-reading after every change seen by a watch on the prefix; rejects after `ms`.
 */
export async function keysWhen(
  client: Conclave,
  prefix: string,
  predicate: (kvs: KeyValue[]) => boolean,
  ms = 20_000,
  what = `keys under ${prefix}`,
): Promise<KeyValue[]> {
  return new Promise<KeyValue[]>((resolve, reject) => {
    let done = false;
    let reading = false;
    let again = false;
    const finish = (error: Error | undefined, kvs?: KeyValue[]): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sub.unsubscribe();
      if (error) reject(error);
      else resolve(kvs!);
    };
    const check = async (): Promise<void> => {
      if (reading) {
        again = true;
        return;
      }
      reading = true;
      try {
        do {
          again = false;
          const kvs = await client.getPrefix(prefix);
          if (predicate(kvs)) return finish(undefined, kvs);
        } while (again && !done);
      } catch (error) {
        finish(error as Error);
      } finally {
        reading = false;
      }
    };
    const timer = setTimeout(() => finish(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    const sub = client.watch(prefix, { prefix: true }).subscribe({ next: () => void check(), error: (e: Error) => finish(e) });
    void check();
  });
}

/** Tracks whether a promise settled (for "still waiting" checks). */
export function track<T>(promise: Promise<T>): { promise: Promise<T>; settled: () => boolean } {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  return { promise, settled: () => settled };
}

/** A few etcd round trips: anything that was about to happen in response to earlier events has had its chance. */
export async function roundTrips(client: Conclave, n = 3): Promise<void> {
  for (let i = 0; i < n; i++) await client.get('__settle__');
}

/** The lease id of a stored key, as a decimal string (what the gateway's `/v3/lease/revoke` wants). */
export async function leaseOf(raw: Conclave, key: string): Promise<string> {
  const kv = await raw.get(key);
  if (!kv) throw new Error(`no key ${key}`);
  return kv.lease.toString();
}
