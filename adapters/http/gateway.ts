/**
 * POSTs to etcd's JSON gateway over `fetch`: endpoint failover, `/v3` vs
 * `/v3beta` detection, the auth token, time limits, and error mapping.
 *
 * ## The retry rule
 * Every unary call has a budget of `callTimeoutMs` (default 10 s). A failed
 * attempt is one of:
 * - **never sent** — the connection, name lookup or TLS handshake failed
 *   (Node reports these with error codes such as `ECONNREFUSED`): the call,
 *   writes included, moves on to the next endpoint; when no endpoint accepted
 *   a connection for `dialTimeoutMs`, it rejects with a retryable
 *   `ConnectionError`.
 * - **transport failure** — the connection broke after the request may have
 *   been sent, the answer broke off, an attempt of an idempotent call got no
 *   answer within `dialTimeoutMs`, or (browsers) any network error, which
 *   `fetch` reports without detail: an IDEMPOTENT call (range, read-only txn,
 *   leaseTimeToLive, leaseRevoke, memberList, status, authenticate) is re-sent
 *   on the next endpoint after a jittered backoff; a WRITE rejects with a
 *   retryable `ConnectionError` saying its outcome is unknown (never silently
 *   duplicated).
 * - **an answer** — etcd's `{code, message}` body mapped by `errorFromStatus`.
 *   Retryable answers ("no leader", unavailable) are retried like transport
 *   failures for idempotent calls. An invalid or expired token (HTTP 401)
 *   re-authenticates once and re-sends the call (etcd refused it unexecuted).
 *
 * The first request to an endpoint goes to `/v3/...`; a plain-text 404 there
 * (etcd 3.3 and older only serve `/v3beta`) switches that endpoint to
 * `/v3beta/...` for good.
 *
 * @module
 * @internal
 */
import { SILENT, type Log } from '../../src/logger.js';
import { ClosedError, ConclaveError, ConnectionError, TimeoutError, throwIfAborted } from '../../src/errors.js';
import { isTokenError } from '../shared/answers.js';
import { EndpointRotation, FAILOVER_BACKOFF, failoverAction, outcomeUnknown } from '../shared/failover.js';
import { withFreshToken, type TokenManager } from '../shared/token-manager.js';
import type { Json } from './codec.js';
import { AttemptFailure, brokenAnswer, errorOfBody, errorOfStatus, fetchFailure } from './errors.js';
import { ATTEMPT_TIMEOUT, Inflight, RequestSignal, sleep } from './signals.js';
import { Backoff } from '../../src/backoff.js';

/**
 * The `fetch` the transport calls (the global one by default).
 *
 * @example
 * ```ts
 * // Log every request the HTTP transport makes.
 * const logging: FetchFunction = (url, init) => (console.log('POST', url), fetch(url, init));
 * const transport = createHttpTransport({ endpoints: ['http://127.0.0.1:2379'], fetch: logging });
 * ```
 */
export type FetchFunction = (input: string, init: RequestInit) => Promise<Response>;

/** One endpoint's base URL and API prefix. */
interface Endpoint {
  readonly base: string;
  prefix: '/v3' | '/v3beta';
  /** The prefix is settled (an answer other than a plain 404 came back). */
  settled: boolean;
}

export interface GatewayConfig {
  /** Base URLs, `http(s)://host:port`. */
  urls: string[];
  fetch: FetchFunction;
  /** Extra `RequestInit` members for every request (e.g. undici's `dispatcher`). */
  fetchInit: Record<string, unknown> | undefined;
  dialTimeoutMs: number;
  callTimeoutMs: number;
  /** See `HttpTransportOptions.diagnose`. */
  diagnose?: ((baseUrl: string) => Promise<Error | undefined>) | undefined;
}

/** How long a first call may go unanswered before the endpoint is diagnosed. */
const DIAGNOSE_AFTER_MS = 300;

/** Per-call policy. */
export interface CallPolicy {
  idempotent: boolean;
  /** Send the auth token (false for Authenticate). Default true. */
  useToken?: boolean;
  signal?: AbortSignal | undefined;
}

