/**
 * `conclave inspect [--json]`.
 * @module
 */
import { inspectNamespace } from '../inspect/read.js';
import { open, type Connection } from '../options.js';
import { renderTable } from '../render-table.js';

/** Prints the namespace's coordination state, as a table or (`json`) the contract's JSON object. */
export async function runInspect(connection: Connection, json: boolean): Promise<void> {
  const { client, transport } = await open(connection);
  try {
    const model = await inspectNamespace(client, transport, AbortSignal.timeout(30_000));
    process.stdout.write(json ? `${JSON.stringify(model, null, 2)}\n` : renderTable(model));
  } finally {
    await client.close();
  }
}
