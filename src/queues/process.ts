/**
 * `queue.process(handler, opts)` — jobs over the queue's claim machinery:
 * `concurrency` slots, each waiting in the client's dispatcher (mode `'job'`:
 * the claim txn also counts the delivery) and running one delivery at a time
 * (see `job.ts`). The queue's delay promoter (see `delays.ts`) runs while any
 * `process()` of the queue runs in the client.
 *
 * Stopping (`opts.signal`): the slots stop taking items; running handlers
 * finish (their items are acked or failed as usual); items waiting out their
 * retry delay here are put back at once (they may be delivered again before
 * `retryDelayMs` elapsed); then `process()` resolves. A closed client rejects
 * it with `ClosedError` once handlers settled.
 * @module
 * @internal
 */
import { ClosedError, InvalidArgumentError } from '../errors.js';
import type { Job, ProcessOptions } from './api.js';
import { Backoff, sleep } from '../backoff.js';
import { checkName, checkPositiveInt, checkSignal, MAX_TIMER_MS } from '../validate.js';
import { joinPromoter } from './delays.js';
import { dispatcherFor } from './dispatcher.js';
import { runJob, type JobSettings, type JobTarget } from './job.js';

const DEFAULT_RETRY_DELAY_MS = 1000;

function checkMs(value: unknown, what: string, min: number): asserts value is number | undefined {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > MAX_TIMER_MS) {
    throw new InvalidArgumentError(`${what} must be a number between ${min} and ${MAX_TIMER_MS}, got ${String(value)}`);
  }
}

/** Checks `process()`'s arguments before anything is sent. */
function checkProcessOptions(handler: unknown, opts: unknown): asserts opts is ProcessOptions {
  if (typeof handler !== 'function') throw new InvalidArgumentError('handler must be a function');
  if (typeof opts !== 'object' || opts === null) throw new InvalidArgumentError('options must be an object');
  const o = opts as ProcessOptions;
  if (o.concurrency !== undefined) checkPositiveInt(o.concurrency, 'concurrency', 10_000);
  if (o.maxDeliveries !== undefined) checkPositiveInt(o.maxDeliveries, 'maxDeliveries');
  checkMs(o.visibilityTimeoutMs, 'visibilityTimeoutMs', 1);
  checkMs(o.retryDelayMs, 'retryDelayMs', 0);
  if (o.deadLetter !== undefined) checkName(o.deadLetter, 'deadLetter');
  checkSignal(o.signal);
}

/** Timers that return failed items after their retry delay; `flush()` returns them all now. */
class Later {
  private readonly pending = new Map<ReturnType<typeof setTimeout>, () => Promise<void>>();
  private readonly running = new Set<Promise<void>>();

  schedule(ms: number, fn: () => Promise<void>): void {
    const timer = setTimeout(() => {
      this.pending.delete(timer);
      this.track(fn);
    }, ms);
    this.pending.set(timer, fn);
  }

  async flush(): Promise<void> {
    for (const [timer, fn] of this.pending) {
      clearTimeout(timer);
      this.track(fn);
    }
    this.pending.clear();
    await Promise.allSettled([...this.running]);
  }

  private track(fn: () => Promise<void>): void {
    const p = fn()
      .catch(() => undefined)
      .finally(() => this.running.delete(p));
    this.running.add(p);
  }
}

/**
 * Runs `handler` on the items of `target`'s queue until `opts.signal` aborts (see the module doc).
 *
 * @example
 * ```ts
 * const stop = new AbortController();
 * await client.queue<Email>('mail').process(async (mail, job) => send(mail, { signal: job.signal }), {
 *   concurrency: 4, maxDeliveries: 5, retryDelayMs: 2_000, signal: stop.signal,
 * });
 * ```
 */
export async function runProcess<T>(target: JobTarget<T>, handler: (value: T, job: Job) => Promise<void>, opts: ProcessOptions = {}): Promise<void> {
  checkProcessOptions(handler, opts);
  const { store, layout } = target;
  store.checkOpen();
  const { signal } = opts;
  if (signal?.aborted) return;
  const later = new Later();
  const settings: JobSettings = {
    visibilityTimeoutMs: opts.visibilityTimeoutMs,
    maxDeliveries: opts.maxDeliveries,
    deadLetter: opts.deadLetter ?? `${layout.name}.dead`,
    retryDelayMs: opts.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS,
    later: (ms, fn) => later.schedule(ms, fn),
  };
  const leave = joinPromoter(store, layout);
  const slot = async (): Promise<void> => {
    const backoff = new Backoff(100, 2_000);
    while (!signal?.aborted) {
      let item;
      try {
        item = await dispatcherFor(store, layout).enlist('job', signal);
      } catch (error) {
        if (signal?.aborted) return;
        if (error instanceof ClosedError || store.closed) throw error;
        await sleep(backoff.next(), signal).catch(() => undefined);
        continue;
      }
      backoff.reset();
      await runJob(target, item, handler, settings);
    }
  };
  let outcomes: PromiseSettledResult<void>[];
  try {
    outcomes = await Promise.allSettled(Array.from({ length: opts.concurrency ?? 1 }, slot));
  } finally {
    leave();
    await later.flush();
  }
  const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
  if (failed) throw failed.reason;
}
