/**
 * What one member of a consumer group knows, and what it decides from it.
 * Pure state: fed by the topic stream (messages and member keys, in revision
 * order) and the group's state stream (low mark, done marks, claims, tries).
 *
 * ## Who handles a message
 * The owner of message `r` is `ownerOf(key, members registered before r)`
 * (rendezvous hashing). A member registered at revision `M` sees every event
 * after `M` in order and knows the member set at `M` exactly (it read it in the
 * txn that registered it), so for every `r > M` it computes the same owner as
 * every other member that was registered before `r`. The owner handles `r`
 * with no claim: nobody else may touch it while the owner's key exists.
 *
 * A message is an orphan when it is not done, not claimed, and its owner is
 * gone (or there was none). Orphans are claimed with a txn that checks the
 * owner's key is gone. A member can prove `r` is an orphan when it knows the
 * owner (registered before `r`), or when no live member was registered before
 * `r` (then every member of `r`'s set is gone). Among those who can prove it,
 * the rendezvous winner over the live members claims; others wait, so members
 * do not race for the same orphan.
 * @module
 * @internal
 */
import type { Bytes } from '../types.js';
import { ownerOf } from './assignment.js';
import type { Tries } from './group-layout.js';

/** A message seen in the topic stream and not known to be done. */
export interface PendingMessage {
  revision: bigint;
  /** The message key suffix (`<time>-<random>`): what the assignment hashes. */
  key: string;
  value: Bytes;
  /** Owner at publish time: a member id; `null` when no member was registered; `undefined` when this member cannot know (published before it registered). */
  owner: string | null | undefined;
}

export type Decision = 'own' | 'claim' | 'wait';

export class GroupView {
  /** Live members: id -> create revision of the member key. */
  readonly members = new Map<string, bigint>();
  readonly done = new Set<bigint>();
  /** Claims of other members (or ours): revision -> lease. */
  readonly claims = new Map<bigint, bigint>();
  readonly tries = new Map<bigint, { modRevision: bigint; tries: Tries }>();
  /** Messages seen and not done, in revision order. */
  readonly pending = new Map<bigint, PendingMessage>();
  /** The last revision of the topic stream applied. */
  position = 0n;

  constructor(
    readonly self: string,
    /** Create revision of our member key. */
    readonly selfCreate: bigint,
    members: ReadonlyMap<string, bigint>,
    public low: bigint,
  ) {
    for (const [id, rev] of members) this.members.set(id, rev);
  }

  /** Whether our member key is still there. */
  get alive(): boolean {
    return this.members.has(this.self);
  }

  /** A member key was created (revision > selfCreate: the snapshot has the earlier ones). */
  memberPut(id: string, createRevision: bigint): void {
    if (!this.members.has(id)) this.members.set(id, createRevision);
  }

  /** A member key was deleted; whether we knew it. */
  memberDeleted(id: string): boolean {
    return this.members.delete(id);
  }

  /** A message of the topic stream; returns it if it still needs handling. */
  addMessage(revision: bigint, key: string, value: Bytes): PendingMessage | undefined {
    if (revision > this.position) this.position = revision;
    if (revision < this.low || this.done.has(revision) || this.pending.has(revision)) return undefined;
    let owner: string | null | undefined;
    if (revision > this.selfCreate) owner = this.members.size === 0 ? null : (ownerOf(key, this.members.keys()) ?? null);
    const message: PendingMessage = { revision, key, value, owner };
    this.pending.set(revision, message);
    return message;
  }

  /** Advances the stream position past events that are not messages. */
  advance(revision: bigint): void {
    if (revision > this.position) this.position = revision;
  }

  markDone(revision: bigint): void {
    this.pending.delete(revision);
    this.claims.delete(revision);
    this.tries.delete(revision);
    if (revision >= this.low) this.done.add(revision);
  }

  /** The low mark moved: everything below it is done. */
  setLow(low: bigint): void {
    if (low <= this.low) return;
    this.low = low;
    for (const set of [this.done]) for (const r of set) if (r < low) set.delete(r);
    for (const map of [this.pending, this.claims, this.tries] as Map<bigint, unknown>[]) for (const r of map.keys()) if (r < low) map.delete(r);
  }

  /** What this member should do with `m` now. */
  decide(m: PendingMessage): Decision {
    if (!this.alive || this.done.has(m.revision) || this.claims.has(m.revision) || m.revision < this.low) return 'wait';
    if (m.owner === this.self) return 'own';
    const older = [...this.members].filter(([, created]) => created < m.revision).map(([id]) => id);
    const orphan = m.owner === null || (m.owner !== undefined && !this.members.has(m.owner)) || (m.owner === undefined && older.length === 0);
    if (!orphan) return 'wait';
    const provers = older.length > 0 ? older : [...this.members.keys()];
    return ownerOf(m.key, provers) === this.self ? 'claim' : 'wait';
  }

  /** Whether this member keeps the low mark: the oldest live member does. */
  get advancer(): boolean {
    let oldest: string | undefined;
    let created = -1n;
    for (const [id, rev] of this.members) {
      if (oldest === undefined || rev < created) {
        oldest = id;
        created = rev;
      }
    }
    return oldest === this.self;
  }

  /** Where the low mark may move: the first message not known done, else past the stream position. */
  lowCandidate(): bigint {
    let first = this.position + 1n;
    for (const r of this.pending.keys()) {
      first = r < first ? r : first;
      break; // insertion order is revision order
    }
    return first > this.low ? first : this.low;
  }
}
