/**
 * Value codecs for topics and queues. The default is JSON (UTF-8).
 * @module
 */
import { InvalidArgumentError } from './errors.js';
import type { Codec } from './types.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * {@link jsonCodec}'s type: `decode` is generic, so it serves as a `Codec<T>` for any `T`.
 *
 * @example
 * ```ts
 * const codec: Codec<{ id: number }> = jsonCodec; // compiles: no cast needed
 * ```
 */
export interface JsonCodec {
  encode(value: unknown): Uint8Array;
  decode<T = unknown>(bytes: Uint8Array): T;
}

/**
 * JSON in UTF-8. `undefined`, functions and symbols cannot be encoded (InvalidArgumentError). bigint is refused too.
 *
 * @example
 * ```ts
 * const events = client.topic('events', { codec: jsonCodec }); // the default
 * await events.publish({ type: 'created', id: 7 });
 * const jobs = client.queue<{ id: number }>('jobs', { codec: jsonCodec }); // typed: decode is generic
 * ```
 */
export const jsonCodec: JsonCodec = {
  encode(value: unknown): Uint8Array {
    let text: string | undefined;
    try {
      text = JSON.stringify(value);
    } catch (cause) {
      throw new InvalidArgumentError(`value cannot be encoded as JSON: ${(cause as Error).message}`, { cause });
    }
    if (text === undefined) throw new InvalidArgumentError(`value of type ${typeof value} cannot be encoded as JSON`);
    return encoder.encode(text);
  },
  decode<T = unknown>(bytes: Uint8Array): T {
    return JSON.parse(decoder.decode(bytes)) as T;
  },
};

/**
 * Raw bytes, unchanged.
 *
 * @example
 * ```ts
 * const frames = client.queue<Uint8Array>('frames', { codec: bytesCodec });
 * await frames.enqueue(new Uint8Array([1, 2, 3]));
 * ```
 */
export const bytesCodec: Codec<Uint8Array> = { encode: (v) => v, decode: (b) => b };

/**
 * UTF-8 strings.
 *
 * @example
 * ```ts
 * const logs = client.topic<string>('logs', { codec: stringCodec });
 * await logs.publish('service started');
 * ```
 */
export const stringCodec: Codec<string> = { encode: (v) => encoder.encode(v), decode: (b) => new TextDecoder().decode(b) };

/** Checks a user-supplied codec's shape. */
export function checkCodec<T>(codec: Codec<T> | undefined): Codec<T> {
  if (codec === undefined) return jsonCodec as Codec<T>;
  if (typeof codec !== 'object' || codec === null || typeof codec.encode !== 'function' || typeof codec.decode !== 'function') {
    throw new InvalidArgumentError('codec must have encode(value) and decode(bytes) functions');
  }
  return codec;
}

/**
 * A value as UTF-8 text (invalid sequences become U+FFFD).
 *
 * @example
 * ```ts
 * const kv = await client.get('config/mode');
 * if (kv) console.log(decodeText(kv.value)); // 'active'
 * ```
 */
export function decodeText(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}

/**
 * A value parsed as JSON (UTF-8); `SyntaxError` when it is not JSON.
 *
 * @example
 * ```ts
 * const kv = await client.get('orders/1001');
 * const order = kv && decodeJson<{ item: string }>(kv.value);
 * ```
 */
export function decodeJson<T = unknown>(bytes: Uint8Array): T {
  return JSON.parse(decodeText(bytes)) as T;
}
