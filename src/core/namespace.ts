/**
 * Key prefixing for namespaced clients, with the rules of etcd's
 * `clientv3/namespace` (and grpc-proxy `--namespace`):
 * - a key `k` is stored as `prefix + k`;
 * - a range end `e` becomes `prefix + e`;
 * - the "from key" end `[0]` becomes the end of the whole prefix, so a
 *   namespaced client never reads or watches outside its prefix;
 * - nested namespaces compose by concatenating prefixes;
 * - the empty prefix of a client without a namespace is the whole keyspace:
 *   key `[0]`, range end `[0]` (etcd's "every key", as Go's `WithPrefix()` of
 *   `""` sends), since etcd refuses an empty key ("key is not provided").
 * @module
 * @internal
 */
import { EMPTY, FROM_KEY, concat, equals, prefixEnd, startsWith } from '../bytes.js';
import type { Bytes } from '../transport/index.js';

export class Namespace {
  constructor(readonly prefix: Bytes = EMPTY) {}

  /** A namespace nested inside this one. */
  child(prefix: Bytes): Namespace {
    return new Namespace(concat(this.prefix, prefix));
  }

  /** The stored form of a key. */
  key(key: Bytes): Bytes {
    return concat(this.prefix, key);
  }

  /** The stored form of a range end (undefined = single key). */
  rangeEnd(end: Bytes | undefined): Bytes | undefined {
    if (end === undefined) return undefined;
    if (equals(end, FROM_KEY)) return this.prefix.length === 0 ? FROM_KEY : prefixEnd(this.prefix);
    return concat(this.prefix, end);
  }

  /** The stored range `[start, end)` of every key starting with `keyPrefix` inside this namespace. */
  prefixRange(keyPrefix: Bytes): { key: Bytes; rangeEnd: Bytes } {
    const key = concat(this.prefix, keyPrefix);
    // The whole keyspace: every key >= [0] (etcd refuses an empty key).
    if (key.length === 0) return { key: FROM_KEY, rangeEnd: FROM_KEY };
    return { key, rangeEnd: prefixEnd(key) };
  }

  /** The key as this namespace's user sees it (the prefix removed). */
  strip(stored: Bytes): Bytes {
    if (this.prefix.length === 0) return stored;
    return startsWith(stored, this.prefix) ? stored.subarray(this.prefix.length) : stored;
  }
}
