/**
 * Unary calls with bounded connection waits, failover retries and token refresh.
 *
 * ## The retry rule
 *
 * Every call has a budget of `callTimeoutMs` (default 10 s) from its start,
 * which is also its gRPC deadline; each wait for a connection is further
 * bounded by `dialTimeoutMs` (default 5 s). An attempt is made only on a READY
 * channel (or one in TRANSIENT_FAILURE, to learn grpc-js's connection error)
 * and without `waitForReady`, so a failure is one of:
 *
 * - **never sent** — grpc-js failed the pick, "No connection established":
 *   wait for the channel to reconnect (bounded by `dialTimeoutMs`) and try
 *   again, for every call, writes included. grpc-js's own transparent retry
 *   covers streams refused by the server or never started on a transport.
 * - **transport failure after sending** — UNAVAILABLE (connection dropped or
 *   reset) or an HTTP/2 reset: an IDEMPOTENT call (`../shared/retry-safety.ts`)
 *   is re-sent after a short jittered backoff until its budget ends; the
 *   channel has meanwhile moved on to the next live endpoint. A WRITE is never
 *   re-sent: it rejects with a retryable `ConnectionError` saying the outcome
 *   is unknown.
 * - **an answer from etcd** — mapped by `errorFromStatus`; a retryable one
 *   (etcd "no leader"/"request timed out") is re-sent for an idempotent call.
 *   An invalid or expired token makes the call re-authenticate (single-flight)
 *   and run once more: etcd rejected it before executing it, so this is safe
 *   for writes too.
 *
 * What is re-sent is decided by the shared failover policy
 * (`../shared/failover.ts`); this module classifies grpc-js failures for it.
 *
 * A connection wait that runs past `dialTimeoutMs` rejects with a retryable
 * `ConnectionError`. `signal` cancels the gRPC call (or the wait) and rejects
 * with `abortErrorOf(signal)`.
 *
 * @module
 * @internal
 */
import { SILENT, type Log } from '../../src/logger.js';
import * as grpc from '@grpc/grpc-js';
import { ClosedError, ConnectionError, TimeoutError, abortErrorOf, throwIfAborted } from '../../src/errors.js';
import { withFreshToken, type TokenManager } from '../shared/token-manager.js';
import { FAILOVER_BACKOFF, failoverAction, outcomeUnknown } from '../shared/failover.js';
import type { EtcdChannel } from './channel.js';
import type { Method } from './services.js';
import { errorOf, failureOf, kindOf, type GrpcFailure } from './status.js';
import { Backoff, sleep } from '../../src/backoff.js';

/** Time limits of unary calls (ms). `callTimeoutMs` 0 or Infinity: no deadline. */
export interface UnaryTimeouts {
  dialTimeoutMs: number;
  callTimeoutMs: number;
}

/** Per-call policy. */
export interface UnaryPolicy {
  /** Safe to execute twice (see the module doc). */
  idempotent: boolean;
  /** Attach the auth token (false for Authenticate itself). Default true. */
  useToken?: boolean;
  signal?: AbortSignal | undefined;
}

/** Thrown inside the attempt loop to carry the raw grpc failure. */
class AttemptFailure extends Error {
  constructor(
    readonly failure: GrpcFailure,
    override readonly cause: unknown,
  ) {
    super(failure.details);
  }
}

/** Runs unary calls on an {@link EtcdChannel}. */
export class UnaryCaller {
  /** Set by the transport when auth is configured. */
  tokens: TokenManager | undefined;
  /** Where retries are logged (debug). */
  log: Log = SILENT;

  constructor(
    private readonly channel: EtcdChannel,
    private readonly timeouts: UnaryTimeouts,
  ) {}

  /** Calls `method` with `request`; see the module doc for retries. */
  async call<Req, Res>(method: Method<Req, Res>, request: Req, policy: UnaryPolicy): Promise<Res> {
    const { signal } = policy;
    throwIfAborted(signal);
    if (this.channel.isClosed) throw new ClosedError('transport is closed');
    const budget = this.timeouts.callTimeoutMs;
    const deadline = budget > 0 && Number.isFinite(budget) ? Date.now() + budget : Infinity;
    const tokens = policy.useToken === false ? undefined : this.tokens;
    return withFreshToken(tokens, signal, (token) => this.withFailover(method, request, policy, deadline, token));
  }

