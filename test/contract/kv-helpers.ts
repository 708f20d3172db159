/**
 * Helpers of the KV, txn and STM contract tests: a transport decorator that
 * holds calls before they are sent (to make `timeoutMs`/`signal` land
 * deterministically before the request reaches etcd), the built-in adapter of
 * a transport under test, and small byte helpers.
 */
import { abortErrorOf } from '../../src/errors.js';
import type { Transport } from '../../src/index.js';
import { interceptTransport } from '../harness/intercept.js';

const enc = new TextEncoder();
const dec = new TextDecoder();
export const text = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : dec.decode(b));
export const bytes = (s: string): Uint8Array => enc.encode(s);

/** A transport whose calls of the held methods wait (unsent) until `release()` or their signal aborts. */
export interface HoldingTransport extends Transport {
  hold(...methods: Array<'range' | 'put' | 'deleteRange' | 'txn'>): void;
  release(): void;
  /** Calls waiting right now. */
  readonly waiting: number;
}

export function holdingTransport(inner: Transport): HoldingTransport {
  const held = new Set<string>();
  let gate: { promise: Promise<void>; open: () => void } | undefined;
  let waiting = 0;
  const wait = (signal: AbortSignal | undefined): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(abortErrorOf(signal));
      waiting += 1;
      const onAbort = (): void => {
        waiting -= 1;
        reject(abortErrorOf(signal!));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      void gate!.promise.then(() => {
        signal?.removeEventListener('abort', onAbort);
        if (signal?.aborted) return;
        waiting -= 1;
        resolve();
      });
    });
  return {
    ...interceptTransport(inner, async (method, _request, signal, send) => {
      if (held.has(method) && gate) await wait(signal);
      return send();
    }),
    get name() {
      return inner.name;
    },
    get capabilities() {
      return inner.capabilities;
    },
    hold(...methods) {
      for (const m of methods) held.add(m);
      if (!gate) {
        let open!: () => void;
        const promise = new Promise<void>((r) => (open = r));
        gate = { promise, open };
      }
    },
    release() {
      held.clear();
      gate?.open();
      gate = undefined;
    },
    get waiting() {
      return waiting;
    },
  };
}

/** The built-in adapter `transport` connects with, for decorating. */
export { adapterFor } from './transports.js';

/** A promise with its resolver. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** Whether `v` is a plain Uint8Array (not a Buffer or another subclass). */
export function isPlainBytes(v: unknown): boolean {
  return v instanceof Uint8Array && Object.getPrototypeOf(v) === Uint8Array.prototype;
}
