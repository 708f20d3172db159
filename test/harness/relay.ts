/**
 * A TCP relay on a free loopback port, for network-fault tests: put it between a client and
 * an etcd member (or proxy) and cut, blackhole, lose or delay the traffic.
 *
 * Modes (see {@link Relay}):
 * - `'open'`: bytes flow both ways;
 * - `'drop'`: every connection is reset, new ones too;
 * - `'blackhole'`: sockets stay open, no byte moves either way;
 * - `'lose-replies'`: the client's bytes reach the server, the server's answers are thrown away
 *   (then {@link Relay.loseReplies} resets the connections: "applied, reply lost");
 * - `'delay-replies'`: the server's answers are held for a while, in order (past the caller's
 *   timeout), the client's bytes flow at once.
 *
 * @module
 */

import { connect, createServer, type Server, type Socket } from 'node:net';
import { LOOPBACK } from './ports.js';

/** How {@link Relay.cut} breaks traffic. */
export type CutMode = 'drop' | 'blackhole';

/** Every mode of a relay. */
export type RelayMode = 'open' | CutMode | 'lose-replies' | 'delay-replies';

/** Options of {@link Relay.loseReplies}. */
export interface LoseRepliesOptions {
  /**
   * When to reset the connections. Default: `resetAfterMs` after the first answer byte was
   * thrown away (etcd answered, so the request was applied), or after `maxWaitMs` if none came.
   * A promise: when it settles (e.g. when a direct observer client saw the write).
   */
  resetWhen?: PromiseLike<unknown>;
  /** Grace after the first lost answer byte before the reset (default 50 ms). */
  resetAfterMs?: number;
  /** Reset at the latest this long after the mode was entered (default 3000 ms). */
  maxWaitMs?: number;
}

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
  /** Current mode. */
  readonly mode: RelayMode;
  /** Server-to-client bytes thrown away in `'lose-replies'` mode so far. */
  readonly lostReplyBytes: number;
  /**
   * `'drop'`: reset every current connection and every new one. `'blackhole'`: keep all
   * sockets open (new ones are accepted) but forward no bytes either way until {@link restore}.
   */
  cut(mode: CutMode): void;
  /**
   * Forward the client's bytes, throw the server's answers away, then reset every connection
   * (see {@link LoseRepliesOptions}) and go back to `'open'`: the request was applied, its caller
   * sees the connection die under it. Resolves once the connections were reset.
   */
  loseReplies(options?: LoseRepliesOptions): Promise<void>;
  /**
   * Hold every server-to-client byte for `ms` before forwarding it (order kept, also across a
   * later {@link restore}), so answers arrive after the caller gave up. Client bytes flow at once.
   */
  delayReplies(ms: number): void;
  /** Resolves once no delayed answer is held any more (bounded by `timeoutMs`, default 10 s). */
  drained(timeoutMs?: number): Promise<void>;
  /** Reset every current connection now; the mode is unchanged (new connections are accepted unless `'drop'`). */
  reset(): void;
  /** Forward traffic again (blackholed connections resume where they stopped). */
  restore(): void;
  /** Destroy every connection and stop listening. Idempotent. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

interface Pair {
  client: Socket;
  upstream: Socket;
  /** Server-to-client chunks waiting for their time (delay mode), in order. */
  held: Array<{ chunk: Buffer; at: number }>;
  timer?: ReturnType<typeof setTimeout> | undefined;
  linked: boolean;
}

function splitHostPort(target: string): { host: string; port: number } {
  const i = target.lastIndexOf(':');
  const port = Number(target.slice(i + 1));
  if (i <= 0 || !Number.isInteger(port) || port <= 0) throw new Error(`invalid target ${target}, expected host:port`);
  return { host: target.slice(0, i), port };
}

/**
 * Start a relay on `127.0.0.1:<free port>` forwarding to `target` (`host:port`).
 *
 * @example
 * ```ts
 * await using relay = await startRelay(cluster.members[0]!.clientAddress);
 * relay.cut('blackhole'); // requests through relay.address now hang
 * relay.restore();        // and flow again
 * await relay.loseReplies(); // the next request is applied, its answer lost, the connection reset
 * ```
 */
