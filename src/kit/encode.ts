/**
 * Encoding user values with a codec, refusing what cannot be encoded or would
 * exceed etcd's request size with `InvalidArgumentError`, before anything is written.
 * @module
 * @internal
 */
import { ConclaveError, InvalidArgumentError } from '../errors.js';
import type { Bytes, Codec } from '../types.js';
import { checkSize } from '../validate.js';

/** `codec.encode(value)`, checked to be bytes that fit in one request with `storedKey`. */
export function encodeValue<T>(codec: Codec<T>, value: T, storedKey: Bytes, maxRequestBytes: number, extraBytes = 0): Bytes {
  let bytes: unknown;
  try {
    bytes = codec.encode(value);
  } catch (cause) {
    if (cause instanceof ConclaveError) throw cause;
    throw new InvalidArgumentError(`value cannot be encoded: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
  if (!(bytes instanceof Uint8Array)) throw new InvalidArgumentError('codec.encode must return a Uint8Array');
  checkSize(storedKey, bytes, maxRequestBytes - extraBytes);
  return bytes;
}
