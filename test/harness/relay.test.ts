/**
 * The TCP relay's modes, against a loopback TCP server that records what it received and
 * answers every chunk (`<chunk>!`), and against real etcd: a put whose answer the relay threw
 * away was applied, and its caller sees a retryable `ConnectionError`; a put whose answer the
 * relay held past the call's deadline was applied, and its caller sees a `TimeoutError`.
 */
import { once } from 'node:events';
import { connect as tcpConnect, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGrpcTransport } from '../../adapters/grpc/index.js';
import { ConnectionError, TimeoutError, connect } from '../../src/index.js';
import { sharedCluster, startRelay, uniquePrefix, type Relay } from './index.js';

let server: Server;
let target: string;
let received = '';

beforeAll(async () => {
  server = createServer((socket) => {
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString();
      socket.write(`${chunk.toString()}!`);
    });
  });
  server.listen({ host: '127.0.0.1', port: 0 });
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  target = `127.0.0.1:${address.port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

interface Dialed {
  socket: Socket;
  /** Everything read so far. */
  text(): string;
  /** Resolves with everything read once it reaches `want` characters; rejects after `ms`. */
  read(want: number, ms?: number): Promise<string>;
  /** Settles when the socket closed (true: with an error, e.g. a reset). */
  closed: Promise<boolean>;
}

async function dial(relay: Relay): Promise<Dialed> {
  const socket = tcpConnect({ host: '127.0.0.1', port: relay.port });
  socket.on('error', () => undefined);
  await once(socket, 'connect');
  let text = '';
  const waiters = new Set<() => void>();
  socket.on('data', (chunk: Buffer) => {
    text += chunk.toString();
    for (const w of [...waiters]) w();
  });
  const closed = new Promise<boolean>((resolve) => socket.once('close', (hadError: boolean) => resolve(hadError)));
  const read = (want: number, ms = 3_000): Promise<string> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        if (text.length < want) return;
        waiters.delete(check);
        clearTimeout(timer);
        resolve(text);
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`read ${JSON.stringify(text)}, wanted ${want} chars within ${ms} ms`));
      }, ms);
      waiters.add(check);
      check();
    });
  return { socket, text: () => text, read, closed };
}

/** Waits until the echo server received `text` (bounded). */
async function serverGot(text: string, ms = 3_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!received.includes(text)) {
    if (Date.now() > deadline) throw new Error(`server never received ${text}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('relay modes (loopback TCP server)', () => {
  it('forwards both ways when open; a blackhole holds every byte until restored', async () => {
    await using relay = await startRelay(target);
    const c = await dial(relay);
    c.socket.write('a1');
    expect(await c.read(3)).toBe('a1!');
    relay.cut('blackhole');
    expect(relay.mode).toBe('blackhole');
    c.socket.write('b1');
    await expect(c.read(6, 300)).rejects.toThrow(/wanted 6/);
    expect(received).not.toContain('b1');
    relay.restore();
    expect(await c.read(6)).toBe('a1!b1!');
  });

  it('drop resets current and new connections until restored', async () => {
    await using relay = await startRelay(target);
    const c = await dial(relay);
    relay.cut('drop');
    expect(await c.closed).toBe(true);
    expect(relay.connections).toBe(0);
    const refused = tcpConnect({ host: '127.0.0.1', port: relay.port });
    refused.on('error', () => undefined);
    await new Promise((resolve) => refused.once('close', resolve));
    relay.restore();
    const again = await dial(relay);
    again.socket.write('c1');
    expect(await again.read(3)).toBe('c1!');
    again.socket.destroy();
  });

  it('loseReplies forwards the request, throws the answer away, then resets; new connections work', async () => {
    await using relay = await startRelay(target);
    const c = await dial(relay);
    const reset = relay.loseReplies({ resetAfterMs: 20 });
    expect(relay.mode).toBe('lose-replies');
    c.socket.write('d1');
    await reset;
    await serverGot('d1');
    expect(await c.closed).toBe(true);
    expect(c.text()).toBe('');
    expect(relay.lostReplyBytes).toBe(3);
    expect(relay.mode).toBe('open');
    const again = await dial(relay);
    again.socket.write('d2');
    expect(await again.read(3)).toBe('d2!');
    again.socket.destroy();
  });

  it('loseReplies resets when told to (resetWhen), not before', async () => {
    await using relay = await startRelay(target);
    const c = await dial(relay);
    let go!: () => void;
    const when = new Promise<void>((r) => (go = r));
    const reset = relay.loseReplies({ resetWhen: when, maxWaitMs: 10_000 });
    c.socket.write('e1');
    await serverGot('e1');
    const early = await Promise.race([c.closed.then(() => 'closed'), new Promise((r) => setTimeout(() => r('open'), 200))]);
    expect(early).toBe('open');
    go();
    await reset;
    expect(await c.closed).toBe(true);
    expect(c.text()).toBe('');
  });

  it('delayReplies holds answers for the delay, in order, also across restore', async () => {
    await using relay = await startRelay(target);
    const c = await dial(relay);
    relay.delayReplies(400);
    const t0 = Date.now();
    c.socket.write('f1');
    await serverGot('f1');
    relay.restore();
    c.socket.write('f2'); // answered at once by the server, but must stay behind f1's answer
    await serverGot('f2');
    expect(c.text()).toBe('');
    expect(await c.read(6)).toBe('f1!f2!');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(350);
    c.socket.destroy();
  });
});

describe('relay in front of etcd (shared cluster)', () => {
  const { endpoints } = sharedCluster();

  it('loseReplies: a put is applied, its caller gets a retryable ConnectionError, the client recovers', async () => {
    const prefix = uniquePrefix('relay lose');
    await using relay = await startRelay(endpoints[0]!);
    await using observer = await connect({ endpoints });
    await using client = await connect({ endpoints: [relay.address] });
    await client.put(`${prefix}warm`, 'x');
    const lost = relay.loseReplies();
    const error = await client.put(`${prefix}k`, 'v').then(
      () => undefined,
      (e: unknown) => e,
    );
    await lost;
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as ConnectionError).retryable).toBe(true);
    expect(new TextDecoder().decode((await observer.get(`${prefix}k`))?.value)).toBe('v');
    expect((await client.put(`${prefix}k2`, 'v2')).revision).toBeGreaterThan(0n);
  });

  it('delayReplies past the call deadline: applied, TimeoutError', async () => {
    const prefix = uniquePrefix('relay delay');
    await using relay = await startRelay(endpoints[0]!);
    await using observer = await connect({ endpoints });
    await using client = await connect({ transport: createGrpcTransport({ endpoints: [relay.address], callTimeoutMs: 500 }) });
    await client.put(`${prefix}warm`, 'x');
    relay.delayReplies(1_500);
    const error = await client.put(`${prefix}k`, 'v').then(
      () => undefined,
      (e: unknown) => e,
    );
    relay.restore();
    expect(error).toBeInstanceOf(TimeoutError);
    expect(new TextDecoder().decode((await observer.get(`${prefix}k`))?.value)).toBe('v');
  });
});