/** An open streaming answer. */
export interface OpenStream {
  response: Response;
  /** The token the request carried (to invalidate it if etcd refuses it). */
  token: string | undefined;
  /** `base + prefix + path` of the request. */
  url: string;
  /** Index of the endpoint that answered (for {@link Gateway.markBroken}). */
  endpoint: number;
  /** Aborts the request (reason `reason`). */
  abort(reason?: unknown): void;
  /** Unlinks the request from the caller's and the transport's signals; call when the stream ended. */
  release(): void;
}

interface RetryState {
  deadline: number;
  dialDeadline: number;
  tries: number;
  delays: Backoff;
}

/** The gateway client of one transport. */
export class Gateway {
  /** Set when auth is configured. */
  tokens: TokenManager | undefined;
  /** Where retries are logged (debug). */
  log: Log = SILENT;
  /** True once any endpoint answered: before that, every endpoint refusing fails the call at once. */
  private everAnswered = false;
  private readonly diagnoses = new Map<string, Promise<ConnectionError | undefined>>();
  private readonly endpoints: Endpoint[];
  private readonly rotation: EndpointRotation;
  private readonly inflight = new Inflight();

  constructor(private readonly config: GatewayConfig) {
    if (config.urls.length === 0) throw new ConnectionError('no etcd endpoints configured', { retryable: false });
    this.endpoints = config.urls.map((base) => ({ base, prefix: '/v3', settled: false }));
    this.rotation = new EndpointRotation(this.endpoints.length);
  }

  get closed(): boolean {
    return this.inflight.isClosed;
  }

  /** Base URL of the endpoint in use. */
  get currentUrl(): string {
    return this.endpoints[this.rotation.current]!.base;
  }

  /** Base URL of endpoint `index`. */
  urlOf(index: number): string {
    return this.endpoints[index]?.base ?? '';
  }

  /** Aborts every in-flight request. Idempotent. */
  close(): void {
    this.inflight.close();
  }

  /** POSTs `body` to `path` (after the API prefix) and returns the parsed answer. See the module doc. */
  async call(path: string, body: Json, policy: CallPolicy): Promise<Json> {
    const { signal } = policy;
    throwIfAborted(signal);
    if (this.closed) throw new ClosedError('transport is closed');
    const text = JSON.stringify(body);
    const budget = this.config.callTimeoutMs;
    const now = Date.now();
    const state: RetryState = {
      deadline: budget > 0 && Number.isFinite(budget) ? now + budget : Infinity,
      dialDeadline: now + this.config.dialTimeoutMs,
      tries: 0,
      delays: new Backoff(FAILOVER_BACKOFF.startMs, FAILOVER_BACKOFF.maxMs),
    };
    const tokens = policy.useToken === false ? undefined : this.tokens;
    return withFreshToken(tokens, signal, (token) => this.unaryWithFailover(path, text, policy, state, token));
  }

  /**
   * POSTs `body` to a streaming `path` and resolves with the response once its
   * headers arrived. Connection failures move on to the next endpoint within
   * `dialTimeoutMs` (stream requests are idempotent); an invalid token is
   * refreshed once. `signal` aborts the request for good (the stream's owner
   * uses it to cancel).
   */
  async stream(path: string, body: Json, signal: AbortSignal): Promise<OpenStream> {
    if (this.closed) throw new ClosedError('transport is closed');
    throwIfAborted(signal);
    const text = JSON.stringify(body);
    const now = Date.now();
    const state: RetryState = { deadline: now + this.config.dialTimeoutMs, dialDeadline: now + this.config.dialTimeoutMs, tries: 0, delays: new Backoff(FAILOVER_BACKOFF.startMs, FAILOVER_BACKOFF.maxMs) };
    let token = this.tokens ? await this.tokens.get(signal) : undefined;
    let refreshed = false;
    for (;;) {
      const index = this.rotation.current;
      const ep = this.endpoints[index]!;
      const link = new RequestSignal(signal, this.inflight, Math.max(0, state.deadline - Date.now()));
      try {
        const { response, url } = await this.post(ep, path, text, token, link.signal);
        link.clearTimer();
        return {
          response,
          token,
          url,
          endpoint: index,
          abort: (reason?: unknown) => link.abort(reason ?? new ClosedError('stream closed')),
          release: () => link.dispose(),
        };
      } catch (err) {
        link.dispose();
        const failure = this.failureOf(err, link.signal, index);
        if (this.tokens && token && !refreshed && isTokenError(failure.error)) {
          refreshed = true;
          token = await this.tokens.refresh(token, signal);
          continue;
        }
        await this.afterFailure(failure, index, true, state, signal);
      }
    }
  }

