/**
 * The leader loop (`election.lead`), after Kubernetes' `leaderelection.RunOrDie`
 * but stricter: `work` of a term always settles before the next campaign, so
 * one process never runs two `work`s of an election at once.
 *
 * ## Loop
 * | state | event | next |
 * |---|---|---|
 * | campaigning | elected | working: `work(term)` runs |
 * | campaigning | campaign fails (retryable: connection, lost session) | back off, campaign again |
 * | campaigning | `opts.signal` aborts | done: resolve (nothing left in etcd) |
 * | working | term lost (session expired, key deleted) | `term.signal` aborts; wait for `work` to settle; back off; campaign again |
 * | working | `work` settles (resolves or throws) while leader | error to `onError`, else to the client's logger and `client.events` `'error'`; resign; campaign again (after a short backoff when terms end quickly) |
 * | working | `opts.signal` aborts | resign at once (`term.signal` aborts); wait for `work`; resolve |
 * | any | client closes | the term ends with the session; wait for `work`; reject `ClosedError` |
 *
 * Errors from `work` (and from `resign`) go to `opts.onError` when given, else
 * to the client's logger (`error`) and as `'error'` on `client.events` (dropped when nobody listens —
 * the client has no logger of its own).
 *
 * Inside one client, the `lead` loops of one election name take turns through a
 * local gate held from the campaign until `work` settled: even when a term is lost
 * while its `work` is still running, another `lead` of the same process does not
 * start a second `work` before the first one settled.
 * @module
 * @internal
 */
import { Backoff, sleep } from '../backoff.js';
import { hex } from '../bytes.js';
import { onAbort } from '../abort-listeners.js';
import { ConclaveError, InvalidArgumentError } from '../errors.js';
import { Registry } from '../kit/registry.js';
import type { Store } from '../kit/store.js';
import type { Bytes } from '../transport/index.js';
import type { Election, LeadOptions, Leadership } from './api.js';
import { checkSignal, checkValue } from '../validate.js';

/** A term shorter than this counts as "ended quickly": the next campaign backs off more. */
const QUICK_TERM_MS = 5_000;

/** The turn being taken of each election (by stored prefix), per connection. */
const gates = new Registry<Promise<void>>();

/** Takes the local turn of `id` in `store`'s connection: resolves with the function that hands it on. */
async function takeGate(store: Store, id: string, signal?: AbortSignal): Promise<() => void> {
  const map = gates.table(store.connection);
  for (;;) {
    const busy = map.get(id);
    if (!busy) break;
    if (signal?.aborted) throw signal.reason;
    let off: (() => void) | undefined;
    await Promise.race([busy, new Promise<void>((resolve) => signal && (off = onAbort(signal, resolve)))]);
    off?.();
    if (signal?.aborted) throw signal.reason;
  }
  let open!: () => void;
  const turn = new Promise<void>((resolve) => (open = resolve));
  map.set(id, turn);
  return () => {
    if (map.get(id) === turn) map.delete(id);
    open();
  };
}

/**
 * Runs the leader loop of `election` (see the module's table). Resolves when
 * `opts.signal` aborts and the running `work` (if any) settled; rejects with
 * `ClosedError` when the client closes (once `work` settled).
 *
 * @example
 * ```ts
 * const stop = new AbortController();
 * await client.election('scheduler').lead('node-1', async (term) => {
 *   while (!term.signal.aborted) await tick(term.revision, term.signal); // term.revision: fencing token
 * }, { signal: stop.signal, onError: (e) => console.error('work failed', e) });
 * ```
 */
export async function lead(
  store: Store,
  reportError: (error: Error) => void,
  election: Election,
  name: string,
  value: string | Bytes,
  work: (term: Leadership) => Promise<void> | void,
  opts: LeadOptions = {},
): Promise<void> {
  checkValue(value);
  if (typeof work !== 'function') throw new InvalidArgumentError('work must be a function');
  checkSignal(opts.signal);
  if (opts.onError !== undefined && typeof opts.onError !== 'function') throw new InvalidArgumentError('onError must be a function');
  const { signal } = opts;
  const report = (error: unknown): void => {
    try {
      if (opts.onError) opts.onError(error);
      else {
        store.log.error('leader work failed; resigning and campaigning again', { election: name, error });
        reportError(error instanceof Error ? error : new Error(String(error)));
      }
    } catch {
      // A throwing error handler must not stop the loop.
    }
  };
  const gateId = hex(store.prefix(`${name}/`).key);
  const backoff = new Backoff(100, 5_000);
  while (!signal?.aborted) {
    store.checkOpen();
    let release: () => void;
    try {
      release = await takeGate(store, gateId, signal);
    } catch {
      return; // aborted while another lead of this process held the turn
    }
    let quick = true;
    try {
      let term: Leadership | undefined;
      try {
        term = await election.campaign(value, signal ? { signal } : {});
      } catch (error) {
        if (signal?.aborted) return;
        store.checkOpen();
        if (!(error instanceof ConclaveError) || !error.retryable) throw error;
      }
      if (term) quick = await runTerm(term, work, report, signal);
      store.checkOpen();
    } finally {
      release();
    }
    if (!quick) backoff.reset();
    await sleep(backoff.next(), signal).catch(() => undefined);
  }
}

/** Runs `work` for one term, resigns it if still held; resolves whether the term was short. */
async function runTerm(
  term: Leadership,
  work: (term: Leadership) => Promise<void> | void,
  report: (error: unknown) => void,
  signal: AbortSignal | undefined,
): Promise<boolean> {
  const started = performance.now();
  if (signal?.aborted) {
    await term.resign().catch(report);
    return false;
  }
  let resigning: Promise<void> | undefined;
  const onStop = (): void => void (resigning = term.resign().catch(report));
  const off = signal ? onAbort(signal, onStop) : undefined;
  try {
    await work(term);
  } catch (error) {
    report(error);
  } finally {
    off?.();
  }
  await resigning;
  if (!term.signal.aborted) await term.resign().catch(report);
  return performance.now() - started < QUICK_TERM_MS;
}
