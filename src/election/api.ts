/**
 * Public contracts of leader election: {@link Election}, its {@link Leader} and a won term ({@link Leadership}).
 * @module
 */
import type { Observable } from 'rxjs';
import type { Bytes, FencedWrites, Rev, WaitOptions } from '../types.js';

/**
 * The current leader of an election: its key, its value (the proposal) and its term.
 *
 * @example
 * ```ts
 * const leader = await client.election('scheduler').leader();
 * console.log(leader ? new TextDecoder().decode(leader.value) : 'no leader');
 * ```
 */
export interface Leader {
  key: string;
  value: Bytes;
  /** The leader key's create revision: the term's fencing token. */
  revision: Rev;
}

/**
 * A won election term: held until resigned or lost.
 *
 * @example
 * ```ts
 * const term = await client.election('scheduler').campaign('node-1');
 * term.lost$.subscribe(() => console.log('no longer the leader'));
 * await term.proclaim('node-1 (draining)');
 * await term.resign(); // the next candidate takes over at once
 * ```
 */
export interface Leadership extends AsyncDisposable, FencedWrites {
  readonly key: string;
  /** Fencing token of this term. */
  readonly revision: Rev;
  readonly lost$: Observable<void>;
  /** Aborted when leadership ends. */
  readonly signal: AbortSignal;
  /** Updates the leader's value without re-election. */
  proclaim(value: string | Bytes): Promise<void>;
  /** Idempotent; the next candidate takes over at once. */
  resign(): Promise<void>;
}

/**
 * Options of {@link Election.lead}.
 *
 * @example
 * ```ts
 * const stop = new AbortController();
 * await client.election('scheduler').lead('node-1', runScheduler, { signal: stop.signal, onError: console.error });
 * ```
 */
export interface LeadOptions {
  /** Stop: resign (if leading), stop campaigning; `lead` resolves once `work` settled. */
  signal?: AbortSignal;
  /** Receives what `work` threw (default: emitted as `'error'` on `client.events`). */
  onError?: (err: unknown) => void;
}

/**
 * Leader election, compatible with Go's `concurrency.Election` and `etcdctl elect`.
 *
 * @example
 * ```ts
 * const election = client.election('scheduler');
 * election.leader$.subscribe((l) => console.log('leader:', l ? new TextDecoder().decode(l.value) : 'none'));
 * const term = await election.campaign('node-1', { signal: AbortSignal.timeout(60_000) });
 * ```
 */
export interface Election {
  /** Resolves when elected. */
  campaign(value: string | Bytes, opts?: WaitOptions): Promise<Leadership>;
  /**
   * The leader loop: campaigns; when elected runs `work(term)`; when the term is lost
   * (`term.signal` aborts) waits for `work` to settle and campaigns again; when `work`
   * settles while leader, resigns and campaigns again. Errors of `work` go to `opts.onError`,
   * else to `client.events` (`'error'`). Resolves once `opts.signal` aborted and `work`
   * settled (resigning first); rejects with `ClosedError` when the client closes.
   */
  lead(value: string | Bytes, work: (term: Leadership) => Promise<void> | void, opts?: LeadOptions): Promise<void>;
  leader(): Promise<Leader | undefined>;
  /** The current leader at subscribe, then every change; `undefined` = no leader. */
  readonly leader$: Observable<Leader | undefined>;
}