export async function startRelay(target: string): Promise<Relay> {
  const { host, port: targetPort } = splitHostPort(target);
  const pairs = new Set<Pair>();
  let mode: RelayMode = 'open';
  let delayMs = 0;
  let lostReplyBytes = 0;
  let onLostReply: (() => void) | undefined;
  let closing: Promise<void> | undefined;

  const destroyPair = (pair: Pair): void => {
    pairs.delete(pair);
    clearTimeout(pair.timer);
    pair.held.length = 0;
    pair.client.resetAndDestroy();
    pair.upstream.destroy();
  };

  /** Writes the held chunks that are due, in order; re-arms for the next one. */
  const pump = (pair: Pair): void => {
    clearTimeout(pair.timer);
    pair.timer = undefined;
    const now = Date.now();
    while (pair.held.length > 0 && pair.held[0]!.at <= now) pair.client.write(pair.held.shift()!.chunk);
    if (pair.held.length > 0) pair.timer = setTimeout(() => pump(pair), pair.held[0]!.at - now);
  };

  const fromClient = (pair: Pair, chunk: Buffer): void => {
    if (pair.linked) pair.upstream.write(chunk);
  };
  const fromServer = (pair: Pair, chunk: Buffer): void => {
    if (!pair.linked) return;
    if (mode === 'lose-replies') {
      lostReplyBytes += chunk.length;
      onLostReply?.();
      return;
    }
    if (mode === 'delay-replies' || pair.held.length > 0) {
      // Behind held chunks even when open again: the byte stream must stay in order.
      pair.held.push({ chunk, at: Date.now() + (mode === 'delay-replies' ? delayMs : 0) });
      if (pair.timer === undefined) pump(pair);
      return;
    }
    pair.client.write(chunk);
  };

  // Flowing sockets with explicit forwarding (not pipe) so each direction can be filtered.
  const link = (pair: Pair): void => {
    pair.linked = true;
    pair.client.resume();
    pair.upstream.resume();
  };
  const unlink = (pair: Pair): void => {
    pair.linked = false;
    pair.client.pause();
    pair.upstream.pause();
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
    const pair: Pair = { client, upstream, held: [], linked: false };
    pairs.add(pair);
    client.on('data', (chunk: Buffer) => fromClient(pair, chunk));
    upstream.on('data', (chunk: Buffer) => fromServer(pair, chunk));
    const onClose = (): void => {
      if (!pairs.has(pair)) return;
      pairs.delete(pair);
      clearTimeout(pair.timer);
      client.destroy();
      upstream.destroy();
    };
    client.once('close', onClose);
    upstream.once('close', onClose);
    if (mode !== 'blackhole') link(pair);
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

  const resetAll = (): void => {
    for (const pair of [...pairs]) destroyPair(pair);
  };

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
    get lostReplyBytes() {
      return lostReplyBytes;
    },
    cut(next: CutMode) {
      if (next === 'drop') resetAll();
      else for (const pair of pairs) unlink(pair);
      mode = next;
    },
    async loseReplies(options: LoseRepliesOptions = {}) {
      for (const pair of pairs) link(pair);
      mode = 'lose-replies';
      const resetAfterMs = options.resetAfterMs ?? 50;
      let timer: ReturnType<typeof setTimeout> | undefined;
      let cap: ReturnType<typeof setTimeout> | undefined;
      try {
        await new Promise<void>((resolve) => {
          cap = setTimeout(resolve, options.maxWaitMs ?? 3_000);
          if (options.resetWhen) {
            void Promise.resolve(options.resetWhen).then(
              () => resolve(),
              () => resolve(),
            );
          } else {
            onLostReply = () => {
              onLostReply = undefined;
              timer = setTimeout(resolve, resetAfterMs);
            };
          }
        });
      } finally {
        onLostReply = undefined;
        clearTimeout(timer);
        clearTimeout(cap);
      }
      if (mode !== 'lose-replies') return; // changed meanwhile (cut, restore, close)
      resetAll();
      mode = 'open';
    },
    delayReplies(ms: number) {
      if (!(ms >= 0)) throw new Error(`invalid delay ${ms}`);
      delayMs = ms;
      for (const pair of pairs) link(pair);
      mode = 'delay-replies';
    },
    async drained(timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while ([...pairs].some((p) => p.held.length > 0)) {
        if (Date.now() > deadline) throw new Error(`relay: delayed answers still held after ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    reset() {
      resetAll();
    },
    restore() {
      for (const pair of pairs) link(pair);
      mode = 'open';
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        resetAll();
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
