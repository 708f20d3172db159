/**
 * Byte-string helpers: UTF-8 codecs and etcd's key-range math.
 * @module
 * @internal
 */
import type { Bytes } from './types.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The empty byte string. */
export const EMPTY: Bytes = new Uint8Array(0);
/** etcd's "from key" range end: `[0]` means every key >= the start key. */
export const FROM_KEY: Bytes = Uint8Array.of(0);

/** UTF-8 bytes of a string; bytes are returned as they are. */
export function toBytes(value: string | Bytes): Bytes {
  return typeof value === 'string' ? encoder.encode(value) : value;
}

/** Decodes UTF-8 (invalid sequences become U+FFFD). */
export function utf8(bytes: Bytes): string {
  return decoder.decode(bytes);
}

export function concat(a: Bytes, b: Bytes): Bytes {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

export function startsWith(bytes: Bytes, prefix: Bytes): boolean {
  if (prefix.length > bytes.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false;
  return true;
}

export function equals(a: Bytes | undefined, b: Bytes | undefined): boolean {
  if (a === b) return true;
  if (!a || !b || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Byte-wise order of two keys (etcd's): negative, 0 or positive. */
export function compareBytes(a: Bytes, b: Bytes): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/**
 * The smallest key greater than every key starting with `prefix` (etcd's
 * `GetPrefixRangeEnd`): the prefix with its last byte below 0xff incremented and
 * the rest dropped. All-0xff or empty prefixes have no such key: `[0]` (from key).
 */
export function prefixEnd(prefix: Bytes): Bytes {
  for (let i = prefix.length - 1; i >= 0; i--) {
    const byte = prefix[i]!;
    if (byte < 0xff) {
      const end = prefix.slice(0, i + 1);
      end[i] = byte + 1;
      return end;
    }
  }
  return FROM_KEY;
}

const HEX_DIGITS: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const NodeBuffer = (globalThis as { Buffer?: typeof Buffer }).Buffer;

/**
 * Lowercase hex of a byte string (for map keys and logs). On the hot path of
 * every watch subscription (the broadcast id), so native where possible.
 */
export function hex(bytes: Bytes): string {
  if (NodeBuffer) return NodeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += HEX_DIGITS[bytes[i]!]!;
  return s;
}
