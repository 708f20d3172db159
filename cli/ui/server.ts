/**
 * `conclave ui`: a small HTTP server (loopback by default) serving one static page and its data
 * feed as server-sent events (`GET /events`, one `state` event per change, a comment line every
 * 15 s to keep proxies from closing it). `GET /state` answers the current state as JSON.
 * @module
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Connection } from '../options.js';
import { Feed, type FeedState } from './feed.js';
import { PAGE } from './page.js';

/** A running `ui` server. */
export interface UiServer {
  /** The page's address, e.g. `http://127.0.0.1:4680/`. */
  url: string;
  close(): Promise<void>;
}

function send(res: ServerResponse, state: FeedState): void {
  res.write(`event: state\ndata: ${JSON.stringify(state)}\n\n`);
}

/**
 * Starts the page's server on `host:port` (port 0: any free port) and the feed behind it.
 *
 * @example
 * ```ts
 * const ui = await startUi(resolveConnection({ endpoints: '127.0.0.1:2379' }), { host: '127.0.0.1', port: 0 });
 * console.log(ui.url);
 * await ui.close();
 * ```
 */
export async function startUi(connection: Connection, opts: { host: string; port: number }): Promise<UiServer> {
  const feed = new Feed(connection);
  const streams = new Set<ServerResponse>();
  feed.subscribe((state) => {
    for (const res of streams) send(res, state);
  });
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') {
      res.writeHead(405, { allow: 'GET' }).end();
    } else if (path === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(PAGE);
    } else if (path === '/state') {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(feed.current));
    } else if (path === '/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
      res.write('retry: 2000\n\n');
      send(res, feed.current);
      streams.add(res);
      req.on('close', () => streams.delete(res));
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    }
  });
  const keepAlive = setInterval(() => {
    for (const res of streams) res.write(': keep-alive\n\n');
  }, 15_000);
  keepAlive.unref();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  feed.start();
  const { port } = server.address() as AddressInfo;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return {
    url: `http://${host}:${port}/`,
    async close() {
      clearInterval(keepAlive);
      for (const res of streams) res.end();
      streams.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await feed.close();
    },
  };
}
