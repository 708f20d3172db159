/**
 * Mutual exclusion as seen by the protected resource: the writes it accepted, each tagged with
 * the writer's fencing token (a lock's create revision, an election term's revision) and the
 * writer's identity, in the order the resource accepted them (etcd revision order).
 *
 * If at most one holder at a time believed it held the lock (or the leadership) and acted on
 * it, the accepted writes of each resource carry non-decreasing tokens, and each token belongs
 * to a single holder. Two holders at once show up as a token going back (`stale-write`: the older
 * holder wrote after the newer one had) or one token used by two holders (`shared-token`).
 */
import type { Violation } from './violation.js';

/** One write the resource accepted. */
export interface FencedWrite {
  /** The resource (e.g. the etcd key written). Writes to different resources are independent. */
  resource: string;
  /** Where in the resource's order it was accepted (the etcd revision of the put). */
  revision: bigint;
  /** The writer's fencing token. */
  token: bigint;
  /** Who wrote it (process/client name). */
  holder: string;
}

/** One write a client reported, with what it was told. */
export interface ReportedWrite {
  resource: string;
  token: bigint;
  holder: string;
  /** Per-holder sequence number carried in the written value, to find the write in the history. */
  n: number;
  /** `'ok'`: acknowledged (with `revision`); `'rejected'`: definitely refused (fencing failed); `'failed'`: outcome unknown. */
  outcome: 'ok' | 'rejected' | 'failed';
  revision?: bigint;
}

/**
 * Checks the accepted writes of every resource: tokens never go back, one holder per token.
 *
 * @example
 * ```ts
 * checkFencedWrites([
 *   { resource: 'r', revision: 5n, token: 10n, holder: 'a' },
 *   { resource: 'r', revision: 6n, token: 12n, holder: 'b' },
 *   { resource: 'r', revision: 7n, token: 10n, holder: 'a' }, // a still acting after b took over
 * ]); // [{ kind: 'stale-write', ... }]
 * ```
 */
export function checkFencedWrites(writes: readonly FencedWrite[]): Violation[] {
  const violations: Violation[] = [];
  const byResource = new Map<string, FencedWrite[]>();
  for (const w of writes) {
    let list = byResource.get(w.resource);
    if (!list) byResource.set(w.resource, (list = []));
    list.push(w);
  }
  for (const [resource, list] of byResource) {
    const ordered = [...list].sort((a, b) => (a.revision < b.revision ? -1 : a.revision > b.revision ? 1 : 0));
    const owners = new Map<bigint, string>();
    let highest: FencedWrite | undefined;
    for (const w of ordered) {
      const owner = owners.get(w.token);
      if (owner === undefined) owners.set(w.token, w.holder);
      else if (owner !== w.holder) {
        violations.push({ kind: 'shared-token', detail: `${resource}: token ${w.token} used by ${owner} and ${w.holder} (revision ${w.revision})` });
      }
      if (highest && w.token < highest.token) {
        violations.push({
          kind: 'stale-write',
          detail: `${resource}: ${w.holder} wrote with token ${w.token} at revision ${w.revision}, after ${highest.holder} wrote with token ${highest.token} at revision ${highest.revision}`,
        });
      }
      if (!highest || w.token > highest.token) highest = w;
    }
  }
  return violations;
}

/**
 * Cross-checks what clients were told against what the resource accepted: every acknowledged
 * write is in the history at its revision (`lost-ack` otherwise), and no write a client was told
 * was refused is there (`rejected-applied`). `accepted` carries each write's `n` (from its value).
 */
export function checkReportedWrites(accepted: readonly (FencedWrite & { n: number })[], reported: readonly ReportedWrite[]): Violation[] {
  const violations: Violation[] = [];
  const id = (w: { resource: string; holder: string; n: number }): string => `${w.resource}|${w.holder}|${w.n}`;
  const seen = new Map(accepted.map((w) => [id(w), w]));
  for (const r of reported) {
    const found = seen.get(id(r));
    if (r.outcome === 'ok' && (!found || found.token !== r.token || (r.revision !== undefined && found.revision !== r.revision))) {
      violations.push({ kind: 'lost-ack', detail: `${r.holder}'s write #${r.n} (token ${r.token}) to ${r.resource} was acknowledged at revision ${r.revision} but is not in the history` });
    }
    if (r.outcome === 'rejected' && found) {
      violations.push({ kind: 'rejected-applied', detail: `${r.holder}'s write #${r.n} (token ${r.token}) to ${r.resource} was reported refused but was applied at revision ${found.revision}` });
    }
  }
  return violations;
}
