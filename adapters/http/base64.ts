/**
 * Standard base64 (RFC 4648, with padding) on `Uint8Array`, as etcd's JSON
 * gateway writes bytes fields. Runtime-neutral: no `Buffer`, no `atob`
 * string round-trips for binary data.
 *
 * @module
 * @internal
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const DECODE = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i;
// URL-safe variants are accepted too (Go's decoder for proto bytes accepts both).
DECODE['-'.charCodeAt(0)] = 62;
DECODE['_'.charCodeAt(0)] = 63;

/**
 * Encodes bytes as standard base64 with padding.
 *
 * @example
 * ```ts
 * toBase64(new TextEncoder().encode('foo')); // 'Zm9v'
 * ```
 */
export function toBase64(bytes: Uint8Array): string {
  let out = '';
  const chunk: string[] = [];
  const n = bytes.length;
  let i = 0;
  for (; i + 2 < n; i += 3) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    chunk.push(ALPHABET[v >> 18]! + ALPHABET[(v >> 12) & 63]! + ALPHABET[(v >> 6) & 63]! + ALPHABET[v & 63]!);
    if (chunk.length === 4096) {
      out += chunk.join('');
      chunk.length = 0;
    }
  }
  if (i < n) {
    const rest = n - i;
    const v = (bytes[i]! << 16) | (rest === 2 ? bytes[i + 1]! << 8 : 0);
    chunk.push(ALPHABET[v >> 18]! + ALPHABET[(v >> 12) & 63]! + (rest === 2 ? ALPHABET[(v >> 6) & 63]! : '=') + '=');
  }
  return out + chunk.join('');
}

/**
 * Decodes standard or URL-safe base64, padded or not; whitespace is ignored.
 *
 * @throws TypeError on a character outside the alphabet.
 * @example
 * ```ts
 * new TextDecoder().decode(fromBase64('Zm9v')); // 'foo'
 * ```
 */
export function fromBase64(text: string): Uint8Array {
  let len = text.length;
  while (len > 0 && text.charCodeAt(len - 1) === 61 /* = */) len--;
  const out = new Uint8Array(Math.floor((len * 3) / 4));
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < len; i++) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 10 || c === 13 || c === 9) continue;
    const d = c < 128 ? DECODE[c]! : -1;
    if (d < 0) throw new TypeError(`invalid base64 character at ${i}`);
    acc = ((acc << 6) | d) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  return o === out.length ? out : out.subarray(0, o);
}
