/**
 * The coalescing core of one connection, shared by a client and all its
 * namespaces: the transport, the watch hub, the lease hub, the sessions and
 * the highest store revision seen.
 * @module
 * @internal
 */
import { Log, SILENT } from '../logger.js';
import { Subject, type Observable } from 'rxjs';
import { toBytes } from '../bytes.js';
import { ClosedError, type SessionLostError } from '../errors.js';
import type { Namespace } from './namespace.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import type { CallOptions, ResponseHeader, Transport } from '../transport/index.js';
import type { CoreStats } from '../types.js';
import { ConnectionStatusMachine } from './connection-status.js';
import { LeaseHub } from './lease-hub.js';
import { LeaseRevoker } from './lease-revoker.js';
import { observeTransport } from './observed-transport.js';
import { SessionMarkers } from './session-markers.js';
import { grantLease, putMarker, type SessionOpenDeps } from './session-open.js';
import { SessionImpl } from './session.js';
import { WatchHub, type WatchHubOptions } from './watch-hub.js';

export interface CoreOptions {
  transport: Transport;
  /** The connect-time namespace: internal keys (session markers) live under it. */
  root: Namespace;
  sessionTtlSeconds: number;
  maxRequestBytes: number;
  watch?: WatchHubOptions;
  /** Metrics and spans, only when a provider is really there (see src/telemetry/load.ts). */
  telemetry?: Telemetry | undefined;
  /** The user's logger (silent by default). */
  log?: Log | undefined;
}

/** A session of this client whose lease was lost. */
export interface LostSession {
  lease: bigint;
  /** Whether it was the client's shared session (locks, elections, barriers, registrations). */
  shared: boolean;
  error: SessionLostError;
}

/** A session whose lease is granted; `ready` settles once its marker is written (see {@link Core.sessionEarly}). */
export interface OpenedSession {
  session: SessionImpl;
  ready: Promise<void>;
}

const READY: Promise<void> = Promise.resolve();

/** While disconnected, etcd is probed with a status call at this interval (ms), so a client with no stream still sees `reconnected`. */
const PROBE_INTERVAL_MS = 500;

