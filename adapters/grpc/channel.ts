/**
 * The one grpc-js channel a gRPC transport talks through, and waiting for it
 * to be connected.
 *
 * Design: every endpoint's addresses go into ONE channel whose target lists
 * them all (`ipv4:10.0.0.1:2379,10.0.0.2:2379,...`) with the `pick_first`
 * load-balancing policy. grpc-js then owns connection management: it connects
 * to the first address that answers, keeps using it, and when that connection
 * breaks it goes IDLE and, on the next call, walks the list again (a refused
 * connection moves on immediately, a silent one after 250 ms, Happy Eyeballs
 * style), with reconnect backoff 100 ms..1 s and keepalive pings to notice dead
 * peers. We only add a bound on how long a caller waits for that
 * ({@link EtcdChannel.waitReady}).
 *
 * @module
 * @internal
 */
import { isIP } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { ClosedError, ConnectionError, InvalidArgumentError, abortErrorOf } from '../../src/errors.js';
import type { TlsOptions } from '../../src/transport/index.js';
import { channelSecurity, type ChannelSecurity } from './credentials.js';
import { parseEndpoint, resolveEndpoints, targetOf, type ParsedEndpoint } from './endpoints.js';

/** Channel settings (already defaulted). */
export interface ChannelConfig {
  endpoints: readonly string[];
  tls: TlsOptions | undefined;
  keepaliveTimeMs: number;
  keepaliveTimeoutMs: number;
  /** Ping also when no call is active (etcd answers such pings with GOAWAY too_many_pings). */
  keepalivePermitWithoutCalls: boolean;
  /** Shuffle the address list (spreads clients over members); default false: endpoint order. */
  shuffleEndpoints: boolean;
  /** Extra grpc-js channel options, applied last. */
  channelOptions: grpc.ChannelOptions | undefined;
}

/** etcd's own client accepts responses of any size; grpc-js needs a number. */
const MAX_MESSAGE_BYTES = 2 ** 31 - 1;

/** A method path no etcd serves: a probe that fails at pick time with grpc-js's last connection error. */
const PROBE_PATH = '/conclave.Probe/LastConnectionError';

/** What Node's TLS (OpenSSL) says when a certificate is refused or the handshake fails. */
const TLS_FAILURE = /certificate|SSL routines|alert|self[- ]signed|unable to (verify|get)|Hostname\/IP does not match|ERR_TLS_|ERR_SSL_/i;

