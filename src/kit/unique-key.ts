/**
 * The one unique-key maker: suffixes in the format of etcd's Go recipes
 * (`key.go` `newUniqueKV`: `fmt.Sprintf("%s/%v", prefix, time.Now().UnixNano())`),
 * made strictly increasing within this runtime. Browser-safe: only
 * `performance` and `Math.random`, no Node API. Callers still create the key
 * with a `version == 0` guard and retry on a clash with another client.
 * @module
 * @internal
 */

let last = 0n;

/** Nanoseconds since the epoch, as a decimal string, never repeating within this runtime. */
export function uniqueNanos(): string {
  const micros = BigInt(Math.floor((performance.timeOrigin + performance.now()) * 1000));
  let nanos = micros * 1000n + BigInt(Math.floor(Math.random() * 1000));
  if (nanos <= last) nanos = last + 1n;
  last = nanos;
  return nanos.toString();
}
