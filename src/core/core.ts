/**
 * The coalescing core of one connection, shared by a client and all its
 * namespaces: the transport, the watch hub, the lease hub, the sessions and
 * the highest store revision seen.
 * @module
 * @internal
 */
import { toBytes } from '../bytes.js';
import { ClosedError } from '../errors.js';
import type { Namespace } from '../namespace.js';
import type { CallOptions, ResponseHeader, Transport } from '../transport.js';
import type { CoreStats } from '../types.js';
import { LeaseHub } from './lease-hub.js';
import { SessionImpl } from './session.js';
import { WatchHub, type WatchHubOptions } from './watch-hub.js';

export interface CoreOptions {
  transport: Transport;
  /** The connect-time namespace: internal keys (session markers) live under it. */
  root: Namespace;
  sessionTtlSeconds: number;
  maxRequestBytes: number;
  watch?: WatchHubOptions;
}

export class Core {
  readonly transport: Transport;
  readonly watchHub: WatchHub;
  readonly leaseHub: LeaseHub;
  readonly root: Namespace;
  readonly sessionTtlSeconds: number;
  readonly maxRequestBytes: number;
  /** Highest store revision seen in any response. */
  revision = 0n;
  private readonly sessions = new Set<SessionImpl>();
  private defaultSession: SessionImpl | undefined;
  private defaultSessionPending: Promise<SessionImpl> | undefined;
  private closing: Promise<void> | undefined;

  constructor(options: CoreOptions) {
    this.transport = options.transport;
    this.root = options.root;
    this.sessionTtlSeconds = options.sessionTtlSeconds;
    this.maxRequestBytes = options.maxRequestBytes;
    const observe = (h: ResponseHeader): void => this.observe(h);
    this.watchHub = new WatchHub(this.transport, () => this.revision, observe, options.watch);
    this.leaseHub = new LeaseHub(this.transport, observe);
  }

  get closed(): boolean {
    return this.closing !== undefined;
  }

  observe(header: ResponseHeader): void {
    if (header.revision > this.revision) this.revision = header.revision;
  }

  checkOpen(): void {
    if (this.closing) throw new ClosedError();
  }

  stats(): CoreStats {
    return { ...this.watchHub.stats(), ...this.leaseHub.stats() };
  }

  /** Grants a lease, keeps it alive on the shared stream, and watches its marker key. */
  async createSession(ttlSeconds: number, options: CallOptions = {}): Promise<SessionImpl> {
    this.checkOpen();
    const grantedAt = performance.now();
    const grant = await this.transport.leaseGrant({ ttl: BigInt(ttlSeconds) }, options);
    this.observe(grant.header);
    const session = new SessionImpl(
      grant.id,
      Number(grant.ttl),
      (id) => this.transport.leaseRevoke(id),
      (s) => this.sessionEnded(s),
    );
    if (this.closing) {
      await session.close();
      throw new ClosedError();
    }
    this.sessions.add(session);
    const kept = this.leaseHub.keep(grant.id, Number(grant.ttl), grantedAt, (reason) => session.markLost(reason));
    try {
      const key = this.root.key(toBytes(`__conclave/session/${session.leaseHex}`));
      const put = await this.transport.put({ key, value: toBytes(JSON.stringify({ ttl: session.ttlSeconds })), lease: grant.id }, options);
      this.observe(put.header);
      const unwatch = this.watchHub.subscribe({ key, prevKv: false }, put.header.revision + 1n, {
        prefixLength: 0,
        next: (batch) => {
          if (batch.events.some((e) => e.type === 'delete')) session.markLost('lease revoked (session key deleted)');
        },
        error: () => {
          /* the keep-alive still guards the lease */
        },
        complete: () => {},
      });
      session.attach(kept, unwatch);
    } catch (error) {
      kept.release();
      await session.close();
      throw error;
    }
    return session;
  }

  /** The client's shared session: created on first use, and again after it is lost. */
  async session(options: CallOptions = {}): Promise<SessionImpl> {
    this.checkOpen();
    if (this.defaultSession?.state === 'alive') return this.defaultSession;
    this.defaultSessionPending ??= this.createSession(this.sessionTtlSeconds, options).then(
      (s) => {
        this.defaultSessionPending = undefined;
        this.defaultSession = s;
        return s;
      },
      (e: unknown) => {
        this.defaultSessionPending = undefined;
        throw e;
      },
    );
    return this.defaultSessionPending;
  }

  private sessionEnded(session: SessionImpl): void {
    this.sessions.delete(session);
    if (this.defaultSession === session) this.defaultSession = undefined;
  }

  /** Revokes every session, completes every watch, closes the transport. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.defaultSessionPending?.catch(() => undefined);
      await Promise.all([...this.sessions].map((s) => s.close()));
      this.watchHub.close();
      this.leaseHub.close();
      await this.transport.close();
    })();
    return this.closing;
  }
}
