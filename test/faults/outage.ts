/**
 * Compaction while a client is cut off: blackhole the relay the client talks through, let a
 * separate direct client write (the events the cut-off client waits for) and compact etcd's
 * history past them, then reset the relay's connections and restore it — so the client
 * reconnects and must resume from a revision etcd no longer has.
 */
import type { Transport } from '../../src/transport/index.js';
import type { Relay } from '../harness/relay.js';

/** Options of {@link compactDuringOutage}. */
export interface OutageOptions {
  /** The relay of the client to cut off. */
  relay: Relay;
  /** A direct transport (not through the relay) used to compact. */
  compactor: Transport;
  /** The writes made (through direct clients) while the client is cut off. */
  during: () => Promise<void>;
  /**
   * Reset the relay's connections before restoring (default true): the client must reconnect
   * and resume its watches. Without it a blackhole shorter than the keep-alive timeout is just
   * a pause, and etcd delivers the held events on the same stream.
   */
  reset?: boolean;
}

/**
 * Runs one outage; resolves with the compaction revision once the relay is open again.
 *
 * @example
 * ```ts
 * const compacted = await compactDuringOutage({
 *   relay, compactor: raw,
 *   during: async () => { await peer.barrier('b').release(); await peer.put('x', '1'); },
 * });
 * ```
 */
export async function compactDuringOutage(options: OutageOptions): Promise<bigint> {
  const { relay, compactor } = options;
  relay.cut('blackhole');
  try {
    await options.during();
    // A put so that the compaction point is past every event written during the outage.
    const { header } = await compactor.put({ key: new TextEncoder().encode('~outage'), value: new Uint8Array(0) });
    await compactor.compact({ revision: header.revision, physical: true });
    if (options.reset ?? true) relay.cut('drop');
    return header.revision;
  } finally {
    relay.restore();
  }
}
