/**
 * Abort listeners without hitting an EventTarget's listener limit: Node prints
 * `MaxListenersExceededWarning` once an `AbortSignal` has more than 10 'abort'
 * listeners, and a client routinely has more users of one signal than that (every
 * held lock and every wait of a session, every wait given the same caller
 * signal). {@link onAbort} adds ONE real listener per signal and fans out to
 * any number of callbacks, in the order they were added. Works in browsers
 * (no Node built-in).
 * @module
 * @internal
 */

interface Fanout {
  /** Callbacks still registered (each wrapped, so one function may be added twice). */
  readonly callbacks: Set<() => void>;
  /** The one listener on the signal. */
  readonly listener: () => void;
}

const fanouts = new WeakMap<AbortSignal, Fanout>();

/**
 * Calls `callback` once when `signal` aborts (not if it already has: check `signal.aborted` first). Returns the
 * function that removes it; the signal's one real listener goes with the last callback.
 *
 * @example
 * ```ts
 * const off = onAbort(session.signal, () => lock.end('lost'));
 * // … later, when the lock is released:
 * off();
 * ```
 */
export function onAbort(signal: AbortSignal, callback: () => void): () => void {
  let fanout = fanouts.get(signal);
  if (!fanout) {
    const callbacks = new Set<() => void>();
    const listener = (): void => {
      fanouts.delete(signal);
      for (const call of [...callbacks]) {
        if (!callbacks.delete(call)) continue; // removed by an earlier callback of this dispatch (as EventTarget does)
        try {
          call();
        } catch (error) {
          queueMicrotask(() => {
            throw error; // as an EventTarget reports a listener's exception: uncaught, after the others ran
          });
        }
      }
    };
    fanout = { callbacks, listener };
    fanouts.set(signal, fanout);
    signal.addEventListener('abort', listener, { once: true });
  }
  const entry = (): void => callback();
  const { callbacks, listener } = fanout;
  callbacks.add(entry);
  return () => {
    if (!callbacks.delete(entry) || callbacks.size > 0) return;
    if (fanouts.get(signal)?.callbacks === callbacks) fanouts.delete(signal);
    signal.removeEventListener('abort', listener);
  };
}
