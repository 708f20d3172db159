/**
 * The auth token of a gRPC transport: fetched lazily with Auth.Authenticate,
 * attached to every call as metadata `token`, refreshed single-flight when
 * etcd says it is invalid.
 *
 * @module
 * @internal
 */
import { abortErrorOf, throwIfAborted } from '../../src/errors.js';

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