  /**
   * One `POST /maintenance/status` to endpoint `index` (no failover, no token
   * needed), bounded by `timeoutMs`: is that member still answering? Rejects
   * when it is not.
   */
  async ping(index: number, timeoutMs: number): Promise<void> {
    const ep = this.endpoints[index];
    if (!ep) return;
    const link = new RequestSignal(undefined, this.inflight, timeoutMs);
    try {
      const { response } = await this.post(ep, '/maintenance/status', '{}', undefined, link.signal);
      await response.text();
    } finally {
      link.dispose();
    }
  }

  /** Moves off endpoint `index` (if it is still the one in use): its connection failed. */
  markBroken(index?: number): void {
    this.rotation.markBroken(index);
  }

  private async unaryWithFailover(path: string, text: string, policy: CallPolicy, state: RetryState, token: string | undefined): Promise<Json> {
    for (;;) {
      if (this.closed) throw new ClosedError('transport is closed');
      throwIfAborted(policy.signal);
      const remaining = state.deadline - Date.now();
      if (remaining <= 0) throw new TimeoutError(`etcd call did not complete within ${this.config.callTimeoutMs} ms`);
      // An idempotent attempt that hears nothing for dialTimeoutMs is retried elsewhere.
      const attemptMs = policy.idempotent ? Math.min(remaining, this.config.dialTimeoutMs) : remaining;
      const index = this.rotation.current;
      const ep = this.endpoints[index]!;
      const link = new RequestSignal(policy.signal, this.inflight, attemptMs);
      const diagnosis = this.diagnoseSilence(ep.base, link);
      try {
        const { response, url } = await this.post(ep, path, text, token, link.signal);
        let answer: string;
        try {
          answer = await response.text();
        } catch (err) {
          if (link.signal.aborted) throw err;
          throw brokenAnswer(url, err);
        }
        try {
          return JSON.parse(answer) as Json;
        } catch (err) {
          throw brokenAnswer(url, err);
        }
      } catch (err) {
        const failure = this.failureOf(err, link.signal, index, state.deadline);
        // Never answered and the connection failed: a reason retrying cannot cure ends the call now.
        if (failure.kind !== 'answer') {
          const problem = await this.diagnosis(ep.base);
          if (problem) throw problem;
        }
        await this.afterFailure(failure, index, policy.idempotent, state, policy.signal);
      } finally {
        clearTimeout(diagnosis);
        link.dispose();
      }
    }
  }

  /** Maps whatever an attempt threw; aborts by the caller or close are thrown as they are. */
  private failureOf(err: unknown, signal: AbortSignal, index: number, deadline = Infinity): AttemptFailure {
    if (err instanceof AttemptFailure) return err;
    if (signal.aborted) {
      const reason: unknown = signal.reason;
      if (reason === ATTEMPT_TIMEOUT) {
        const url = this.endpoints[index]!.base;
        if (Date.now() >= deadline) throw new TimeoutError(`etcd call did not complete within ${this.config.callTimeoutMs} ms`, { cause: err });
        return new AttemptFailure('transport', new ConnectionError(`no answer from ${url} within ${this.config.dialTimeoutMs} ms`, { cause: err }));
      }
      throw reason instanceof Error ? reason : new ClosedError('transport is closed', { cause: reason });
    }
    if (err instanceof ConclaveError) throw err;
    return brokenAnswer(this.endpoints[index]!.base, err);
  }

