/**
 * The auth token of a transport: fetched lazily with Auth.Authenticate,
 * attached to every call (gRPC metadata `token`, HTTP `Authorization`),
 * refreshed single-flight when etcd says it is invalid.
 *
 * @module
 * @internal
 */
import { abortErrorOf, throwIfAborted } from '../../src/errors.js';
import type { AuthenticateResponse, TransportOptions } from '../../src/transport/index.js';
import { isAuthNotEnabled, isTokenError, needsFreshToken } from './answers.js';

/** Authenticates and returns a fresh token ('' when the cluster has auth disabled: calls carry no token). */
export type Authenticator = () => Promise<string>;

/** Holds the current token; at most one Authenticate call is in flight. */
export class TokenManager {
  private token: string | undefined;
  private inflight: Promise<string> | undefined;

  constructor(private readonly authenticate: Authenticator) {}

  /** The current token, authenticating first if there is none (or it was invalidated). */
  get(signal?: AbortSignal): Promise<string> {
    if (this.token !== undefined) return Promise.resolve(this.token);
    return this.fetch(signal);
  }

  /**
   * A token other than `stale`: the current one if someone already replaced
   * `stale`, else a freshly authenticated one (shared by concurrent callers).
   */
  refresh(stale: string, signal?: AbortSignal): Promise<string> {
    if (this.token !== undefined && this.token !== stale) return Promise.resolve(this.token);
    this.invalidate(stale);
    return this.fetch(signal);
  }

  /** Forgets `token` if it is the current one: the next {@link get} authenticates again. */
  invalidate(token: string): void {
    if (this.token === token) this.token = undefined;
  }

  /** Forgets `token` when `error` says etcd refused it (a stream's owner reopens with a fresh one). */
  invalidateIfRefused(error: unknown, token: string | undefined): void {
    if (token !== undefined && isTokenError(error)) this.invalidate(token);
  }

  private fetch(signal: AbortSignal | undefined): Promise<string> {
    throwIfAborted(signal);
    if (!this.inflight) {
      const p = this.authenticate().then(
        (token) => {
          if (this.inflight === p) {
            this.inflight = undefined;
            this.token = token;
          }
          return token;
        },
        (err: unknown) => {
          if (this.inflight === p) this.inflight = undefined;
          throw err;
        },
      );
      this.inflight = p;
    }
    const shared = this.inflight;
    if (!signal) return shared;
    // One caller's abort must not cancel the shared authentication.
    return new Promise<string>((resolve, reject) => {
      const onAbort = (): void => reject(abortErrorOf(signal));
      signal.addEventListener('abort', onAbort, { once: true });
      shared.then(
        (t) => {
          signal.removeEventListener('abort', onAbort);
          resolve(t);
        },
        (e: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(e);
        },
      );
    });
  }
}

/**
 * The token manager of a transport configured with `auth` (undefined without):
 * it authenticates through `authenticate` (the transport's own Authenticate
 * call, sent without a token). Like etcd's Go client, credentials for a
 * cluster without auth are not an error: the token is then '' and calls carry none.
 *
 * @example
 * ```ts
 * this.tokens = tokenManagerFor(options.auth, (name, password) => this.authenticate(name, password));
 * ```
 */
export function tokenManagerFor(
  auth: TransportOptions['auth'],
  authenticate: (name: string, password: string) => Promise<AuthenticateResponse>,
): TokenManager | undefined {
  if (!auth) return undefined;
  return new TokenManager(async () => {
    try {
      return (await authenticate(auth.username, auth.password)).token;
    } catch (err) {
      if (isAuthNotEnabled(err)) return '';
      throw err;
    }
  });
}

/**
 * Runs a unary call with the current token (none without `tokens`); when etcd
 * refused the token ({@link needsFreshToken}), re-authenticates (single-flight)
 * and runs it once more: etcd refused it unexecuted, so writes too are safe.
 *
 * @example
 * ```ts
 * return withFreshToken(this.tokens, signal, (token) => this.attempts(request, token));
 * ```
 */
export async function withFreshToken<T>(
  tokens: TokenManager | undefined,
  signal: AbortSignal | undefined,
  call: (token: string | undefined) => Promise<T>,
): Promise<T> {
  let token = tokens ? await tokens.get(signal) : undefined;
  try {
    return await call(token);
  } catch (err) {
    if (!tokens || token === undefined || !needsFreshToken(err, token)) throw err;
    token = await tokens.refresh(token, signal);
    return await call(token);
  }
}
