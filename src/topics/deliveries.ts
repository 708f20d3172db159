/**
 * The handling side of one consumer-group membership: which messages to run,
 * with how many handlers at once, and what to write when a handler settles.
 *
 * - A message this member owns runs with no write before it; one it claims
 *   runs after its claim txn (which counts the delivery).
 * - A handler that resolves: the message is marked done. Marks are batched:
 *   the marks of all handlers that resolved while a mark txn was in flight go
 *   in the next one (one txn for many messages under load).
 * - A handler that throws: the next delivery is counted in `tries/<r>` (with
 *   the error), and the message runs again on this member after
 *   `retryDelayMs`; after `maxDeliveries` it moves to the dead-letter queue,
 *   its error record beside it (the form of the jobs: `kit/dead-letters.ts`).
 * - The oldest live member moves the group's low mark (at most every
 *   {@link ADVANCE_MS}), deleting the done marks below it.
 * @module
 * @internal
 */
import { ConclaveError } from '../errors.js';
import { errorRecordOf, type JobErrorRecord } from '../kit/dead-letters.js';
import type { Codec } from '../types.js';
import type { ConsumeContext, TopicMessage } from './api.js';
import type { GroupView, PendingMessage } from './group-view.js';
import type { Tries } from './group-layout.js';
import type { AckItem, GroupWriter } from './group-writes.js';
import { topicPrefix } from './layout.js';

/** The low mark moves at most this often (ms). */
export const ADVANCE_MS = 100;
/** Marks per txn (etcd allows 128 operations; a mark takes up to 3). */
const ACK_BATCH = 40;

export interface DeliveryConfig<T> {
  topic: string;
  group: string;
  codec: Codec<T>;
  handler: (msg: TopicMessage<T>, ctx: ConsumeContext) => Promise<void>;
  concurrency: number;
  maxDeliveries: number;
  retryDelayMs: number;
  deadLetter: string;
}

interface Job {
  m: PendingMessage;
  claim: boolean;
  attempt: number;
  claimed: boolean;
}

export class Deliveries<T> {
  private readonly queue: Job[] = [];
  /** Revisions this member holds (queued, running, waiting to retry, or being marked). */
  private readonly held = new Set<bigint>();
  private running = 0;
  private intake = true;
  private acks: AckItem[] = [];
  private flushing: Promise<void> | undefined;
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private advanceTimer: ReturnType<typeof setTimeout> | undefined;
  private advancing: Promise<void> | undefined;
  private idleWaiters: (() => void)[] = [];
  /** Aborted when this membership loses its messages (session lost, client closed). */
  readonly handlerAbort = new AbortController();

  constructor(
    private readonly view: GroupView,
    private readonly writer: GroupWriter,
    private readonly config: DeliveryConfig<T>,
    /** A write failed for good (session ended, client closed, ...). */
    private readonly failed: (error: unknown) => void,
  ) {}

  /** Queues `m` if this member should run it now. */
  consider(m: PendingMessage): void {
    if (!this.intake || this.held.has(m.revision)) return;
    const decision = this.view.decide(m);
    if (decision === 'wait') return;
    this.held.add(m.revision);
    this.queue.push({ m, claim: decision === 'claim', attempt: 1, claimed: false });
    this.pump();
  }

  /** Looks at every pending message again (a member or a claim went). */
  rescan(): void {
    for (const m of this.view.pending.values()) this.consider(m);
  }

  /** Someone marked `revision` done. */
  onDone(revision: bigint): void {
    this.view.markDone(revision);
    this.scheduleAdvance();
  }

  /** Stops taking messages (those queued stay held until the session ends). */
  stopIntake(): void {
    this.intake = false;
  }

  /** Resolves once no handler runs and no mark is being written. */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Moves the low mark now if this member keeps it (best effort). */
  async advanceNow(): Promise<void> {
    if (this.advanceTimer) clearTimeout(this.advanceTimer);
    this.advanceTimer = undefined;
    await this.advancing;
    if (!this.view.advancer) return;
    const from = this.view.low;
    const to = this.view.lowCandidate();
    if (to <= from) return;
    this.advancing = this.writer.advance(from, to).then(
      (moved) => {
        if (moved) this.view.setLow(to);
      },
      () => undefined, // the next advance retries
    );
    await this.advancing;
    this.advancing = undefined;
  }

  dispose(): void {
    this.intake = false;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    if (this.advanceTimer) clearTimeout(this.advanceTimer);
    this.advanceTimer = undefined;
  }

  private isIdle(): boolean {
    return this.running === 0 && this.flushing === undefined && this.acks.length === 0;
  }

  private notify(): void {
    if (!this.isIdle()) return;
    for (const w of this.idleWaiters.splice(0)) w();
  }

