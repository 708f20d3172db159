/**
 * Key layout of topics, inside the client's namespace:
 * `__topics/<encodeURIComponent(name)>/<publish time: ms since the epoch, 15 digits>-<16 random hex digits>`.
 *
 * The name is URI-encoded so that no topic's prefix contains another's (topic
 * `a` and topic `a/b` never share keys). Keys sort by publish time (the
 * publisher's clock), which is what the age bound trims by; delivery order is
 * the revision order of the writes, whatever the clocks say.
 * @module
 * @internal
 */
import { hex } from '../bytes.js';

const MESSAGE_SUFFIX = /^[0-9]{15}-[0-9a-f]{16}$/;

/** The user-key prefix of topic `name`'s messages. */
export function topicPrefix(name: string): string {
  return `__topics/${encodeURIComponent(name)}/`;
}

/** The time field of a message key: `ms` zero-padded to 15 digits. */
export function timeField(ms: number): string {
  return String(Math.max(0, Math.floor(ms))).padStart(15, '0');
}

/** A fresh message key suffix published at `ms`. */
export function messageSuffix(ms: number): string {
  // Web Crypto (global in Node 20 and browsers): the SDK core must bundle for browsers (http transport).
  return `${timeField(ms)}-${hex(globalThis.crypto.getRandomValues(new Uint8Array(8)))}`;
}

/** Whether `key` is a message key under `prefix` (and not some other key there). */
export function isMessageKey(key: string, prefix: string): boolean {
  return key.startsWith(prefix) && MESSAGE_SUFFIX.test(key.slice(prefix.length));
}
