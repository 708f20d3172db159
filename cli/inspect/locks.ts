/**
 * Locks, elections, read/write locks and semaphores from their keys.
 * @module
 */
import type { ElectionView, LeasedKey, LockView, RawKv, RwKey, RwLockView, SemaphoreView } from './model.js';
import { byCreate, byName } from './keys.js';

const text = new TextDecoder();

function leased(kv: RawKv): LeasedKey {
  return { key: kv.key, lease: kv.lease.toString(), createRevision: kv.createRevision.toString() };
}

/**
 * Mutexes and elections from Go-layout session keys grouped by name: with empty values a lock
 * (holder = oldest key, fencing token = its create revision), else an election (leader = oldest).
 * A name whose keys mix both is reported as both, each with its own keys.
 */
export function locksAndElections(byNameKeys: Map<string, RawKv[]>): { locks: LockView[]; elections: ElectionView[] } {
  const locks: LockView[] = [];
  const elections: ElectionView[] = [];
  for (const [name, kvs] of byNameKeys) {
    const lockKeys = kvs.filter((kv) => kv.value.length === 0).sort(byCreate);
    const candidates = kvs.filter((kv) => kv.value.length > 0).sort(byCreate);
    const [holder, ...waiters] = lockKeys;
    if (holder) {
      locks.push({
        name,
        holder: { key: holder.key, lease: holder.lease.toString(), fencingToken: holder.createRevision.toString() },
        waiters: waiters.map(leased),
      });
    }
    const leader = candidates[0];
    if (leader) {
      elections.push({
        name,
        leader: { key: leader.key, value: text.decode(leader.value), lease: leader.lease.toString(), revision: leader.createRevision.toString() },
        candidates: candidates.map(leased),
      });
    }
  }
  return { locks: locks.sort(byName), elections: elections.sort(byName) };
}

/** Read/write locks: a reader holds when no writer is older, a writer when no key at all is older. */
export function rwLocks(byNameKeys: Map<string, Array<RawKv & { mode: 'read' | 'write' }>>): RwLockView[] {
  const out: RwLockView[] = [];
  for (const [name, kvs] of byNameKeys) {
    const keys: RwKey[] = kvs.sort(byCreate).map((kv) => ({ ...leased(kv), mode: kv.mode }));
    let holders = 0;
    if (keys[0]?.mode === 'write') holders = 1;
    else while (holders < keys.length && keys[holders]!.mode === 'read') holders++;
    out.push({ name, holders: keys.slice(0, holders), waiters: keys.slice(holders) });
  }
  return out.sort(byName);
}

/** Semaphores: their keys in create-revision order. */
export function semaphores(byNameKeys: Map<string, RawKv[]>): SemaphoreView[] {
  return [...byNameKeys].map(([name, kvs]) => ({ name, keys: kvs.sort(byCreate).map(leased) })).sort(byName);
}
