/**
 * The typed error of values read back through a codec (topics and queues),
 * beside the core's in `src/errors.ts`. Both are {@link ConclaveError}s.
 * @module
 */
import { ConclaveError, type ConclaveErrorOptions } from '../errors.js';
import type { Bytes, Rev } from '../types.js';

/**
 * A stored value the codec could not decode (a topic message or a queue item).
 * Carries the raw bytes so nothing is silently lost.
 *
 * @example
 * ```ts
 * topic.messages$().subscribe({ error: (e) => { if (e instanceof DecodeError) resumeFrom(e.revision + 1n) } });
 * ```
 */
export class DecodeError extends ConclaveError {
  /** The key that held the value (namespace removed). */
  readonly key: string;
  /** The raw stored bytes. */
  readonly bytes: Bytes;
  /** The revision of the write that stored the value. */
  readonly revision: Rev;

  constructor(key: string, bytes: Bytes, revision: Rev, options: ConclaveErrorOptions = {}) {
    super(`the value at ${key} (revision ${revision}) could not be decoded: ${messageOf(options.cause)}`, {
      code: 'DECODE_FAILED',
      ...options,
      retryable: false,
    });
    this.key = key;
    this.bytes = bytes;
    this.revision = revision;
  }
}

function messageOf(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}
