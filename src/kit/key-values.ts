/**
 * Conversions from wire records to what users see (keys as strings, without
 * the namespace prefix).
 * @module
 * @internal
 */
import { utf8 } from '../bytes.js';
import type { WireEvent, WireKeyValue } from '../transport/index.js';
import type { KeyValue, WatchEvent } from '../types.js';

export function toKeyValue(kv: WireKeyValue, prefixLength: number): KeyValue {
  return {
    key: utf8(prefixLength === 0 ? kv.key : kv.key.subarray(prefixLength)),
    value: kv.value,
    createRevision: kv.createRevision,
    modRevision: kv.modRevision,
    version: kv.version,
    lease: kv.lease,
  };
}

export function toWatchEvent(event: WireEvent, prefixLength: number): WatchEvent {
  const kv = toKeyValue(event.kv, prefixLength);
  const out: WatchEvent = { type: event.type, key: kv.key, value: kv.value, revision: event.kv.modRevision, kv };
  if (event.prevKv) out.prevKv = toKeyValue(event.prevKv, prefixLength);
  return out;
}
