/**
 * Queue delivery against its documented guarantee (src/queues/queue.ts):
 * - `claim()` + `ack()` is at-least-once: no item is lost, and an item comes back only when its
 *   claim ended without an ack (the consumer died, its session was lost, or its ack failed);
 * - `dequeue()` is at-most-once: no item goes to two consumers; an item can vanish only with a
 *   take that was in flight when a consumer or a member died.
 */
import type { Violation } from './violation.js';

/** One step of a consumer, as it reported it. */
export interface ConsumerStep {
  consumer: string;
  id: number;
  /** `claimed`, `acked`, `ack-failed` (claim mode) or `taken` (take mode). */
  step: 'claimed' | 'acked' | 'ack-failed' | 'taken';
  /** For `ack-failed`: the failure proves the ack was not applied (the claim was lost), rather than leaving it unknown. */
  definite?: boolean;
}

/** How many copies of an item may be in the queue: 1, or more when an enqueue was retried after an unknown outcome. */
export type Copies = ReadonlyMap<number, number>;

function copiesOf(copies: Copies, id: number): number {
  return copies.get(id) ?? 1;
}

/**
 * At-least-once (claim mode). `ids`: every enqueued item. Violations: `lost` (never acked, and
 * no ack of it with an unknown outcome), `double-ack` (acked successfully more often than it had
 * copies: an ack deletes the item, so a second successful ack means two consumers held claims on
 * it at once), `ack-without-claim`, `unknown-item`. Also counts redeliveries (claims beyond the
 * first of an item: expected after a consumer died or lost its session).
 */
export function checkClaims(
  ids: readonly number[],
  steps: readonly ConsumerStep[],
  copies: Copies = new Map(),
): { violations: Violation[]; redelivered: number } {
  const violations: Violation[] = [];
  let redelivered = 0;
  const perId = new Map<number, ConsumerStep[]>();
  for (const s of steps) {
    let list = perId.get(s.id);
    if (!list) perId.set(s.id, (list = []));
    list.push(s);
  }
  for (const id of ids) {
    const list = perId.get(id) ?? [];
    const acks = list.filter((s) => s.step === 'acked');
    const claims = list.filter((s) => s.step === 'claimed');
    const unknown = list.filter((s) => s.step === 'ack-failed' && !s.definite);
    const allowed = copiesOf(copies, id);
    if (acks.length === 0 && unknown.length === 0) violations.push({ kind: 'lost', detail: `item ${id} was never acknowledged (${claims.length} claim(s))` });
    if (acks.length > allowed) {
      violations.push({ kind: 'double-ack', detail: `item ${id} acknowledged ${acks.length} times (by ${acks.map((a) => a.consumer).join(', ')}), ${allowed} cop(y/ies)` });
    }
    redelivered += Math.max(0, claims.length - allowed);
    for (const a of acks) {
      if (!claims.some((c) => c.consumer === a.consumer)) violations.push({ kind: 'ack-without-claim', detail: `item ${id} acked by ${a.consumer}, which never claimed it` });
    }
  }
  const known = new Set(ids);
  for (const s of steps) {
    if (!known.has(s.id)) violations.push({ kind: 'unknown-item', detail: `${s.consumer} reported ${s.step} of item ${s.id}, which was never enqueued` });
  }
  return { violations, redelivered };
}

/**
 * At-most-once (take mode). `remaining`: ids still in the queue at the end. Violations:
 * `duplicate-take` (taken more often than it had copies) and `lost` beyond `maxLost` (items
 * neither taken nor remaining: allowed only for takes in flight at a kill).
 */
export function checkTakes(
  ids: readonly number[],
  steps: readonly ConsumerStep[],
  remaining: readonly number[],
  maxLost: number,
  copies: Copies = new Map(),
): { violations: Violation[]; lost: number[] } {
  const violations: Violation[] = [];
  const taken = new Map<number, string[]>();
  for (const s of steps) {
    if (s.step !== 'taken') continue;
    const list = taken.get(s.id) ?? [];
    list.push(s.consumer);
    taken.set(s.id, list);
  }
  for (const [id, by] of taken) {
    if (by.length > copiesOf(copies, id)) violations.push({ kind: 'duplicate-take', detail: `item ${id} taken ${by.length} times (by ${by.join(', ')})` });
  }
  const left = new Set(remaining);
  const lost = ids.filter((id) => !taken.has(id) && !left.has(id));
  if (lost.length > maxLost) {
    violations.push({ kind: 'lost', detail: `${lost.length} item(s) neither taken nor in the queue (at most ${maxLost} allowed by the kills): ${lost.slice(0, 10).join(', ')}` });
  }
  const known = new Set(ids);
  for (const id of taken.keys()) {
    if (!known.has(id)) violations.push({ kind: 'unknown-item', detail: `item ${id} was taken but never enqueued` });
  }
  return { violations, lost };
}
