/**
 * The one way tests decorate a transport: every unary call goes through `around(method, request,
 * signal, send)`, everything else (streams, status, close) straight to `inner`. The lost-reply,
 * holding and gated transports of the tests are each an `around`.
 *
 * @example
 * ```ts
 * const slow = interceptTransport(inner, async (method, _request, _signal, send) => {
 *   if (method === 'txn') await delay(100);
 *   return send();
 * });
 * ```
 *
 * @module
 */

import type { Transport } from '../../src/transport/index.js';

/** The unary calls an `around` sees. */
export type UnaryMethod = 'range' | 'put' | 'deleteRange' | 'txn' | 'compact' | 'leaseGrant' | 'leaseRevoke';

/** Decides what happens to one call: `send()` forwards it to the inner transport. */
export type Around = (method: UnaryMethod, request: unknown, signal: AbortSignal | undefined, send: () => Promise<unknown>) => Promise<unknown>;

const UNARY: readonly UnaryMethod[] = ['range', 'put', 'deleteRange', 'txn', 'compact', 'leaseGrant', 'leaseRevoke'];

/** `inner` with its unary calls routed through `around`. */
export function interceptTransport(inner: Transport, around: Around): Transport {
  const unary = Object.fromEntries(
    UNARY.map((method) => {
      const call = (inner[method] as (request: unknown, options?: { signal?: AbortSignal }) => Promise<unknown>).bind(inner);
      return [method, (request: unknown, options?: { signal?: AbortSignal }) => around(method, request, options?.signal, () => call(request, options))];
    }),
  );
  return {
    get name() {
      return inner.name;
    },
    get capabilities() {
      return inner.capabilities;
    },
    ...unary,
    leaseTimeToLive: inner.leaseTimeToLive.bind(inner),
    openLeaseKeepAlive: inner.openLeaseKeepAlive.bind(inner),
    openWatch: inner.openWatch.bind(inner),
    memberList: inner.memberList.bind(inner),
    status: inner.status.bind(inner),
    authenticate: inner.authenticate.bind(inner),
    close: inner.close.bind(inner),
  } as Transport;
}
