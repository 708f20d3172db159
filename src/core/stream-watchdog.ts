/**
 * The watch hub's silence detector: while the stream stays silent past an interval it asks etcd
 * for progress, and reports the stream silent when nothing at all comes back within a timeout.
 * @module
 * @internal
 */
import type { WatchStream } from '../transport/index.js';

export class StreamWatchdog {
  private timer: ReturnType<typeof setInterval> | undefined;
  /** When the stream last said anything (performance.now()). */
  private lastMessageAt = 0;
  /** When a progress request went out unanswered; 0 when none is outstanding. */
  private progressAskedAt = 0;

  constructor(
    /** How long the stream may stay silent before a progress request. */
    private readonly intervalMs: number,
    /** How long to wait for any message after a progress request. */
    private readonly timeoutMs: number,
    /** The stream to watch over while the hub holds one open. */
    private readonly current: () => WatchStream | undefined,
    /** Called once the stream stayed silent past the timeout. */
    private readonly silent: (stream: WatchStream) => void,
  ) {}

  /** A fresh stream: silent from now on. */
  reset(): void {
    this.lastMessageAt = performance.now();
    this.progressAskedAt = 0;
  }

  /** The stream said something. */
  heard(): void {
    this.lastMessageAt = performance.now();
    this.progressAskedAt = 0;
  }

  /** Starts the periodic check (idempotent). */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.check(), Math.min(this.intervalMs, this.timeoutMs) / 2);
    this.timer.unref?.();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private check(): void {
    const stream = this.current();
    if (!stream) return;
    const now = performance.now();
    if (this.progressAskedAt > 0) {
      if (now - this.progressAskedAt >= this.timeoutMs) this.silent(stream);
      return;
    }
    if (now - this.lastMessageAt >= this.intervalMs) {
      this.progressAskedAt = now;
      stream.requestProgress();
    }
  }
}