  private scheduleAdvance(): void {
    if (this.advanceTimer || !this.view.advancer || this.view.lowCandidate() <= this.view.low) return;
    this.advanceTimer = setTimeout(() => {
      this.advanceTimer = undefined;
      void this.advanceNow();
    }, ADVANCE_MS);
  }

  private pump(): void {
    while (this.intake && this.running < this.config.concurrency && this.queue.length > 0) {
      const job = this.queue.shift()!;
      const r = job.m.revision;
      if (this.view.done.has(r) || r < this.view.low) {
        this.held.delete(r);
        continue;
      }
      this.running++;
      this.run(job)
        .catch((error: unknown) => {
          this.held.delete(r);
          this.failed(error);
        })
        .finally(() => {
          this.running--;
          this.pump();
          this.notify();
        });
    }
  }

  private async run(job: Job): Promise<void> {
    const { m } = job;
    const { maxDeliveries, deadLetter } = this.config;
    let { attempt, claimed } = job;
    if (job.claim) {
      const tries = this.view.tries.get(m.revision) ?? { modRevision: 0n, tries: { attempts: 0 } };
      const record = (t: Tries): JobErrorRecord => this.lastRecord(m, t);
      const res = await this.writer.claim(m.revision, m.owner, tries, maxDeliveries, { queue: deadLetter, value: m.value, record });
      if (res.result !== 'claimed') {
        if (res.result === 'dead') this.view.markDone(m.revision);
        this.held.delete(m.revision);
        return;
      }
      attempt = res.attempt;
      claimed = true;
    }
    let failure: unknown;
    let ok = false;
    try {
      const value = this.config.codec.decode(m.value);
      await this.config.handler({ topic: this.config.topic, value, revision: m.revision }, { signal: this.handlerAbort.signal, attempt });
      ok = true;
    } catch (error) {
      failure = error;
    }
    if (this.handlerAbort.signal.aborted) return; // lost: another member gets it
    if (ok) {
      this.ack({ revision: m.revision, cleanup: claimed || attempt > 1 });
      return;
    }
    if (attempt >= maxDeliveries) {
      if ((await this.writer.deadLetter(m.revision, deadLetter, m.value, this.record(m, attempt, failure))) === 'lost') throw this.lostError();
      this.view.markDone(m.revision);
      this.held.delete(m.revision);
      return;
    }
    const recorded = await this.writer.recordTry(m.revision, { attempts: attempt + 1, error: this.record(m, attempt, failure).error });
    if (recorded === 'lost') throw this.lostError();
    if (recorded === 'gone') {
      this.held.delete(m.revision);
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.intake) return;
      this.queue.unshift({ m, claim: false, attempt: attempt + 1, claimed });
      this.pump();
    }, this.config.retryDelayMs);
    this.timers.add(timer);
  }

  /** The error record of `m` failing at delivery `attempt`. */
  private record(m: PendingMessage, attempt: number, error: unknown): JobErrorRecord {
    return errorRecordOf(this.config.topic, topicPrefix(this.config.topic) + m.key, attempt, error, { group: this.config.group, revision: m.revision.toString() });
  }

  /**
   * The error record of `m` found with `tries.attempts` >= maxDeliveries on a
   * claim: its last delivery ended with its member. As for jobs, the last
   * error recorded (of delivery `attempts - 1`), else a `DELIVERY_LOST` error.
   */
  private lastRecord(m: PendingMessage, tries: Tries): JobErrorRecord {
    if (tries.error) return { ...this.record(m, tries.attempts - 1, undefined), error: tries.error };
    const lost = new ConclaveError(`delivery ${tries.attempts} ended without a result (its member died, or paused past its session TTL)`, { code: 'DELIVERY_LOST', retryable: false });
    return this.record(m, tries.attempts, lost);
  }

  private ack(item: AckItem): void {
    this.acks.push(item);
    this.flushing ??= this.flush().finally(() => {
      this.flushing = undefined;
      this.notify();
    });
  }

  private async flush(): Promise<void> {
    while (this.acks.length > 0) {
      const batch = this.acks.splice(0, ACK_BATCH);
      let result: 'ok' | 'lost';
      try {
        result = await this.writer.ack(batch);
      } catch (error) {
        this.acks = [];
        this.failed(error);
        return;
      }
      if (result === 'lost') {
        this.acks = [];
        this.failed(this.lostError());
        return;
      }
      for (const item of batch) {
        this.view.markDone(item.revision);
        this.held.delete(item.revision);
      }
      this.scheduleAdvance();
    }
  }

  private lostError(): Error {
    const reason: unknown = this.writer.session.signal.reason;
    return reason instanceof Error ? reason : new Error('consumer group membership lost');
  }
}
