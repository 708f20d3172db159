/**
 * The lease hub: every lease of a client is kept alive over ONE keep-alive
 * stream, each refreshed at a third of its TTL (etcd grpc-proxy's lease
 * proxy, inside the client). Time is measured on the monotonic clock.
 *
 * ## Per-lease state machine
 * | state | event | next state / action |
 * |-------|-------|---------------------|
 * | alive | refresh due (TTL/3 after the last acknowledged send), none unanswered | alive: send a keep-alive on the stream |
 * | alive | answer with TTL > 0 | alive: deadline = time of the send + TTL |
 * | alive | answer with TTL <= 0 (expired or revoked) | lost: `onLost` |
 * | alive | deadline passes with no answer | lost: `onLost` |
 * | alive | `release()` | gone (no `onLost`) |
 *
 * ## Stream
 * Opened when the first lease is registered; on error reopened after a
 * jittered backoff (50 ms .. 1 s) and every lease is refreshed at once; closed
 * when the last lease is released. A keep-alive is never repeated on the same
 * stream while it waits for its answer.
 * @module
 * @internal
 */
import { ExponentialBackoff, type IBackoff } from 'cockatiel';
import type { LeaseKeepAliveResponse, LeaseKeepAliveStream, ResponseHeader, Transport } from '../transport.js';
import { MAX_TIMER_MS } from '../validate.js';

/** Sends due within this window are grouped into one timer tick. */
const TICK_GRANULARITY_MS = 50;

interface LeaseEntry {
  readonly id: bigint;
  readonly ttlMs: number;
  /** Monotonic time after which the lease is presumed gone. */
  deadline: number;
  /** Monotonic time of the next keep-alive. */
  nextDue: number;
  /** Monotonic time of the unanswered keep-alive, or 0 (the deadline is computed from it: conservative). */
  oldestUnanswered: number;
  readonly onLost: (reason: string) => void;
}

export interface KeptLease {
  readonly id: bigint;
  /** Stops keeping the lease alive (does not revoke it). */
  release(): void;
}

export class LeaseHub {
  private readonly leases = new Map<bigint, LeaseEntry>();
  private stream: LeaseKeepAliveStream | undefined;
  private backoff: IBackoff<unknown> | undefined;
  private readonly backoffFactory = new ExponentialBackoff({ initialDelay: 50, maxDelay: 1000 });
  private reopenTimer: ReturnType<typeof setTimeout> | undefined;
  private tickTimer: ReturnType<typeof setTimeout> | undefined;
  private tickAt = Infinity;
  private closed = false;
  /** Keep-alive messages sent so far (for benchmarks and tests). */
  messagesSent = 0;
  streamsOpened = 0;

