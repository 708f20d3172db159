/**
 * Rendezvous (highest random weight) hashing: which member of a consumer group
 * a message belongs to. Pure functions, no I/O.
 *
 * Every member computes `ownerOf(messageKey, members)` over the same member
 * set (the members registered when the message was published, see
 * `group-view.ts`) and gets the same answer, so a message is handled by its
 * owner with no race and no write. When a member leaves, only the messages it
 * owned move (each to the best-scoring of the others); the rest stay put.
 * @module
 * @internal
 */

/** A 32-bit score of `(key, member)`: FNV-1a over both strings, then murmur3's finalizer to spread the bits. */
export function score(key: string, member: string): number {
  let h = 0x811c9dc5;
  const feed = (s: string): void => {
    for (let i = 0; i < s.length; i++) {
      h ^= s.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
  };
  feed(key);
  h ^= 0xff; // separator: ("ab","c") and ("a","bc") score differently
  h = Math.imul(h, 0x01000193);
  feed(member);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * The member that `key` belongs to: the highest score, ties broken by the
 * smaller id. `undefined` when there is no member.
 *
 * @example
 * ```ts
 * ownerOf('000001700000000-9f2c...', ['a1', 'b2', 'c3']); // e.g. 'b2', the same on every caller
 * ```
 */
export function ownerOf(key: string, members: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestScore = -1;
  for (const member of members) {
    const s = score(key, member);
    if (s > bestScore || (s === bestScore && best !== undefined && member < best)) {
      best = member;
      bestScore = s;
    }
  }
  return best;
}