/** True when a TLS handshake (certificate not checked) with `host:port` succeeds within a second. */
function speaksTlsAt(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tlsConnect({ host, port, rejectUnauthorized: false, ...(isIP(host) ? {} : { servername: host }) });
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), 1_000);
    socket.once('secureConnect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Owns the grpc-js client/channel; resolves host names lazily (once, started at creation). */
export class EtcdChannel {
  readonly endpoints: readonly ParsedEndpoint[];
  private readonly security: ChannelSecurity;
  private client: grpc.Client | undefined;
  private pending: Promise<grpc.Client> | undefined;
  private closed = false;
  /** `host:port` of the member that answered the last call ('' until one did). */
  lastPeer = '';
  /** True once the channel was READY: before that, a channel in TRANSIENT_FAILURE means every endpoint refused. */
  private everReady = false;

  constructor(private readonly config: ChannelConfig) {
    if (config.endpoints.length === 0) throw new InvalidArgumentError('no etcd endpoints configured');
    this.endpoints = config.endpoints.map(parseEndpoint);
    this.security = channelSecurity(this.endpoints, config.tls);
    // Start resolving now (host names) so the first call does not pay for it twice.
    this.pending = this.resolve();
    this.pending.catch(() => {
      /* reported to the call that awaits it */
    });
  }

  /** True after {@link close}. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** The grpc-js client bound to the channel (after host names are resolved). */
  async getClient(): Promise<grpc.Client> {
    if (this.closed) throw new ClosedError('transport is closed');
    if (this.client) return this.client;
    this.pending ??= this.resolve();
    return this.pending;
  }

  private async resolve(): Promise<grpc.Client> {
    try {
      const addresses = await resolveEndpoints(this.endpoints);
      if (this.closed) throw new ClosedError('transport is closed');
      const options: grpc.ChannelOptions = {
        'grpc.service_config': JSON.stringify({
          loadBalancingConfig: [{ pick_first: { shuffleAddressList: this.config.shuffleEndpoints } }],
        }),
        'grpc.initial_reconnect_backoff_ms': 100,
        'grpc.max_reconnect_backoff_ms': 1000,
        'grpc.keepalive_time_ms': this.config.keepaliveTimeMs,
        'grpc.keepalive_timeout_ms': this.config.keepaliveTimeoutMs,
        'grpc.keepalive_permit_without_calls': this.config.keepalivePermitWithoutCalls ? 1 : 0,
        'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
        'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
        // This transport's connections are its own: closing it never affects another client.
        'grpc.use_local_subchannel_pool': 1,
        ...this.security.options,
        ...this.config.channelOptions,
      };
      this.client = new grpc.Client(targetOf(addresses), this.security.credentials, options);
      return this.client;
    } catch (err) {
      this.pending = undefined; // let the next call try again (DNS may recover)
      throw err;
    }
  }

  /**
   * Resolves when the channel is READY; rejects with a retryable
   * {@link ConnectionError} if it is not by `deadline` (epoch ms), with
   * `abortErrorOf(signal)` on abort, with {@link ClosedError} on close.
   * Kicks an idle channel into connecting.
   */
  async waitReady(client: grpc.Client, deadline: number, signal: AbortSignal | undefined, dialTimeoutMs: number): Promise<void> {
    const channel = client.getChannel();
    for (;;) {
      if (this.closed) throw new ClosedError('transport is closed');
      if (signal?.aborted) throw abortErrorOf(signal);
      const state = channel.getConnectivityState(true);
      if (state === grpc.connectivityState.READY) {
        this.everReady = true;
        return;
      }
      if (state === grpc.connectivityState.SHUTDOWN) throw new ClosedError('transport is closed');
      if (state === grpc.connectivityState.TRANSIENT_FAILURE) {
        const tls = await this.tlsFailure(client);
        if (tls) throw tls;
        // Never connected and every endpoint failed (pick_first tried them all): fail now, with
        // the cause, instead of when the dial timeout runs out. Once connected, a refusing member
        // (restarting) is waited for within dialTimeoutMs as before.
        if (!this.everReady) {
          const refused = await this.refusedFailure(client);
          if (refused) throw refused;
        }
      }
      if (Date.now() >= deadline) throw await this.dialFailure(client, dialTimeoutMs);
      await new Promise<void>((resolve, reject) => {
        const onAbort = (): void => reject(abortErrorOf(signal!));
        signal?.addEventListener('abort', onAbort, { once: true });
        channel.watchConnectivityState(state, deadline, () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        });
      });
    }
  }

  /** The error for "no connection within dialTimeoutMs", with grpc-js's last connection error when it has one. */
  async dialFailure(client: grpc.Client, dialTimeoutMs: number): Promise<ConnectionError> {
    const where = this.endpoints.map((e) => e.original).join(', ');
    const last = await this.lastConnectionError(client);
    return new ConnectionError(
      `no connection to etcd (${where}) within ${dialTimeoutMs} ms${last ? `: ${last}` : ''}`,
    );
  }

  /**
   * The error for a connection attempt that failed in TLS (a certificate refused, a TLS alert,
   * e.g. no client certificate), if the last one did: retrying cannot cure it, so it is
   * reported at once rather than when the dial timeout runs out. grpc-js keeps only the TLS
   * error's message; it becomes the `cause`.
   */
  async tlsFailure(client: grpc.Client): Promise<ConnectionError | undefined> {
    if (!this.security.secure) return undefined;
    const last = await this.lastConnectionError(client);
    const message = last?.replace(/^No connection established\. Last error: (Error: )?/, '').replace(/\. Resolution note:.*$/s, '');
    if (!message || !TLS_FAILURE.test(message)) return undefined;
    const where = this.endpoints.map((e) => e.original).join(', ');
    const cause = Object.assign(new Error(message), { name: 'TlsError' });
    return new ConnectionError(`TLS with etcd (${where}) failed: ${message}`, { cause, retryable: false });
  }

  /**
   * The error for a channel that never connected and whose every endpoint failed at once
   * (refused, unreachable, reset, closed during the handshake); the cause keeps grpc-js's last
   * connection error (its message, with the system error code such as `ECONNREFUSED` when it has one).
   */
  async refusedFailure(client: grpc.Client): Promise<ConnectionError | undefined> {
    const last = await this.lastConnectionError(client);
    const message = last?.replace(/^No connection established\. Last error: (Error: )?/, '').replace(/\. Resolution note:.*$/s, '');
    if (!message) return undefined;
    const where = this.endpoints.map((e) => e.original).join(', ');
    const code = /\b(E[A-Z]{4,})\b/.exec(message)?.[1];
    if (!code && !this.security.secure) {
      // No system error: the peer took the connection and dropped it. A TLS port does that to a
      // plain dial: say so (retrying cannot help) rather than "Failed to connect".
      const speaksTls = await Promise.all(this.endpoints.map((e) => speaksTlsAt(e.host, e.port)));
      if (speaksTls.every(Boolean)) {
        const cause = Object.assign(new Error(`etcd at ${where} speaks TLS (a TLS handshake succeeded) but the client dialed without TLS`), { name: 'TlsError' });
        return new ConnectionError(`cannot connect to etcd (${where}): it expects TLS; pass tls options or use https:// endpoints`, { cause, retryable: false });
      }
    }
    const cause = Object.assign(new Error(message), code ? { code } : {});
    return new ConnectionError(`cannot connect to etcd (${where}): ${message}`, { cause });
  }

  /**
   * grpc-js keeps the last connection error in its picker: a call made while
   * the channel is in TRANSIENT_FAILURE fails at pick time (never sent) with
   * "No connection established. Last error: ...". A call to a path etcd does
   * not serve reads it without side effects.
   */
  private lastConnectionError(client: grpc.Client): Promise<string | undefined> {
    const state = client.getChannel().getConnectivityState(false);
    if (state !== grpc.connectivityState.TRANSIENT_FAILURE) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      client.makeUnaryRequest(
        PROBE_PATH,
        (b: Buffer) => b,
        (b: Buffer) => b,
        Buffer.alloc(0),
        new grpc.Metadata(),
        { deadline: Date.now() + 200 },
        (err) => resolve(err?.code === grpc.status.UNAVAILABLE ? err.details : undefined),
      );
    });
  }

  /** Closes the channel (pending calls fail, open streams end). Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.client?.close();
  }
}
