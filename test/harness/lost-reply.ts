/**
 * A transport decorator for deterministic "ambiguous outcome" tests: the next unary call that
 * matches an armed rule is sent to etcd (and applied), then its answer is thrown away and the
 * caller gets the same `ConnectionError` ("may or may not have been applied") a real adapter
 * reports when the connection dies under a write. The network-level counterpart, for the fault
 * suite, is the relay's `loseReplies` mode ({@link ./relay.ts}).
 *
 * @example
 * ```ts
 * const lossy = lostReplyTransport(createGrpcTransport({ endpoints }));
 * const client = await connect({ transport: lossy });
 * lossy.arm({ method: 'txn', when: (req) => JSON.stringify(req).includes('ready') });
 * await expect(client.doubleBarrier('b', 2).enter()).rejects...;   // applied, reply lost
 * expect(lossy.fired).toBe(1);
 * ```
 *
 * @module
 */

import { ConnectionError } from '../../src/errors.js';
import type { Transport } from '../../src/transport/index.js';
import { interceptTransport, type UnaryMethod } from './intercept.js';

/** The unary calls a rule can match. */
export type LossyMethod = UnaryMethod;

/** One armed fault. */
export interface LostReplyRule {
  /** The call to match. */
  method: LossyMethod;
  /** Further filter on the request; default: any. */
  when?: (request: unknown) => boolean;
  /**
   * `'applied'` (default): send, wait for etcd's answer, throw it away and reject.
   * `'not-sent'`: reject without sending (the other side of an ambiguous outcome).
   */
  outcome?: 'applied' | 'not-sent';
  /** How many matching calls to hit; default 1. */
  times?: number;
}

/** A transport whose replies can be lost on purpose; see {@link lostReplyTransport}. */
export interface LossyTransport extends Transport {
  /** Arms a rule; it fires on the next `times` matching calls. */
  arm(rule: LostReplyRule): void;
  /** Removes every armed rule. */
  disarm(): void;
  /** How many calls had their reply lost so far. */
  readonly fired: number;
  /** The requests whose replies were lost, in order. */
  readonly lost: ReadonlyArray<{ method: LossyMethod; request: unknown }>;
}

function lostError(method: string): ConnectionError {
  return new ConnectionError(
    `connection to etcd failed during the call; it may or may not have been applied: lost reply (test fault on ${method})`,
  );
}

/** Wraps `inner` so that armed calls lose their replies. */
export function lostReplyTransport(inner: Transport): LossyTransport {
  const rules: Array<LostReplyRule & { left: number }> = [];
  const lost: Array<{ method: LossyMethod; request: unknown }> = [];

  const take = (method: LossyMethod, request: unknown): (LostReplyRule & { left: number }) | undefined => {
    const i = rules.findIndex((r) => r.method === method && (r.when === undefined || r.when(request)));
    if (i < 0) return undefined;
    const rule = rules[i]!;
    rule.left -= 1;
    if (rule.left <= 0) rules.splice(i, 1);
    return rule;
  };

  const base = interceptTransport(inner, async (method, request, _signal, send) => {
    const rule = take(method, request);
    if (rule === undefined) return send();
    lost.push({ method, request });
    if ((rule.outcome ?? 'applied') === 'applied') await send().catch(() => undefined);
    throw lostError(method);
  });
  const lossy: LossyTransport = {
    ...base,
    get name() {
      return inner.name;
    },
    get capabilities() {
      return inner.capabilities;
    },
    arm(rule) {
      rules.push({ ...rule, left: rule.times ?? 1 });
    },
    disarm() {
      rules.length = 0;
    },
    get fired() {
      return lost.length;
    },
    get lost() {
      return lost;
    },
  };
  return lossy;
}
