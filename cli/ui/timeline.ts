/**
 * The `ui` page's timeline: lock handovers and leader changes found by comparing two reports,
 * and since when each holder has been seen holding.
 * @module
 */
import type { InspectModel } from '../inspect/model.js';

/** One change of a lock's holder or an election's leader. */
export interface TimelineEntry {
  /** When it was seen (ms since the epoch). */
  at: number;
  kind: 'lock' | 'election';
  name: string;
  /** The previous holder / leader key; absent when there was none. */
  from?: string;
  /** The new holder / leader key; absent when there is none now. */
  to?: string;
  /** The new leader's value (elections). */
  value?: string;
}

function holders(m: InspectModel): Map<string, string> {
  return new Map(m.locks.map((l) => [l.name, l.holder.key]));
}

function leaders(m: InspectModel): Map<string, { key: string; value: string }> {
  return new Map(m.elections.map((e) => [e.name, { key: e.leader.key, value: e.leader.value }]));
}

/**
 * The handovers between `before` and `after`, seen at `at`.
 *
 * @example
 * ```ts
 * changes(previous, next, Date.now()); // [{ kind: 'lock', name: 'jobs', from: 'jobs/694d…', to: 'jobs/694e…', at }]
 * ```
 */
export function changes(before: InspectModel, after: InspectModel, at: number): TimelineEntry[] {
  const out: TimelineEntry[] = [];
  const [h0, h1] = [holders(before), holders(after)];
  for (const name of new Set([...h0.keys(), ...h1.keys()])) {
    const from = h0.get(name);
    const to = h1.get(name);
    if (from !== to) out.push({ at, kind: 'lock', name, ...(from ? { from } : {}), ...(to ? { to } : {}) });
  }
  const [l0, l1] = [leaders(before), leaders(after)];
  for (const name of new Set([...l0.keys(), ...l1.keys()])) {
    const from = l0.get(name);
    const to = l1.get(name);
    if (from?.key !== to?.key || from?.value !== to?.value) {
      out.push({ at, kind: 'election', name, ...(from ? { from: from.key } : {}), ...(to ? { to: to.key, value: to.value } : {}) });
    }
  }
  return out;
}

/** Since when each current holder / leader key has been seen (kept from `previous` when still there). */
export function heldSince(m: InspectModel, previous: ReadonlyMap<string, number>, now: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const key of [...m.locks.map((l) => l.holder.key), ...m.elections.map((e) => e.leader.key)]) out.set(key, previous.get(key) ?? now);
  return out;
}
