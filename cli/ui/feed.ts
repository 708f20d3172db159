/**
 * The `ui` command's data: connects (retrying while etcd is unreachable), watches the whole
 * namespace, and re-reads the report after each burst of changes (debounced) and every few
 * seconds (lease TTLs, outage detection). Listeners get every new {@link FeedState}.
 * @module
 */
import type { Subscription } from 'rxjs';
import type { Conclave, Transport } from '../../src/index.js';
import { inspectNamespace } from '../inspect/read.js';
import type { InspectModel } from '../inspect/model.js';
import { open, type Connection } from '../options.js';
import { changes, heldSince, type TimelineEntry } from './timeline.js';

/** What the page shows; sent as one server-sent event per change. */
export interface FeedState {
  /** `ok`: the report is current; `connecting`: not connected yet; `unreachable`: etcd does not answer (the report is the last one read). */
  status: 'connecting' | 'ok' | 'unreachable';
  /** Why etcd is unreachable. */
  message?: string;
  /** When the report was read (ms since the epoch). */
  readAt?: number;
  endpoints: string[];
  namespace: string;
  model?: InspectModel;
  /** Since when each holder / leader key has been seen holding (ms since the epoch). */
  heldSince: Record<string, number>;
  /** The last lock handovers and leader changes, newest first. */
  timeline: TimelineEntry[];
}

const DEBOUNCE_MS = 100;
const POLL_MS = 3000;
const RETRY_MS = 2000;
const TIMELINE_LENGTH = 50;

/** See the module doc. */
export class Feed {
  private state: FeedState;
  private readonly listeners = new Set<(s: FeedState) => void>();
  private client: Conclave | undefined;
  private transport: Transport | undefined;
  private readonly subs: Subscription[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private debounce: NodeJS.Timeout | undefined;
  private reading: Promise<void> | undefined;
  private again = false;
  private closed = false;
  private since = new Map<string, number>();

  constructor(private readonly connection: Connection) {
    this.state = { status: 'connecting', endpoints: connection.endpoints, namespace: connection.namespace, heldSince: {}, timeline: [] };
  }

  /** The current state. */
  get current(): FeedState {
    return this.state;
  }

  /** Calls `listener` on each new state; returns the unsubscribe function. */
  subscribe(listener: (s: FeedState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Starts connecting (in the background; failures show in the state). */
  start(): void {
    void this.connect();
  }

  /** Stops everything and closes the client. */
  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    if (this.debounce) clearTimeout(this.debounce);
    for (const s of this.subs) s.unsubscribe();
    await this.client?.close();
  }

  private later(fn: () => void, ms: number): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.closed) fn();
    }, ms);
    this.timers.add(t);
  }

  private publish(patch: Partial<FeedState>): void {
    this.state = { ...this.state, ...patch };
    if (patch.status && patch.status !== 'unreachable') delete this.state.message;
    for (const l of this.listeners) l(this.state);
  }

  private async connect(): Promise<void> {
    try {
      const { client, transport } = await open(this.connection);
      if (this.closed) return void (await client.close());
      this.client = client;
      this.transport = transport;
    } catch (error) {
      this.publish({ status: 'unreachable', message: error instanceof Error ? error.message : String(error) });
      this.later(() => void this.connect(), RETRY_MS);
      return;
    }
    this.watch();
    this.subs.push(
      this.client.status$.subscribe((s) => {
        if (s.state === 'disconnected') this.publish({ status: 'unreachable', message: s.reason.message });
        if (s.state === 'reconnected') this.refresh();
      }),
    );
    const poll = () => {
      this.refresh();
      this.later(poll, POLL_MS);
    };
    poll();
  }

  private watch(): void {
    const sub = this.client!.watch('', { prefix: true }).subscribe({
      next: () => this.refresh(),
      error: () => this.later(() => this.watch(), RETRY_MS),
    });
    this.subs.push(sub);
  }

  /** Re-reads soon (debounced); a read in progress is followed by one more. */
  private refresh(): void {
    if (this.debounce || this.closed) return;
    this.debounce = setTimeout(() => {
      this.debounce = undefined;
      if (this.reading) {
        this.again = true;
        return;
      }
      this.reading = this.read().finally(() => {
        this.reading = undefined;
        if (this.again) {
          this.again = false;
          this.refresh();
        }
      });
    }, DEBOUNCE_MS);
  }

  private async read(): Promise<void> {
    try {
      const model = await inspectNamespace(this.client!, this.transport!, AbortSignal.timeout(10_000));
      const now = Date.now();
      const found = this.state.model ? changes(this.state.model, model, now) : [];
      this.since = heldSince(model, this.since, now);
      this.publish({
        status: 'ok',
        readAt: now,
        model,
        heldSince: Object.fromEntries(this.since),
        timeline: [...found.reverse(), ...this.state.timeline].slice(0, TIMELINE_LENGTH),
      });
    } catch (error) {
      if (!this.closed) this.publish({ status: 'unreachable', message: error instanceof Error ? error.message : String(error) });
    }
  }
}
