/**
 * The lease hub: every lease of a client is kept alive over ONE keep-alive
 * stream, each refreshed at a third of its TTL (etcd grpc-proxy's lease
 * proxy, inside the client). Time is measured on the monotonic clock.
 *
 * ## Deadline
 * etcd expires a lease at the earliest TTL after the keep-alive (or grant)
 * that last reached it, so a lease is alive at least until *send time + TTL*.
 * The client counts it lost a margin before that — {@link leaseMarginMs}:
 * max(500 ms, 10 % of the TTL), and max(1 s, 20 %) over grpc-proxy, whose
 * keep-alive answers come from its own keep-alive loop and can belong to a
 * send made before ours — to cover timer lateness and event-loop lag.
 *
 * ## Per-lease state machine
 * | state | event | next state / action |
 * |-------|-------|---------------------|
 * | alive | refresh due (TTL/3 after the last acknowledged send), none unanswered | alive: send a keep-alive on the stream |
 * | alive | answer (on the current stream) to an unanswered send, TTL > 0 | alive: deadline = time of the send + TTL − margin |
 * | alive | answer with no send waiting for it, or on an older stream, TTL > 0 | alive: ignored (it proves nothing about the deadline) |
 * | alive | answer with TTL <= 0 (expired or revoked) | lost: `onLost` |
 * | alive | deadline passes with no answer | lost: `onLost` (the session then revokes the lease, see `session.ts`) |
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
import { Backoff } from '../backoff.js';
import type { LeaseKeepAliveResponse, LeaseKeepAliveStream, ResponseHeader, Transport } from '../transport/index.js';
import { MAX_TIMER_MS } from '../validate.js';

/** Sends due within this window are grouped into one timer tick. */
const TICK_GRANULARITY_MS = 50;

/**
 * How long before the earliest possible server-side expiry a lease of `ttlMs`
 * is counted lost: max(500 ms, 10 % of the TTL); over grpc-proxy max(1 s, 20 %).
 * Never more than half the TTL.
 *
 * @example
 * ```ts
 * leaseMarginMs(10_000, false); // 1000
 * leaseMarginMs(3_000, true);   // 1000
 * ```
 */
export function leaseMarginMs(ttlMs: number, proxied: boolean): number {
  const margin = proxied ? Math.max(1000, ttlMs * 0.2) : Math.max(500, ttlMs * 0.1);
  return Math.min(margin, ttlMs / 2);
}

interface LeaseEntry {
  readonly id: bigint;
  readonly ttlMs: number;
  /** Monotonic time after which the lease is counted lost (the earliest server expiry − margin). */
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
  /** Delays between stream reopens (the shared backoff); reset once etcd answers. */
  private readonly backoff = new Backoff(50, 1000);
  private reopenTimer: ReturnType<typeof setTimeout> | undefined;
  private tickTimer: ReturnType<typeof setTimeout> | undefined;
  private tickAt = Infinity;
  private closed = false;
  /** Keep-alive messages sent so far (for benchmarks and tests). */
  messagesSent = 0;
  streamsOpened = 0;
  /** Whether keep-alive answers come through grpc-proxy (a larger margin, see {@link leaseMarginMs}). */
  private readonly proxied: boolean;

  constructor(
    private readonly transport: Transport,
    /** Also told every answer's header (the core needs none: its observed transport reports them). */
    private readonly observeHeader?: ((header: ResponseHeader) => void) | undefined,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.proxied = transport.name === 'grpc-proxy';
  }

  /** The margin of a lease of `ttlMs` on this hub's transport. */
  marginMs(ttlMs: number): number {
    return leaseMarginMs(ttlMs, this.proxied);
  }

  /**
   * Keeps lease `id` alive. `grantedAt` is the monotonic time the grant was
   * sent: the lease is assumed to expire `ttlSeconds` after it, and is counted
   * lost a margin before.
   */
  keep(id: bigint, ttlSeconds: number, grantedAt: number, onLost: (reason: string) => void): KeptLease {
    const ttlMs = ttlSeconds * 1000;
    const deadline = grantedAt + ttlMs - this.marginMs(ttlMs);
    const entry: LeaseEntry = { id, ttlMs, deadline, nextDue: grantedAt + ttlMs / 3, oldestUnanswered: 0, onLost };
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
      onMessage: (res) => this.answered(res, this.stream === stream),
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
    const delay = this.backoff.next();
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
    }, delay);
  }

  private answered(res: LeaseKeepAliveResponse, current: boolean): void {
    this.observeHeader?.(res.header);
    if (current) this.backoff.reset();
    const entry = this.leases.get(res.id);
    if (!entry) return;
    if (res.ttl <= 0n) {
      this.lose(entry, 'lease expired or revoked');
      return;
    }
    // Only an answer to a send of the current stream tells from when the TTL runs.
    if (!current || entry.oldestUnanswered === 0) return;
    const sentAt = entry.oldestUnanswered;
    entry.oldestUnanswered = 0;
    const ttlMs = Number(res.ttl) * 1000;
    entry.deadline = Math.max(entry.deadline, sentAt + ttlMs - this.marginMs(ttlMs));
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
    this.backoff.reset();
  }
}