export class Core {
  /** The client's transport, observed: every response header reported here, connection failures seen (and the wire measured, with telemetry). */
  readonly transport: Transport;
  readonly connection: ConnectionStatusMachine;
  readonly telemetry: Telemetry | undefined;
  /** Where the client logs (the user's logger, or nowhere). */
  readonly log: Log;
  readonly watchHub: WatchHub;
  readonly leaseHub: LeaseHub;
  /** Revokes leases closed, lost, or of unknown grant outcome (retried until etcd answers). */
  readonly revoker: LeaseRevoker;
  private readonly markers: SessionMarkers;
  readonly root: Namespace;
  readonly sessionTtlSeconds: number;
  readonly maxRequestBytes: number;
  /** Highest store revision seen in any response. */
  revision = 0n;
  private readonly sessions = new Set<SessionImpl>();
  private defaultSession: SessionImpl | undefined;
  /** The shared session being opened (granted, maybe not `ready` yet). */
  private defaultOpening: Promise<OpenedSession> | undefined;
  private closing: Promise<void> | undefined;
  private readonly sessionLostSubject = new Subject<LostSession>();
  /** Every session of this client that is lost (not closed). Completes on close. */
  readonly sessionLost$: Observable<LostSession> = this.sessionLostSubject.asObservable();
  private probeTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: CoreOptions) {
    this.telemetry = options.telemetry;
    this.log = options.log ?? SILENT;
    this.connection = new ConnectionStatusMachine(undefined, {
      onChange: (status) => {
        if (status.state === 'disconnected') {
          this.log.warn('etcd connection lost; calls are retried and watches resume when it is back', { error: status.reason });
          this.probeWhileDown();
        }
        if (status.state === 'reconnected') {
          this.log.info('etcd connection restored', { downtimeMs: status.downtimeMs });
          this.telemetry?.reconnected(status.downtimeMs);
        }
      },
    });
    this.transport = observeTransport(options.transport, {
      answered: (header) => this.answered(header),
      failed: (error) => this.connection.failed(error),
      probes: this.telemetry,
      knownRevision: () => this.revision,
    });
    this.telemetry?.observeStats(() => this.stats());
    this.root = options.root;
    this.sessionTtlSeconds = options.sessionTtlSeconds;
    this.maxRequestBytes = options.maxRequestBytes;
    // Every header they see reaches `answered` through the observed transport.
    this.watchHub = new WatchHub(this.transport, () => this.revision, undefined, { log: this.log, probeResumes: true, ...options.watch });
    this.leaseHub = new LeaseHub(this.transport);
    this.revoker = new LeaseRevoker(this.transport);
    this.markers = new SessionMarkers(this.watchHub, this.root, randomId());
  }

  get closed(): boolean {
    return this.closing !== undefined;
  }

  /** etcd answered (reported by the observed transport only): the known revision moves on, the connection status sees a success. */
  private answered(header: ResponseHeader): void {
    if (header.revision > this.revision) this.revision = header.revision;
    if (this.connection.awaitingSuccess) this.connection.succeeded();
  }

  /** Asks etcd for its status every {@link PROBE_INTERVAL_MS} until it answers (or the outage ends otherwise). */
  private probeWhileDown(): void {
    if (this.probeTimer || this.closing) return;
    this.probeTimer = setTimeout(() => {
      this.probeTimer = undefined;
      if (!this.connection.down || this.closing) return;
      this.transport.status({ signal: AbortSignal.timeout(PROBE_INTERVAL_MS * 4) }).then(
        () => undefined, // the answer reached `answered`
        () => this.probeWhileDown(),
      );
    }, PROBE_INTERVAL_MS);
    this.probeTimer.unref?.();
  }

  checkOpen(): void {
    if (this.closing) throw new ClosedError();
  }

  stats(): CoreStats {
    return { ...this.watchHub.stats(), ...this.leaseHub.stats() };
  }

  /** Grants a lease, keeps it alive on the shared stream, and watches its marker key (see `session-open.ts`). */
  async createSession(ttlSeconds: number, options: CallOptions = {}): Promise<SessionImpl> {
    const { session, ready } = await this.openSession(ttlSeconds, options);
    await ready;
    return session;
  }

  /**
   * Grants the lease and starts the marker put: resolves once the lease is granted, with `ready`, which settles when the
   * marker is written (rejects: the session was closed, its lease revoked).
   */
  private async openSession(ttlSeconds: number, options: CallOptions): Promise<OpenedSession> {
    this.checkOpen();
    const deps: SessionOpenDeps = { transport: this.transport, revoker: this.revoker };
    const grant = await grantLease(deps, ttlSeconds, options);
    const session = new SessionImpl(
      grant.id,
      grant.ttlSeconds,
      (id) => this.revoker.revoke(id),
      (s) => this.sessionEnded(s),
    );
    session.lost$.subscribe(() => {
      const lost = { lease: session.lease, shared: this.defaultSession === session, error: session.signal.reason as SessionLostError };
      this.log.warn('session lost: its locks, leaderships and registrations are lost with it', { lease: lost.lease.toString(16), shared: lost.shared, error: lost.error });
      this.sessionLostSubject.next(lost);
    });
    if (this.closing) {
      await session.close();
      throw new ClosedError();
    }
    this.sessions.add(session);
    const kept = this.leaseHub.keep(grant.id, grant.ttlSeconds, grant.grantedAt, (reason) => session.markLost(reason));
    const ready = (async () => {
      try {
        const key = this.markers.keyOf(session.leaseHex);
        const put = await putMarker(deps, key, toBytes(JSON.stringify({ ttl: session.ttlSeconds })), grant.id, options);
        const unwatch = this.markers.watch(key, put.header.revision, () => session.markLost('lease revoked (session marker deleted)'));
        session.attach(kept, unwatch);
      } catch (error) {
        kept.release();
        await session.close();
        throw error;
      }
    })();
    ready.catch(() => undefined); // (awaited by every user; marked handled here)
    return { session, ready };
  }

  /** The client's shared session: created on first use, and again after it is lost. */
  async session(options: CallOptions = {}): Promise<SessionImpl> {
    const { session, ready } = await this.sessionEarly(options);
    await ready;
    return session;
  }

  /**
   * The client's shared session as soon as its lease is granted, with `ready` (its marker written): a first lock
   * sends its txn alongside the marker put (2 round trips, not 3) and awaits both. If `ready` rejects, the session was
   * closed and its lease revoked, with every key put under it.
   */
  async sessionEarly(options: CallOptions = {}): Promise<OpenedSession> {
    this.checkOpen();
    if (this.defaultSession?.state === 'alive') return { session: this.defaultSession, ready: READY };
    if (this.defaultOpening) return this.defaultOpening;
    const opening = this.openSession(this.sessionTtlSeconds, options).then(
      (opened) => {
        opened.ready.then(
          () => {
            if (this.defaultOpening === opening) this.defaultOpening = undefined;
            if (opened.session.state === 'alive') this.defaultSession = opened.session;
          },
          () => {
            if (this.defaultOpening === opening) this.defaultOpening = undefined;
          },
        );
        return opened;
      },
      (e: unknown) => {
        if (this.defaultOpening === opening) this.defaultOpening = undefined;
        throw e;
      },
    );
    this.defaultOpening = opening;
    return opening;
  }

  private sessionEnded(session: SessionImpl): void {
    this.sessions.delete(session);
    if (this.defaultSession === session) this.defaultSession = undefined;
  }

  /** Revokes every session, completes every watch, closes the transport. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.connection.close();
      if (this.probeTimer) clearTimeout(this.probeTimer);
      this.probeTimer = undefined;
      this.telemetry?.close();
      this.sessionLostSubject.complete();
      await this.defaultOpening?.then((o) => o.ready).catch(() => undefined);
      await Promise.all([...this.sessions].map((s) => s.close()));
      this.revoker.close();
      this.watchHub.close();
      this.leaseHub.close();
      await this.transport.close();
    })();
    return this.closing;
  }
}

/** 16 hex digits, random: names this client's session markers. */
function randomId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
