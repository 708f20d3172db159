/**
 * Key layout of topics, inside the client's namespace:
 * `__topics/<encodeURIComponent(name)>/<publish time: ms since the epoch, 15 digits>-<16 hex digits>`.
 * The 16 hex digits are the publisher's: 8 drawn at random once per client and topic, then an
 * 8-digit counter (from a random start) that the client increments per message, so a client
 * never writes one key twice and keys need no txn to stay unique. Two clients collide only if
 * they drew the same 8 digits and publish the same counter value in the same millisecond; the
 * Put asks for the previous value, so such an overwrite is seen and the message it replaced is
 * published again under a fresh id (see `publisher.ts`).
 *
 * The name is URI-encoded so that no topic's prefix contains another's (topic
 * `a` and topic `a/b` never share keys). Keys sort by publish time (the
 * publisher's clock), which is what the age bound trims by; delivery order is
 * the revision order of the writes, whatever the clocks say.
 * @module
 * @internal
 */
const MESSAGE_SUFFIX = /^[0-9]{15}-[0-9a-f]{16}$/;

/** The user-key prefix of topic `name`'s messages. */
export function topicPrefix(name: string): string {
  return `__topics/${encodeURIComponent(name)}/`;
}

/** The time field of a message key: `ms` zero-padded to 15 digits. */
export function timeField(ms: number): string {
  return String(Math.max(0, Math.floor(ms))).padStart(15, '0');
}

/**
 * The message key suffixes of one publisher (one client's writer of one topic): a random id and a counter.
 *
 * @example
 * ```ts
 * const keys = new MessageKeys();
 * keys.next(Date.now()); // '001764531234567-3fa2c9e100000a41'
 * ```
 */
export class MessageKeys {
  /** 8 random hex digits, this publisher's. */
  private id = '';
  /** The next counter value (wraps at 2^32). */
  private counter = 0;

  constructor() {
    this.renew();
  }

  /** Draws a new random id and counter start (after another publisher was seen using this one). */
  renew(): void {
    // Web Crypto (global in Node 20 and browsers): the SDK core must bundle for browsers (http transport).
    const random = globalThis.crypto.getRandomValues(new Uint32Array(2));
    this.id = random[0]!.toString(16).padStart(8, '0');
    this.counter = random[1]!;
  }

  /** A fresh message key suffix published at `ms`. */
  next(ms: number): string {
    const n = this.counter;
    this.counter = (n + 1) >>> 0;
    return `${timeField(ms)}-${this.id}${n.toString(16).padStart(8, '0')}`;
  }
}

/** Whether `key` is a message key under `prefix` (and not some other key there). */
export function isMessageKey(key: string, prefix: string): boolean {
  return key.startsWith(prefix) && MESSAGE_SUFFIX.test(key.slice(prefix.length));
}
