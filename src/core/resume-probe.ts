/**
 * Resume without etcd's sync loop. etcd 3.4 (`mvcc/watchable_store.go`, `watch()`) puts a watcher whose start
 * revision is at or below its current revision in the *unsynced* group, which `syncWatchersLoop` catches up only
 * every 100 ms; a watcher from etcd's current revision (start 0) is synced at once. After a reconnect the store has
 * almost always moved on past a watcher's last delivered revision (other keys were written), so resuming from
 * `position + 1` costs 0–100 ms per reconnect even when nothing in the watched range changed.
 *
 * So a resumed single-key broadcast gets two watchers: the usual one from `position + 1` (always exact; the unsynced
 * one) and a second from etcd's current revision `W` (its `created` header: it delivers every event after `W`, synced
 * at once; its events are held meanwhile). Two reads, sent once etcd created the second, decide:
 * - the key now (linearizable, so at a revision `R >= W`): it exists and its last change is at or before
 *   `position` — then no event touched it in `(position, R]` (a put would raise its mod revision, a delete would
 *   remove it, a re-put after a delete would raise it again);
 * - the key at revision `position + 1` (count only): it fails exactly when etcd would report a watch from
 *   `position + 1` compacted, so compaction semantics stay those of a plain resume.
 * Both hold: the second watcher is adopted (the first cancelled) with no gap — events the first delivered meanwhile are
 * exact too, and the broadcast drops any revision it already has. Otherwise (the key changed, is absent — a put and a
 * delete in the gap would leave no trace —, the start is compacted, or a read failed) the second is cancelled and the
 * first goes on exactly as without a probe, having lost no time. A range watcher cannot be proven that way (a key
 * created and deleted in the gap leaves no trace in a read): it only gets the first.
 *
 * Progress notifications cannot stand in for the reads on etcd 3.4.23: the answer to a stream-wide progress request
 * goes out on the control channel, unordered with the events still queued for the stream, and carries the store's
 * revision even while watchers on the stream are unsynced (etcd-io/etcd#15220, fixed in later patch releases).
 * @module
 * @internal
 */
import type { Transport, WatcherHandle } from '../transport/index.js';
import type { Batch } from './broadcast.js';

/** Single-key broadcasts probed per stream reopen at most (a second watcher and two reads each); the others resume from their position + 1 only. */
export const MAX_PROBES_PER_REOPEN = 64;

/** What a resumed single-key broadcast's second watcher (from etcd's current revision) holds until the reads decide. */
export class ResumeProbe {
  /** Batches the new watcher delivered meanwhile (all after its `created` revision), published once proven. */
  readonly pending: Batch[] = [];
  constructor(
    /** The broadcast's position when it resumed: every event up to it was delivered. */
    readonly position: bigint,
    /** The broadcast's watcher from `position + 1`, created beside: the probe is adopted only while it is still current. */
    readonly plain: WatcherHandle | undefined,
  ) {}
}

/** What the two reads of a probe said. */
export interface ProbeReads {
  /** The header revision of the read of the key now. */
  readRevision: bigint;
  /** The key's mod revision now; undefined when the key does not exist. */
  modRevision: bigint | undefined;
  /** The read at `position + 1` succeeded (it was not compacted). */
  startReadable: boolean;
}

/** Whether a watched range `[key, rangeEnd)` is one key: no range end, or the key followed by a zero byte (the kit's single-key watches). */
export function isSingleKey(key: Uint8Array, rangeEnd: Uint8Array | undefined): boolean {
  if (rangeEnd === undefined) return true;
  if (rangeEnd.length !== key.length + 1 || rangeEnd[key.length] !== 0) return false;
  for (let i = 0; i < key.length; i++) if (rangeEnd[i] !== key[i]) return false;
  return true;
}

/**
 * Whether a watcher created at etcd's revision `createdAt` (delivering every event after it) continues a single-key
 * broadcast at `position` with no gap: see the module comment.
 */
export function gapProvenEmpty(position: bigint, createdAt: bigint, reads: ProbeReads | undefined): boolean {
  if (createdAt <= position) return true; // it starts at or before the old start: later duplicates are dropped
  if (!reads || !reads.startReadable || reads.readRevision < createdAt) return false;
  return reads.modRevision !== undefined && reads.modRevision <= position;
}

/** Sends the probe's two reads for `key` (stored, namespaced) and decides (false on any failure). */
export async function probeGap(transport: Transport, key: Uint8Array, position: bigint, createdAt: bigint): Promise<boolean> {
  if (gapProvenEmpty(position, createdAt, undefined)) return true;
  try {
    const [now, startReadable] = await Promise.all([
      transport.range({ key, keysOnly: true }),
      transport.range({ key, revision: position + 1n, countOnly: true }).then(
        () => true,
        () => false,
      ),
    ]);
    return gapProvenEmpty(position, createdAt, { readRevision: now.header.revision, modRevision: now.kvs[0]?.modRevision, startReadable });
  } catch {
    return false;
  }
}