  private async withFailover<Req, Res>(
    method: Method<Req, Res>,
    request: Req,
    policy: UnaryPolicy,
    deadline: number,
    token: string | undefined,
  ): Promise<Res> {
    const { signal, idempotent } = policy;
    const client = await this.channel.getClient();
    const channel = client.getChannel();
    const dialDeadlineFrom = (now: number): number => Math.min(now + this.timeouts.dialTimeoutMs, deadline);
    let dialDeadline = dialDeadlineFrom(Date.now());
    let pickFailed = false;
    const delays = new Backoff(FAILOVER_BACKOFF.startMs, FAILOVER_BACKOFF.maxMs);
    for (;;) {
      if (this.channel.isClosed) throw new ClosedError('transport is closed');
      throwIfAborted(signal);
      const state = channel.getConnectivityState(true);
      const mustWait =
        state === grpc.connectivityState.IDLE ||
        state === grpc.connectivityState.CONNECTING ||
        (state === grpc.connectivityState.TRANSIENT_FAILURE && pickFailed);
      if (mustWait) {
        // Throws ConnectionError at the dial deadline.
        await this.channel.waitReady(client, dialDeadline, signal, this.timeouts.dialTimeoutMs);
        continue;
      }
      try {
        const response = await this.attempt(client, method, request, deadline, token, signal);
        return response;
      } catch (err) {
        if (!(err instanceof AttemptFailure)) throw err;
        const f = err.failure;
        if (this.channel.isClosed) throw new ClosedError('transport is closed', { cause: err.cause });
        const kind = kindOf(f);
        if (kind === 'not-sent') {
          // The channel is in TRANSIENT_FAILURE; the next turn waits for it to reconnect.
          if (Date.now() >= dialDeadline) {
            throw new ConnectionError(`no connection to etcd within ${this.timeouts.dialTimeoutMs} ms: ${f.details}`, {
              cause: err.cause,
            });
          }
          pickFailed = true;
          continue;
        }
        pickFailed = false;
        const error = errorOf(f, err.cause);
        const action = failoverAction(kind, idempotent, error);
        if (action === 'resend') {
          const now = Date.now();
          const pause = Math.round(delays.next());
          if (now + pause < deadline) {
            this.log.debug('retrying an idempotent etcd call after a connection failure', { method: method.path, delayMs: pause, error: f.details });
            await sleep(pause, signal);
            dialDeadline = dialDeadlineFrom(Date.now());
            continue;
          }
        }
        if (f.code === grpc.status.DEADLINE_EXCEEDED && deadline !== Infinity) {
          throw new TimeoutError(`etcd call did not complete within ${this.timeouts.callTimeoutMs} ms: ${f.details}`, {
            cause: err.cause,
          });
        }
        throw action === 'outcome-unknown' ? outcomeUnknown(f.details, err.cause) : error;
      }
    }
  }

  private attempt<Req, Res>(
    client: grpc.Client,
    method: Method<Req, Res>,
    request: Req,
    deadline: number,
    token: string | undefined,
    signal: AbortSignal | undefined,
  ): Promise<Res> {
    return new Promise<Res>((resolve, reject) => {
      const metadata = new grpc.Metadata();
      if (token) metadata.set('token', token);
      let aborted = false;
      const onAbort = (): void => {
        aborted = true;
        call.cancel();
        reject(abortErrorOf(signal!));
      };
      const call = client.makeUnaryRequest(
        method.path,
        method.requestSerialize,
        method.responseDeserialize,
        request,
        metadata,
        deadline === Infinity ? {} : { deadline },
        (err, response) => {
          signal?.removeEventListener('abort', onAbort);
          if (aborted) return;
          if (err) {
            reject(new AttemptFailure(failureOf(err), err));
            return;
          }
          try {
            this.channel.lastPeer = call.getPeer();
          } catch {
            /* peer unknown */
          }
          resolve(response as Res);
        },
      );
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
