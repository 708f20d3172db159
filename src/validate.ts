/**
 * Argument checks shared by every public method: bad input is refused with
 * {@link InvalidArgumentError} before anything is sent.
 * @module
 * @internal
 */
import { InvalidArgumentError } from './errors.js';
import type { Bytes } from './transport.js';

/** The longest delay a JavaScript timer can wait (2^31 - 1 ms, about 24.8 days); longer ones fire at once. */
export const MAX_TIMER_MS = 2_147_483_647;

/** etcd's default `--max-request-bytes` (1.5 MiB). */
export const DEFAULT_MAX_REQUEST_BYTES = 1.5 * 1024 * 1024;
/** Room left in a request for framing and other fields. */
const REQUEST_OVERHEAD = 1024;

/** A key: a non-empty string. */
export function checkKey(key: unknown, what = 'key'): asserts key is string {
  if (typeof key !== 'string') throw new InvalidArgumentError(`${what} must be a string, got ${typeof key}`);
  if (key.length === 0) throw new InvalidArgumentError(`${what} must not be empty`);
}

/** A key prefix: a string, possibly empty (the whole namespace). */
export function checkPrefix(prefix: unknown, what = 'prefix'): asserts prefix is string {
  if (typeof prefix !== 'string') throw new InvalidArgumentError(`${what} must be a string, got ${typeof prefix}`);
}

/** A primitive's name: a non-empty string. */
export function checkName(name: unknown, what = 'name'): asserts name is string {
  checkKey(name, what);
}

/** A value: a string or bytes. */
export function checkValue(value: unknown, what = 'value'): asserts value is string | Bytes {
  if (typeof value !== 'string' && !(value instanceof Uint8Array)) {
    throw new InvalidArgumentError(`${what} must be a string or a Uint8Array, got ${value === null ? 'null' : typeof value}`);
  }
}

/** Refuses a request whose key and value would exceed etcd's request size limit. */
export function checkSize(key: Bytes, value: Bytes, maxRequestBytes: number): void {
  const size = key.length + value.length + REQUEST_OVERHEAD;
  if (size > maxRequestBytes) {
    throw new InvalidArgumentError(
      `request of ${key.length + value.length} bytes exceeds etcd's request limit of ${maxRequestBytes} bytes`,
      { code: 'TOO_LARGE' },
    );
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
