/**
 * The events of a watch result, read from the gateway's JSON by hand: the one
 * hot path where the generated mapping is not used.
 *
 * Why: `fromJson` builds two generated messages per event (Event, KeyValue),
 * each with its own bookkeeping, which made the HTTP watch path's decode about
 * 1.5x slower than the hand-written codec it replaced (`npm run bench:decode`).
 * An event is small and fixed (mvccpb.Event: `type`, `kv`, `prev_kv`;
 * mvccpb.KeyValue: two bytes and four int64 fields), so it is read here
 * directly into the seam's types, with the same rules as the proto3 JSON
 * mapping (int64 as a decimal string or a number, bytes as standard or
 * URL-safe base64, enum by name or number, zero values omitted, unknown
 * fields ignored). `test/adapters/http.test.ts` checks it against
 * `fromJson(EventSchema, ...)` field for field. Everything else of a watch
 * result goes through the generated mapping (`codec.ts`).
 *
 * @module
 * @internal
 */
import { base64Decode } from '@bufbuild/protobuf/wire';
import type { WireEvent, WireKeyValue } from '../../src/transport/index.js';

const EMPTY = new Uint8Array(0);

function int64(value: unknown): bigint {
  if (typeof value === 'string' && value !== '') return BigInt(value);
  if (typeof value === 'number') return BigInt(value);
  if (value === undefined || value === null) return 0n;
  throw new TypeError(`not an int64: ${JSON.stringify(value)}`);
}

function bytes(value: unknown): Uint8Array {
  if (value === undefined || value === null || value === '') return EMPTY;
  if (typeof value !== 'string') throw new TypeError(`not base64 bytes: ${JSON.stringify(value)}`);
  return base64Decode(value);
}

function keyValue(value: unknown): WireKeyValue {
  const kv = (value ?? {}) as Record<string, unknown>;
  return {
    key: bytes(kv['key']),
    value: bytes(kv['value']),
    createRevision: int64(kv['create_revision'] ?? kv['createRevision']),
    modRevision: int64(kv['mod_revision'] ?? kv['modRevision']),
    version: int64(kv['version']),
    lease: int64(kv['lease']),
  };
}

/**
 * The seam's event of one `events[]` item of a watch result (mvccpb.Event as
 * proto3 JSON).
 *
 * @throws TypeError when a field does not fit its type.
 */
export function eventOfJson(value: unknown): WireEvent {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new TypeError('a watch event is not an object');
  const e = value as Record<string, unknown>;
  const type = e['type'];
  const out: WireEvent = { type: type === 'DELETE' || type === 1 ? 'delete' : 'put', kv: keyValue(e['kv']) };
  const prev = e['prev_kv'] ?? e['prevKv'];
  if (prev !== undefined && prev !== null) out.prevKv = keyValue(prev);
  return out;
}
