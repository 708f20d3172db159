/**
 * Calling the core's handlers from a transport's reader (a grpc-js event, a
 * `fetch` body loop).
 *
 * @module
 * @internal
 */

/**
 * Calls `fn` (a handler) so that what it throws can break neither the reader
 * that called it nor go unseen: it is rethrown from a microtask, where the
 * runtime reports it as an uncaught error.
 *
 * @example
 * ```ts
 * callIsolated(() => listener.onEvents(events, header));
 * ```
 */
export function callIsolated(fn: () => void): void {
  try {
    fn();
  } catch (err) {
    queueMicrotask(() => {
      throw err;
    });
  }
}
