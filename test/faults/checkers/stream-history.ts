/**
 * Delivery of a stream (topic messages, watch events) to one subscriber, against the ground
 * truth of what was published: every message, in publish (revision) order, exactly once.
 */
import type { Violation } from './violation.js';

/** A message known to be in the stream: acknowledged to its publisher, or read back from etcd's history. */
export interface StreamMessage {
  revision: bigint;
  /** The message's identity (e.g. its payload id). */
  id: string;
}

/**
 * Checks what `subscriber` received against `expected` (every message that must arrive).
 * Received messages must have strictly increasing revisions (`out-of-order` / `duplicate`),
 * include every expected message with its revision (`missing`, `wrong-revision`), and be
 * nothing else (`unexpected`) — except ids in `maybe`: publishes whose outcome the publisher
 * never learned (they may or may not be in the stream).
 *
 * @example
 * ```ts
 * checkStream('s1', [{ revision: 5n, id: 'a' }, { revision: 6n, id: 'b' }], [{ revision: 6n, id: 'b' }]);
 * // [{ kind: 'missing', detail: 's1: a (revision 5) never arrived' }]
 * ```
 */
export function checkStream(
  subscriber: string,
  expected: readonly StreamMessage[],
  received: readonly StreamMessage[],
  maybe: ReadonlySet<string> = new Set(),
): Violation[] {
  const violations: Violation[] = [];
  const want = new Map(expected.map((m) => [m.id, m.revision]));
  const got = new Map<string, bigint>();
  let last: StreamMessage | undefined;
  for (const m of received) {
    if (last && m.revision <= last.revision) {
      const kind = m.revision === last.revision || got.has(m.id) ? 'duplicate' : 'out-of-order';
      violations.push({ kind, detail: `${subscriber}: ${m.id} (revision ${m.revision}) after ${last.id} (revision ${last.revision})` });
    } else if (got.has(m.id)) {
      violations.push({ kind: 'duplicate', detail: `${subscriber}: ${m.id} received twice (revisions ${got.get(m.id)} and ${m.revision})` });
    }
    got.set(m.id, m.revision);
    const revision = want.get(m.id);
    if (revision === undefined) {
      if (!maybe.has(m.id)) violations.push({ kind: 'unexpected', detail: `${subscriber}: ${m.id} (revision ${m.revision}) was never published` });
    } else if (revision !== m.revision) {
      violations.push({ kind: 'wrong-revision', detail: `${subscriber}: ${m.id} arrived with revision ${m.revision}, published at ${revision}` });
    }
    last = m;
  }
  for (const m of expected) {
    if (!got.has(m.id)) violations.push({ kind: 'missing', detail: `${subscriber}: ${m.id} (revision ${m.revision}) never arrived` });
  }
  return violations;
}