  constructor(
    private readonly transport: Transport,
    private readonly observeHeader: (header: ResponseHeader) => void,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /**
   * Keeps lease `id` alive. `grantedAt` is the monotonic time the grant was
   * sent: the lease is assumed to expire `ttlSeconds` after it.
   */
  keep(id: bigint, ttlSeconds: number, grantedAt: number, onLost: (reason: string) => void): KeptLease {
    const ttlMs = ttlSeconds * 1000;
    const entry: LeaseEntry = { id, ttlMs, deadline: grantedAt + ttlMs, nextDue: grantedAt + ttlMs / 3, oldestUnanswered: 0, onLost };
    this.leases.set(id, entry);
    this.ensureStream();
    this.schedule(entry.nextDue);
    return {
      id,
      release: () => {
        if (this.leases.get(id) === entry) this.leases.delete(id);
        this.closeIfUnused();
      },
    };
  }

  stats(): { leases: number; keepAliveStreams: number } {
    return { leases: this.leases.size, keepAliveStreams: this.stream ? 1 : 0 };
  }

  close(): void {
    this.closed = true;
    this.leases.clear();
    this.stopStream();
    if (this.tickTimer) clearTimeout(this.tickTimer);
    this.tickTimer = undefined;
  }

  private ensureStream(): void {
    if (this.closed || this.stream || this.reopenTimer || this.leases.size === 0) return;
    this.streamsOpened++;
    const stream = this.transport.openLeaseKeepAlive({
      onMessage: (res) => this.answered(res),
      onError: () => {
        if (this.stream !== stream) return;
        this.stream = undefined;
        this.scheduleReopen();
      },
    });
    this.stream = stream;
  }

  private scheduleReopen(): void {
    if (this.closed || this.leases.size === 0) return;
    this.backoff = this.backoff ? this.backoff.next(undefined) : this.backoffFactory.next();
    this.reopenTimer = setTimeout(() => {
      this.reopenTimer = undefined;
      this.ensureStream();
      // A fresh stream: refresh everything now; answers will confirm the stream works.
      const now = this.now();
      for (const e of this.leases.values()) {
        e.nextDue = now;
        e.oldestUnanswered = 0;
      }
      this.tick();
    }, this.backoff.duration);
  }

  private answered(res: LeaseKeepAliveResponse): void {
    this.observeHeader(res.header);
    this.backoff = undefined;
    const entry = this.leases.get(res.id);
    if (!entry) return;
    if (res.ttl <= 0n) {
      this.lose(entry, 'lease expired or revoked');
      return;
    }
    const sentAt = entry.oldestUnanswered || this.now();
    entry.oldestUnanswered = 0;
    const ttlMs = Number(res.ttl) * 1000;
    entry.deadline = sentAt + ttlMs;
    entry.nextDue = sentAt + ttlMs / 3;
    this.schedule(entry.nextDue);
  }

  private lose(entry: LeaseEntry, reason: string): void {
    if (this.leases.get(entry.id) !== entry) return;
    this.leases.delete(entry.id);
    this.closeIfUnused();
    entry.onLost(reason);
  }

  private schedule(at: number): void {
    if (this.closed || at >= this.tickAt) return;
    if (this.tickTimer) clearTimeout(this.tickTimer);
    this.tickAt = at;
    // Leases of more than ~74 days have keep-alives due beyond what a timer can wait: wake up
    // at the timer's limit and reschedule (a longer delay would fire at once, in a loop).
    this.tickTimer = setTimeout(() => this.tick(), Math.min(MAX_TIMER_MS, Math.max(0, at - this.now())));
  }

  /** Sends every keep-alive due soon, declares overdue leases lost, and sleeps until the next due time. */
  private tick(): void {
    if (this.tickTimer) clearTimeout(this.tickTimer);
    this.tickTimer = undefined;
    this.tickAt = Infinity;
    if (this.closed) return;
    const now = this.now();
    let next = Infinity;
    for (const entry of [...this.leases.values()]) {
      if (now >= entry.deadline) {
        this.lose(entry, 'no keep-alive answer before the lease deadline');
        continue;
      }
      // A keep-alive waiting for its answer is not repeated on the same stream (a stream loses
      // nothing; repeating would only add load when etcd is slow): a new stream resends all.
      if (entry.oldestUnanswered === 0 && entry.nextDue <= now + TICK_GRANULARITY_MS && this.stream) {
        entry.oldestUnanswered = now;
        this.messagesSent++;
        this.stream.send(entry.id);
      }
      const wakeAt = entry.oldestUnanswered !== 0 ? entry.deadline : Math.max(entry.nextDue, now + TICK_GRANULARITY_MS);
      next = Math.min(next, wakeAt, entry.deadline);
    }
    if (next < Infinity) this.schedule(next);
  }

  private closeIfUnused(): void {
    if (this.leases.size > 0) return;
    this.stopStream();
  }

  private stopStream(): void {
    this.stream?.close();
    this.stream = undefined;
    if (this.reopenTimer) clearTimeout(this.reopenTimer);
    this.reopenTimer = undefined;
    this.backoff = undefined;
  }
}