  /**
   * Why an endpoint that never answered cannot work, if `diagnose` can tell (e.g. the port speaks
   * TLS to a plain request, or wants a client certificate: etcd then drops or ignores the request).
   * Asked once per endpoint until one answers.
   */
  private diagnosis(base: string): Promise<ConnectionError | undefined> {
    const diagnose = this.config.diagnose;
    if (this.everAnswered || !diagnose) return Promise.resolve(undefined);
    let known = this.diagnoses.get(base);
    if (!known) {
      known = diagnose(base).then(
        (problem) => (problem ? new ConnectionError(`cannot use etcd at ${base}: ${problem.message}`, { cause: problem, retryable: false }) : undefined),
        () => undefined,
      );
      this.diagnoses.set(base, known);
    }
    return known;
  }

  /** Before any endpoint answered: if this attempt hears nothing for a moment, ends it with the diagnosis, if any. */
  private diagnoseSilence(base: string, link: RequestSignal): ReturnType<typeof setTimeout> | undefined {
    if (this.everAnswered || !this.config.diagnose) return undefined;
    return setTimeout(() => {
      void this.diagnosis(base).then((problem) => {
        if (problem && !this.everAnswered) link.abort(problem);
      });
    }, DIAGNOSE_AFTER_MS);
  }

  /** Resolves when the call should be tried again (on the next endpoint), or throws its final error. */
  private async afterFailure(f: AttemptFailure, index: number, idempotent: boolean, state: RetryState, signal: AbortSignal | undefined): Promise<void> {
    const now = Date.now();
    const action = failoverAction(f.kind, idempotent, f.error);
    if (f.kind === 'not-sent') {
      this.markBroken(index);
      // Never reached etcd, and every endpoint has now refused (or is unknown, unreachable): fail
      // at once, the system error (e.g. ECONNREFUSED) kept as the cause, rather than at the dial
      // deadline. Once connected, a refusing member is waited for within dialTimeoutMs.
      if (!this.everAnswered && state.tries + 1 >= this.endpoints.length) throw f.error;
      if (now >= state.dialDeadline || now >= state.deadline) {
        const where = this.endpoints.map((e) => e.base).join(', ');
        throw new ConnectionError(`no connection to etcd (${where}) within ${this.config.dialTimeoutMs} ms: ${f.error.message}`, { cause: f.error });
      }
    } else if (action === 'resend') {
      if (f.kind === 'transport') this.markBroken(index);
      state.dialDeadline = now + this.config.dialTimeoutMs;
      if (now >= state.deadline) throw f.error;
    } else if (action === 'outcome-unknown') {
      this.markBroken(index);
      throw outcomeUnknown(f.error.message, f.error);
    } else {
      throw f.error;
    }
    state.tries++;
    this.log.debug('retrying an etcd call on the next endpoint', { attempt: state.tries, error: f.error.message });
    if (this.rotation.roundDone(state.tries)) {
      const pause = Math.round(state.delays.next());
      await sleep(Math.min(pause, Math.max(0, state.deadline - Date.now())), signal, this.inflight);
    }
  }

  /** One POST; resolves with an OK response, or throws an {@link AttemptFailure} (or the abort). */
  private async post(ep: Endpoint, path: string, body: string, token: string | undefined, signal: AbortSignal): Promise<{ response: Response; url: string }> {
    for (;;) {
      const url = ep.base + ep.prefix + path;
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (token) headers['authorization'] = token;
      let response: Response;
      try {
        response = await this.config.fetch(url, { ...this.config.fetchInit, method: 'POST', headers, body, signal });
      } catch (err) {
        if (signal.aborted) throw err;
        throw fetchFailure(err, url);
      }
      this.everAnswered = true;
      if (response.ok) {
        ep.settled = true;
        return { response, url };
      }
      let text: string;
      try {
        text = await response.text();
      } catch (err) {
        if (signal.aborted) throw err;
        throw brokenAnswer(url, err);
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
      const mapped = errorOfBody(parsed);
      if (mapped) {
        ep.settled = true;
        throw new AttemptFailure('answer', mapped);
      }
      if (response.status === 404 && ep.prefix === '/v3' && !ep.settled) {
        ep.prefix = '/v3beta';
        ep.settled = true;
        continue;
      }
      const error = errorOfStatus(response.status, text, url);
      throw new AttemptFailure(error instanceof ConnectionError && error.retryable ? 'transport' : 'answer', error);
    }
  }
}
