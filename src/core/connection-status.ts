/**
 * The connection status of a client, derived from the traffic it already has
 * (no extra pings while things work): every answer from etcd is a success,
 * every `ConnectionError` from a call or a stream is a failure.
 *
 * ## State machine
 * | state                     | event                 | next state / action |
 * |---------------------------|-----------------------|---------------------|
 * | connecting                | success               | connected |
 * | connecting                | failure               | connecting (`connect()` rejects) |
 * | connected / reconnected   | success               | unchanged (nothing emitted) |
 * | connected / reconnected   | failure               | disconnected (`reason`), outage starts |
 * | disconnected              | failure               | unchanged (the first reason is kept) |
 * | disconnected              | success               | reconnected (`downtimeMs` = now − outage start) |
 * | any                       | close                 | closed: `status$` completes |
 *
 * Time is measured on the monotonic clock (`now`, injectable for tests).
 * While disconnected, `onDisconnected` lets the core probe etcd so that a
 * client with no open stream still sees `reconnected`.
 * @module
 * @internal
 */
import { BehaviorSubject, type Observable } from 'rxjs';
import type { ConnectionStatus } from '../types.js';

export class ConnectionStatusMachine {
  private readonly subject = new BehaviorSubject<ConnectionStatus>({ state: 'connecting' });
  private downSince = 0;
  private closed = false;
  /** Current status at subscribe, then every change; completes on close. */
  readonly status$: Observable<ConnectionStatus> = this.subject.asObservable();

  constructor(
    private readonly now: () => number = () => performance.now(),
    private readonly hooks: {
      /** Called on every change, after `status$` emitted it. */
      onChange?: (status: ConnectionStatus) => void;
    } = {},
  ) {}

  get status(): ConnectionStatus {
    return this.subject.getValue();
  }

  /** True while connecting or disconnected: only then can a success change anything (a cheap check for the hot path). */
  awaitingSuccess = true;

  /** True while an outage is in progress. */
  get down(): boolean {
    return this.subject.getValue().state === 'disconnected';
  }

  /** etcd answered something. */
  succeeded(): void {
    if (this.closed) return;
    const current = this.subject.getValue();
    if (current.state === 'connecting') this.set({ state: 'connected' });
    else if (current.state === 'disconnected') this.set({ state: 'reconnected', downtimeMs: Math.max(0, Math.round(this.now() - this.downSince)) });
  }

  /** A call or stream failed for lack of a connection. */
  failed(reason: Error): void {
    if (this.closed) return;
    const state = this.subject.getValue().state;
    if (state !== 'connected' && state !== 'reconnected') return;
    this.downSince = this.now();
    this.set({ state: 'disconnected', reason });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.awaitingSuccess = false;
    this.subject.complete();
  }

  private set(status: ConnectionStatus): void {
    this.awaitingSuccess = status.state === 'connecting' || status.state === 'disconnected';
    this.subject.next(status);
    this.hooks.onChange?.(status);
  }
}
