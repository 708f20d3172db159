/**
 * Shared helpers of the fault suite: worker processes, bounded waits on counters and events,
 * retried writes, reading etcd's history of a prefix, and soft checks that feed the summary.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { ConclaveError, type Conclave, type WatchEvent } from '../../src/index.js';
import { ClientProcess, type ChildEvent } from '../harness/client-process.js';
import type { FencedWrite, ReportedWrite } from './checkers/fenced-history.js';
import type { Violation } from './checkers/violation.js';

/**
 * How much work each scenario does: 1 in `npm test` / `npm run test:faults`; `npm run soak`
 * sets `CONCLAVE_FAULT_SCALE` (default 5 there) to run every scenario that many times longer.
 */
export const SCALE = Math.max(1, Number(process.env['CONCLAVE_FAULT_SCALE'] ?? 1) || 1);

/** The worker child program. */
export const WORKER = 'test/faults/children/worker.ts';

/**
 * Extra time allowed over a documented bound (failover within TTL + 1 s) before an assertion
 * fails: the suite runs on loaded 2-core CI machines. Measured values are reported as they are.
 * `CONCLAVE_FAULT_SLACK_MS` overrides it.
 */
export const SLACK_MS = Number(process.env['CONCLAVE_FAULT_SLACK_MS'] ?? 4_000);

/** Starts a worker process named `label` and connects it with `connect` options. */
export async function startWorker(label: string, connect: Record<string, unknown>, registry: ClientProcess[]): Promise<ClientProcess> {
  const worker = await ClientProcess.start(WORKER, { label, args: [label] });
  registry.push(worker);
  await worker.request('connect', connect, { timeoutMs: 30_000 });
  return worker;
}

/** A count that tests can wait on, bounded in time. */
export class Counter {
  #value = 0;
  readonly #waiters = new Set<{ n: number; resolve: () => void }>();

  get value(): number {
    return this.#value;
  }

  add(k = 1): void {
    this.#value += k;
    for (const w of [...this.#waiters]) {
      if (this.#value >= w.n) {
        this.#waiters.delete(w);
        w.resolve();
      }
    }
  }

  /** Resolves once the count reaches `n`; rejects after `timeoutMs`. */
  async reach(n: number, timeoutMs: number, what = `count ${n}`): Promise<void> {
    if (this.#value >= n) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let waiter: { n: number; resolve: () => void } | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        waiter = { n, resolve };
        this.#waiters.add(waiter);
        timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what} (at ${this.#value})`)), timeoutMs);
      });
    } finally {
      clearTimeout(timer);
      if (waiter) this.#waiters.delete(waiter);
    }
  }
}

/** Counts the events named `event` of `worker` (from now on) into `counter`. */
export function countEvents(worker: ClientProcess, event: string, counter: Counter): () => void {
  return worker.onEvent((e: ChildEvent) => {
    if (e.event === event) counter.add();
  });
}

/**
 * Calls `fn` until it succeeds, retrying on retryable Conclave errors (a member died, no
 * leader yet) for up to `timeoutMs`. `onAmbiguous` is told of every failed attempt (the
 * write may or may not have been applied).
 */
export async function retrying<T>(fn: () => Promise<T>, timeoutMs = 30_000, onAmbiguous?: (error: unknown) => void): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (!(error instanceof ConclaveError && error.retryable) || Date.now() > deadline) throw error;
      onAmbiguous?.(error);
      await delay(Math.min(50 * 2 ** attempt, 500));
    }
  }
}

/**
 * etcd's history of the keys under `prefix` from `fromRevision` through `untilRevision`,
 * replayed by a watch (bounded by `timeoutMs`).
 */
export function historyOf(client: Conclave, prefix: string, fromRevision: bigint, untilRevision: bigint, timeoutMs = 30_000): Promise<WatchEvent[]> {
  const events: WatchEvent[] = [];
  return new Promise<WatchEvent[]>((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.unsubscribe();
      reject(new Error(`history of ${prefix} up to ${untilRevision}: only ${events.length} events within ${timeoutMs} ms`));
    }, timeoutMs);
    const sub = client.watch(prefix, { prefix: true, fromRevision }).subscribe({
      next: (e) => {
        if (e.revision <= untilRevision) events.push(e);
        if (e.revision >= untilRevision) {
          clearTimeout(timer);
          queueMicrotask(() => sub.unsubscribe());
          resolve(events);
        }
      },
      error: (e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    });
  });
}

/** Soft checks: collect what went wrong (for the summary row), then assert none did. */
export class Checks {
  readonly violations: Violation[] = [];

  /** Records a violation of `kind` unless `ok`. */
  that(ok: boolean, kind: string, detail: string): boolean {
    if (!ok) this.violations.push({ kind, detail });
    return ok;
  }

  add(violations: readonly Violation[]): void {
    this.violations.push(...violations);
  }
}

/** Every `unhandled` event the workers reported (an SDK promise rejected with nobody listening). */
export function unhandledRejections(workers: readonly ClientProcess[]): Violation[] {
  return workers.flatMap((w) =>
    w.events.filter((e) => e.event === 'unhandled').map((e) => ({ kind: 'unhandled-rejection', detail: `${w.label}: ${JSON.stringify(e['error'])}` })),
  );
}

/** Milliseconds since `start` (performance clock). */
export function since(start: number): number {
  return Math.round(performance.now() - start);
}

/** Waits `ms`: only for the length of an injected fault (a pause, a cut), never to wait for a result. */
export function faultFor(ms: number): Promise<void> {
  return delay(ms);
}

/** The fenced writes of a history: puts whose value is `{ holder, token, n }` (other keys skipped by `skip`). */
export function acceptedWrites(history: readonly WatchEvent[], skip: (key: string) => boolean = () => false): (FencedWrite & { n: number })[] {
  const accepted: (FencedWrite & { n: number })[] = [];
  for (const e of history) {
    if (e.type !== 'put' || skip(e.key)) continue;
    const v = JSON.parse(new TextDecoder().decode(e.value)) as { holder: string; token: string; n: number };
    accepted.push({ resource: e.key, revision: e.revision, token: BigInt(v.token), holder: v.holder, n: v.n });
  }
  return accepted;
}

/** The `write` events of workers as the fenced-history checker wants them; `resourceOf` names the key written. */
export function reportedWrites(workers: readonly ClientProcess[], resourceOf: (event: ChildEvent) => string): ReportedWrite[] {
  return workers.flatMap((w) =>
    w.events
      .filter((e) => e.event === 'write')
      .map((e) => ({
        resource: resourceOf(e),
        token: BigInt(e['token'] as string),
        holder: w.label,
        n: e['n'] as number,
        outcome: e['ok'] ? ('ok' as const) : e['rejected'] ? ('rejected' as const) : ('failed' as const),
        revision: e['revision'] === undefined ? undefined : BigInt(e['revision'] as string),
      })),
  );
}
