/**
 * Clients for the barrier regression tests whose transport is decorated: replies lost on
 * purpose ({@link lostReplyTransport}) or calls held at a gate until the test lets them go.
 */
import { connect, type Conclave } from '../../src/index.js';
import type { Transport, TxnRequest } from '../../src/transport/index.js';
import { interceptTransport } from '../harness/intercept.js';
import { lostReplyTransport, type LossyTransport } from '../harness/lost-reply.js';
import { adapterFor, type ClusterUnderTest, type TransportUnderTest } from './transports.js';

/** The raw transport of `transport` to `cluster` (the one `connect({ transport: name })` would build). */
export { adapterFor as rawTransport } from './transports.js';

/** A client over `transport` whose replies can be lost (see `lostReplyTransport`). */
export async function lossyClient(
  transport: TransportUnderTest,
  cluster: ClusterUnderTest,
  namespace: string,
): Promise<{ client: Conclave; lossy: LossyTransport }> {
  const lossy = lostReplyTransport(await adapterFor(transport, cluster));
  return { client: await connect({ transport: lossy, namespace }), lossy };
}

/** The calls a gate can hold. */
export type GatedMethod = 'txn' | 'deleteRange';

/** A transport whose next call matching a gate waits for `open()` before it is sent. */
export interface GatedTransport extends Transport {
  /** Holds the next `method` call matching `when`; `reached` resolves when it arrives at the gate. */
  hold(method: GatedMethod, when: (request: unknown) => boolean): { reached: Promise<void>; open: () => void };
}

export function gatedTransport(inner: Transport): GatedTransport {
  const gates: Array<{ method: GatedMethod; when: (request: unknown) => boolean; arrived: () => void; opened: Promise<void> }> = [];
  const pass = async (method: GatedMethod, request: unknown): Promise<void> => {
    const i = gates.findIndex((g) => g.method === method && g.when(request));
    if (i < 0) return;
    const [g] = gates.splice(i, 1);
    g!.arrived();
    await g!.opened;
  };
  const gated = interceptTransport(inner, async (method, request, _signal, send) => {
    if (method === 'txn' || method === 'deleteRange') await pass(method, request);
    return send();
  }) as GatedTransport;
  gated.hold = (method, when) => {
    let arrived!: () => void;
    let open!: () => void;
    const reached = new Promise<void>((resolve) => (arrived = resolve));
    const opened = new Promise<void>((resolve) => (open = resolve));
    gates.push({ method, when, arrived, opened });
    return { reached, open };
  };
  return gated;
}

/** A txn that puts a key whose text contains `fragment` (e.g. a double barrier's `/waiters/` key). */
export function putsKey(fragment: string): (request: unknown) => boolean {
  return (request) =>
    (request as TxnRequest).success.some((op) => 'put' in op && new TextDecoder().decode(op.put.key).includes(fragment));
}

/** A txn or delete that removes a key whose text contains `fragment`. */
export function deletesKey(fragment: string): (request: unknown) => boolean {
  const hit = (key: Uint8Array): boolean => new TextDecoder().decode(key).includes(fragment);
  return (request) => {
    const r = request as Partial<TxnRequest> & { key?: Uint8Array };
    if (r.key) return hit(r.key);
    return [...(r.success ?? [])].some((op) => 'deleteRange' in op && hit(op.deleteRange.key));
  };
}
