/**
 * The failover policy of unary calls, the same over every wire: which failed
 * attempts are sent again (on another member), which end the call, and which
 * end it with "outcome unknown". Each adapter classifies its own failures
 * (grpc-js statuses, `fetch` rejections) into a {@link FailureKind}; this
 * module decides what follows.
 *
 * | failure      | idempotent call              | write                                  |
 * | ------------ | ---------------------------- | -------------------------------------- |
 * | `not-sent`   | resend                       | resend (it never reached etcd)         |
 * | `transport`  | resend                       | `ConnectionError`: outcome unknown     |
 * | `answer`     | resend if retryable, else final | final                               |
 *
 * A resend happens within the call's budget, after a jittered backoff
 * ({@link FAILOVER_BACKOFF}); a token error is not "retryable" here: the
 * token refresh handles it (see `answers.ts`).
 *
 * @module
 * @internal
 */
import { type ConclaveError, ConnectionError } from '../../src/errors.js';
import { isTokenError } from './answers.js';

/** How a failed attempt may be retried. */
export type FailureKind =
  /** Provably never reached a server: re-send anywhere, writes included. */
  | 'not-sent'
  /** The connection failed (or etcd said it is unavailable) while the request may have been executed. */
  | 'transport'
  /** An answer from etcd (or the server in front of it). */
  | 'answer';

/** What follows a failed attempt. */
export type FailoverAction =
  /** Send the call again (on the next member) once a connection is there. */
  | 'resend'
  /** End the call with a retryable `ConnectionError` saying it may or may not have been applied. */
  | 'outcome-unknown'
  /** End the call with the attempt's error. */
  | 'final';

/** The pause between resends (ms): jittered, doubling from `startMs` up to `maxMs`. */
export const FAILOVER_BACKOFF = { startMs: 25, maxMs: 500 } as const;

/** True for answers an idempotent call may retry on another member ("no leader", "unavailable", timeouts). */
export function isRetryableAnswer(err: ConclaveError): boolean {
  return err.retryable && !isTokenError(err);
}

/**
 * Decides what follows a failed attempt of kind `kind` (see the module's table).
 *
 * @example
 * ```ts
 * if (failoverAction('transport', false, error) === 'outcome-unknown') throw outcomeUnknown(error.message, error);
 * ```
 */
export function failoverAction(kind: FailureKind, idempotent: boolean, error: ConclaveError): FailoverAction {
  if (kind === 'not-sent') return 'resend';
  if (kind === 'transport') return idempotent ? 'resend' : 'outcome-unknown';
  return idempotent && isRetryableAnswer(error) ? 'resend' : 'final';
}

/** The error of a write whose connection failed under it: it may or may not have been applied. */
export function outcomeUnknown(detail: string, cause: unknown): ConnectionError {
  return new ConnectionError(`connection to etcd failed during the call; it may or may not have been applied: ${detail}`, { cause });
}

/**
 * Which of N endpoints calls go to: one until it fails, then the next
 * (round robin). (The gRPC adapter leaves this to grpc-js's `pick_first`
 * channel, which does the same.)
 */
export class EndpointRotation {
  private index = 0;

  constructor(private readonly count: number) {}

  /** Index of the endpoint in use. */
  get current(): number {
    return this.index;
  }

  /** Moves off endpoint `index` (default: the one in use) if it is still the one in use: its connection failed. */
  markBroken(index: number = this.index): void {
    if (this.index === index) this.index = (index + 1) % this.count;
  }

  /** True after `tries` resends when they completed a full round over the endpoints: time to back off. */
  roundDone(tries: number): boolean {
    return tries % this.count === 0;
  }
}
