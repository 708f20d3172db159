/**
 * A contract-test client whose replies can be lost on purpose
 * (test/harness/lost-reply.ts), over the transport under test.
 */
import type { ConclaveClient } from '../../src/client/client.js';
import type { Conclave, ConnectOptions } from '../../src/index.js';
import { lostReplyTransport, type LossyTransport } from '../harness/lost-reply.js';
import { adapterFor, type ClusterUnderTest, type TransportUnderTest } from './transports.js';

/** Opens (with `open`, so it is closed after the file) a client over a lossy `transport` to `cluster`. */
export async function openLossy(
  transport: TransportUnderTest,
  cluster: ClusterUnderTest,
  open: (options?: ConnectOptions) => Promise<Conclave>,
  options: ConnectOptions = {},
): Promise<{ c: ConclaveClient; lossy: LossyTransport }> {
  const lossy = lostReplyTransport(await adapterFor(transport, cluster));
  const c = (await open({ ...options, transport: lossy })) as ConclaveClient;
  return { c, lossy };
}

/** Matches a range request over `[storedPrefix, ...)`: a read of the whole prefix. */
export function prefixRead(storedPrefix: string): (request: unknown) => boolean {
  return (request) => {
    const r = request as { key?: Uint8Array; rangeEnd?: Uint8Array };
    return r.key !== undefined && r.rangeEnd !== undefined && new TextDecoder().decode(r.key) === storedPrefix;
  };
}
