/**
 * A TCP relay on a free loopback port, for network-fault tests: put it between a client and
 * an etcd member (or proxy) and cut or blackhole the traffic.
 *
 * @module
 */

import { connect, createServer, type Server, type Socket } from 'node:net';
import { LOOPBACK } from './ports.js';

/** How {@link Relay.cut} breaks traffic. */
export type CutMode = 'drop' | 'blackhole';

/** A running relay; see {@link startRelay}. */
export interface Relay {
  /** `127.0.0.1:<port>` to connect to instead of the target. */
  readonly address: string;
  /** The relay's port. */
  readonly port: number;
  /** The `host:port` traffic is forwarded to. */
  readonly target: string;
  /** Number of open client connections. */
  readonly connections: number;
  /** Current mode: `'open'`, or the cut mode in force. */
  readonly mode: 'open' | CutMode;
  /**
   * `'drop'`: reset every current connection and every new one. `'blackhole'`: keep all
   * sockets open (new ones are accepted) but forward no bytes either way until {@link restore}.
   */
  cut(mode: CutMode): void;
  /** Forward traffic again (blackholed connections resume where they stopped). */
  restore(): void;
  /** Destroy every connection and stop listening. Idempotent. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

interface Pair {
  client: Socket;
  upstream: Socket;
}

function splitHostPort(target: string): { host: string; port: number } {
  const i = target.lastIndexOf(':');
  const port = Number(target.slice(i + 1));
  if (i <= 0 || !Number.isInteger(port) || port <= 0) throw new Error(`invalid target ${target}, expected host:port`);
  return { host: target.slice(0, i), port };
}

function link(pair: Pair): void {
  pair.client.pipe(pair.upstream);
  pair.upstream.pipe(pair.client);
}

function unlink(pair: Pair): void {
  pair.client.unpipe(pair.upstream);
  pair.upstream.unpipe(pair.client);
  pair.client.pause();
  pair.upstream.pause();
}

/**
 * Start a relay on `127.0.0.1:<free port>` forwarding to `target` (`host:port`).
 *
 * @example
 * ```ts
 * await using relay = await startRelay(cluster.members[0]!.clientAddress);
 * relay.cut('blackhole'); // requests through relay.address now hang
 * relay.restore();        // and flow again
 * ```
 */
export async function startRelay(target: string): Promise<Relay> {
  const { host, port: targetPort } = splitHostPort(target);
  const pairs = new Set<Pair>();
  let mode: 'open' | CutMode = 'open';
  let closing: Promise<void> | undefined;

  const destroyPair = (pair: Pair): void => {
    pairs.delete(pair);
    pair.client.resetAndDestroy();
    pair.upstream.destroy();
  };

  const server: Server = createServer({ pauseOnConnect: true }, (client) => {
    client.on('error', () => undefined);
    if (mode === 'drop' || closing) {
      client.resetAndDestroy();
      return;
    }
    const upstream = connect({ host, port: targetPort });
    upstream.on('error', () => undefined);
    upstream.pause();
    const pair: Pair = { client, upstream };
    pairs.add(pair);
    const onClose = (): void => {
      if (!pairs.has(pair)) return;
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.once('close', onClose);
    upstream.once('close', onClose);
    if (mode === 'open') link(pair);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: LOOPBACK, port: 0, exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('relay: unexpected server address');
  const port = address.port;

  const relay: Relay = {
    address: `${LOOPBACK}:${port}`,
    port,
    target,
    get connections() {
      return pairs.size;
    },
    get mode() {
      return mode;
    },
    cut(next: CutMode) {
      if (next === 'drop') {
        for (const pair of [...pairs]) destroyPair(pair);
      } else if (mode === 'open') {
        for (const pair of pairs) unlink(pair);
      }
      mode = next;
    },
    restore() {
      if (mode === 'blackhole') for (const pair of pairs) link(pair);
      mode = 'open';
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        for (const pair of [...pairs]) destroyPair(pair);
        server.close(() => resolve());
      });
      return closing;
    },
    [Symbol.asyncDispose]() {
      return this.close();
    },
  };
  return relay;
}
