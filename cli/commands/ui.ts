/**
 * `conclave ui [--port N] [--host H]`.
 * @module
 */
import type { Connection } from '../options.js';
import { UsageError } from '../options.js';
import { startUi } from '../ui/server.js';
import { untilInterrupted } from './watch.js';

/** Serves the live page until interrupted; prints its URL first. */
export async function runUi(connection: Connection, flags: { port?: string; host?: string }): Promise<void> {
  const port = flags.port === undefined ? 4680 : Number(flags.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new UsageError(`--port: expected 0..65535, got ${JSON.stringify(flags.port)}`);
  const host = flags.host ?? '127.0.0.1';
  const ui = await startUi(connection, { host, port }).catch((error: NodeJS.ErrnoException) => {
    throw new Error(`cannot listen on ${host}:${port}: ${error.code ?? error.message}`);
  });
  process.stdout.write(`conclave ui: ${ui.url}\n`);
  await untilInterrupted();
  await ui.close();
}
