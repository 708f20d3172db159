/**
 * Argument checks shared by every public method: bad input is refused with
 * {@link InvalidArgumentError} before anything is sent.
 * @module
 * @internal
 */
import { InvalidArgumentError } from './errors.js';
import type { Bytes } from './types.js';

const encoder = new TextEncoder();
/** A lone (unpaired) UTF-16 surrogate: a high one not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The longest delay a JavaScript timer can wait (2^31 - 1 ms, about 24.8 days); longer ones fire at once. */
export const MAX_TIMER_MS = 2_147_483_647;

/** etcd's default `--max-request-bytes` (1.5 MiB). */
export const DEFAULT_MAX_REQUEST_BYTES = 1.5 * 1024 * 1024;
/** Room left in a request for framing and other fields. */
const REQUEST_OVERHEAD = 1024;

/**
 * Whether `text` is well-formed UTF-16 (`String.prototype.isWellFormed`): no lone surrogate.
 * Only such strings survive UTF-8 as they are; a lone surrogate becomes U+FFFD, so two
 * distinct strings would name the same key.
 */
export function isWellFormed(text: string): boolean {
  const native = (text as { isWellFormed?: () => boolean }).isWellFormed;
  return native ? native.call(text) : !LONE_SURROGATE.test(text);
}

/** A string UTF-8 can carry as it is: refuses lone UTF-16 surrogates (they would be stored as U+FFFD). */
export function checkWellFormed(text: string, what: string): void {
  if (!isWellFormed(text)) {
    throw new InvalidArgumentError(`${what} is not well-formed UTF-16 (it has a lone surrogate, which UTF-8 cannot carry)`);
  }
}

/** A key: a non-empty, well-formed string. */
export function checkKey(key: unknown, what = 'key'): asserts key is string {
  if (typeof key !== 'string') throw new InvalidArgumentError(`${what} must be a string, got ${typeof key}`);
  if (key.length === 0) throw new InvalidArgumentError(`${what} must not be empty`);
  checkWellFormed(key, what);
}

/** A key prefix: a well-formed string, possibly empty (the whole namespace). */
export function checkPrefix(prefix: unknown, what = 'prefix'): asserts prefix is string {
  if (typeof prefix !== 'string') throw new InvalidArgumentError(`${what} must be a string, got ${typeof prefix}`);
  checkWellFormed(prefix, what);
}

/** A primitive's name: a non-empty, well-formed string. */
export function checkName(name: unknown, what = 'name'): asserts name is string {
  checkKey(name, what);
}

/**
 * How many times one request carries a primitive's name, at most, with room to spare: the
 * mutex's and election's enqueue txn sends `${name}/${lease}` 7 times (compare, put, the
 * owner range's start and end on success, the key and the owner range on failure); every
 * other primitive's requests carry it fewer times (rwlock and semaphore 4, barriers 3,
 * queues, topics and the registry 5 at most).
 */
export const NAME_COPIES = 8;
/** Room for what a primitive adds around its name in a key (layout prefix, `/write/<nanos>`, lease hex, ...). */
const NAME_LAYOUT_BYTES = 64;

/**
 * Refuses a primitive's name whose keys would not fit in one request, before anything is
 * written (a session lease, its marker, a key): `NAME_COPIES` copies of the stored name (the
 * namespace prefix, the name as stored — URI-encoded for topics, queues' claims and the
 * registry — and its layout) must fit in etcd's request limit.
 */
export function checkNameSize(
  client: { readonly ns: { readonly prefix: Bytes }; readonly core: { readonly maxRequestBytes: number } },
  name: string,
  opts: { encoded?: boolean } = {},
): void {
  const nameBytes = encoder.encode(opts.encoded ? encodeURIComponent(name) : name).length;
  const stored = client.ns.prefix.length + nameBytes + NAME_LAYOUT_BYTES;
  const { maxRequestBytes } = client.core;
  if (NAME_COPIES * stored + REQUEST_OVERHEAD > maxRequestBytes) {
    const most = Math.max(0, Math.floor((maxRequestBytes - REQUEST_OVERHEAD) / NAME_COPIES) - NAME_LAYOUT_BYTES - client.ns.prefix.length);
    throw new InvalidArgumentError(
      `name of ${nameBytes} bytes (as stored) is too long: its keys would exceed etcd's request limit of ${maxRequestBytes} bytes; at most ${most} bytes`,
      { code: 'TOO_LARGE' },
    );
  }
}

/** A value: a string (well-formed) or bytes. */
export function checkValue(value: unknown, what = 'value'): asserts value is string | Bytes {
  if (typeof value !== 'string' && !(value instanceof Uint8Array)) {
    throw new InvalidArgumentError(`${what} must be a string or a Uint8Array, got ${value === null ? 'null' : typeof value}`);
  }
  if (typeof value === 'string') checkWellFormed(value, what);
}

/**
 * Refuses a request whose key and value would exceed etcd's request size limit. `copies`:
 * how many times the request carries the key and the value (e.g. a txn that compares, puts
 * and ranges the same key).
 */
export function checkSize(key: Bytes, value: Bytes, maxRequestBytes: number, copies: { key?: number; value?: number } = {}): void {
  const bytes = key.length * (copies.key ?? 1) + value.length * (copies.value ?? 1);
  if (bytes + REQUEST_OVERHEAD > maxRequestBytes) {
    throw new InvalidArgumentError(`request of ${bytes} bytes exceeds etcd's request limit of ${maxRequestBytes} bytes`, { code: 'TOO_LARGE' });
  }
}

/** A positive integer (count, permits, TTL). */
export function checkPositiveInt(value: unknown, what: string, max = Number.MAX_SAFE_INTEGER): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    throw new InvalidArgumentError(`${what} must be an integer between 1 and ${max}, got ${String(value)}`);
  }
}

/** A revision: a non-negative bigint. */
export function checkRevision(value: unknown, what = 'revision'): asserts value is bigint {
  if (typeof value !== 'bigint' || value < 0n) {
    throw new InvalidArgumentError(`${what} must be a non-negative bigint, got ${String(value)}`);
  }
}

/** An optional AbortSignal. */
export function checkSignal(signal: unknown): asserts signal is AbortSignal | undefined {
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new InvalidArgumentError('signal must be an AbortSignal');
  }
}

/**
 * A primitive's name, as every factory (`mutex`, `topic`, ...) checks it before anything is
 * written: a non-empty, well-formed string whose keys fit in a request ({@link checkNameSize}).
 */
export function checkPrimitiveName(
  client: { readonly ns: { readonly prefix: Bytes }; readonly core: { readonly maxRequestBytes: number } },
  name: unknown,
  opts: { encoded?: boolean } = {},
): asserts name is string {
  checkName(name);
  checkNameSize(client, name, opts);
}
