/**
 * Pacing for worker loops: a delay that ends early (resolving) when `signal` aborts.
 */

/** Resolves after `ms`, or at once when `signal` aborts. Leaves no timer or listener behind. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
