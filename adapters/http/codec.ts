/**
 * The JSON etcd's gateway speaks is the proto3 JSON mapping of etcd's
 * messages with the .proto field names (grpc-gateway with `OrigName: true`):
 * `range_end`, `create_revision`, but `ID`, `TTL`, `grantedTTL`, `peerURLs`
 * where the proto spells them so; int64 as decimal strings, bytes as base64,
 * enums by name, zero values omitted. The generated schemas
 * (`adapters/shared/gen/`) give exactly that with `toJson(..., {
 * useProtoFieldName: true })` / `fromJson(..., { ignoreUnknownFields: true })`;
 * the seam mapping is `adapters/shared/wire/`.
 *
 * What is the gateway's own and kept by hand, outside this mapping: the
 * streaming framing (`{"result": {...}}` / `{"error": {...}}` per line, read
 * in `watch-stream.ts` and `keepalive-stream.ts`: grpc-gateway wraps each
 * streamed message, the proto has no such message) and the error bodies of
 * unary calls (`{"error", "code", "message"}`: grpc-gateway's, mapped in
 * `errors.ts`).
 *
 * @module
 * @internal
 */
import { fromJson, toJson, type DescMessage, type JsonValue, type MessageShape } from '@bufbuild/protobuf';
import { EtcdError } from '../../src/errors.js';
import type { ResponseHeader, WireEvent } from '../../src/transport/index.js';
import { WatchResponseSchema } from '../shared/gen/etcdserverpb/rpc_pb.js';
import { header } from '../shared/wire/responses.js';
import { eventOfJson } from './watch-events.js';

/** A JSON object as sent to or parsed from the gateway. */
export type Json = Record<string, unknown>;

/** INTERNAL: what grpc-js reports for an answer its deserializer refuses; the same here. */
const INTERNAL = 13;

/** The gateway's JSON of a request message (proto field names; zero values omitted). */
export function toGateway<S extends DescMessage>(schema: S, message: MessageShape<S>): Json {
  return toJson(schema, message, { useProtoFieldName: true }) as Json;
}

/**
 * A message of the gateway's JSON answer; fields this client does not know are ignored.
 *
 * @throws EtcdError (INTERNAL) when the answer does not fit the message (a broken or foreign gateway).
 */
export function fromGateway<S extends DescMessage>(schema: S, json: unknown): MessageShape<S> {
  try {
    return fromJson(schema, (json ?? {}) as JsonValue, { ignoreUnknownFields: true });
  } catch (err) {
    throw new EtcdError(`etcd's gateway sent a ${schema.typeName} that does not decode: ${err instanceof Error ? err.message : String(err)}`, INTERNAL, { cause: err });
  }
}

/** One result of a watch POST (etcdserverpb.WatchResponse), in the seam's types. */
export interface WatchResult {
  header: ResponseHeader;
  watchId: bigint;
  created: boolean;
  canceled: boolean;
  compactRevision: bigint;
  cancelReason: string;
  events: WireEvent[];
}

/**
 * The {@link WatchResult} of one streamed `result` object. Its `events` are read by
 * `watch-events.ts` (the watch path's hot loop, see there); the rest by the generated mapping.
 *
 * @throws EtcdError (INTERNAL) when the result does not fit etcdserverpb.WatchResponse.
 */
export function decodeWatchResult(result: unknown): WatchResult {
  const { events, ...rest } = (result ?? {}) as Json;
  const r = fromGateway(WatchResponseSchema, rest);
  let decoded: WireEvent[] = [];
  if (events !== undefined && events !== null) {
    try {
      if (!Array.isArray(events)) throw new TypeError('events is not a list');
      decoded = events.map(eventOfJson);
    } catch (err) {
      throw new EtcdError(`etcd's gateway sent watch events that do not decode: ${err instanceof Error ? err.message : String(err)}`, INTERNAL, { cause: err });
    }
  }
  return {
    header: header(r.header),
    watchId: r.watchId,
    created: r.created,
    canceled: r.canceled,
    compactRevision: r.compactRevision,
    cancelReason: r.cancelReason,
    events: decoded,
  };
}
