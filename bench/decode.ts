/**
 * `npm run bench:decode`: the watch path's decode cost, no etcd needed.
 *
 * Decodes 10,000 watch responses of 10 events each, as each adapter receives them: the gRPC
 * adapter a binary `WatchResponse` frame (grpc-js hands the deserializer a Buffer), the HTTP
 * adapter one line of the gateway's stream (`{"result": {...}}`, parsed and decoded). Each
 * decode ends with the seam's types (`ResponseHeader`, `WireEvent[]`), i.e. what the watch
 * stream hands to its listener. Runs a warm-up round, then `ROUNDS` rounds, and prints the
 * best and the median round as a markdown table. Rounds are timed in CPU time of this process
 * (`process.cpuUsage()`, user + system, garbage collection threads included), which other
 * work on a shared machine disturbs far less than wall time; responses/s and ns/event are
 * from the best round.
 *
 * @module
 */
import { create } from '@bufbuild/protobuf';
import { etcdMethods } from '../adapters/grpc/services.js';
import { decodeWatchResult, type Json } from '../adapters/http/codec.js';
import { WatchResponseSchema } from '../adapters/shared/gen/etcdserverpb/rpc_pb.js';
import { event, header } from '../adapters/shared/wire/responses.js';
import type { ResponseHeader, WireEvent } from '../src/transport/index.js';

const RESPONSES = 10_000;
const EVENTS = 10;
const ROUNDS = 9;

/** What one decode must produce (what the watch stream hands its listener). */
interface Decoded {
  header: ResponseHeader;
  events: WireEvent[];
}

const enc = new TextEncoder();

/** One watch response as plain data: header, 10 put events on ~24-byte keys with ~100-byte values. */
function sample(i: number): { revision: bigint; events: { key: Uint8Array; value: Uint8Array; rev: bigint; lease: bigint }[] } {
  const revision = 1_000_000n + BigInt(i * EVENTS);
  const events = Array.from({ length: EVENTS }, (_, e) => ({
    key: enc.encode(`/bench/topic/key-${String(i * EVENTS + e).padStart(6, '0')}`),
    value: enc.encode(`{"id":${i * EVENTS + e},"payload":"${'x'.repeat(80)}"}`),
    rev: revision + BigInt(e),
    lease: e % 2 === 0 ? 7587868290429401601n : 0n,
  }));
  return { revision, events };
}

const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');

/** The gateway's line for `sample(i)` (jsonpb, OrigName: int64 as strings, zero values omitted). */
function jsonLine(i: number): string {
  const s = sample(i);
  const result = {
    header: { cluster_id: '14841639068965178418', member_id: '10276657743932975437', revision: s.revision.toString(), raft_term: '2' },
    watch_id: '3',
    events: s.events.map((e) => ({
      kv: {
        key: b64(e.key),
        create_revision: e.rev.toString(),
        mod_revision: e.rev.toString(),
        version: '1',
        value: b64(e.value),
        ...(e.lease !== 0n ? { lease: e.lease.toString() } : {}),
      },
    })),
  };
  return JSON.stringify({ result });
}

// ---- the decoders under test (the adapters' own watch paths) ----------------------------------

const watchMethod = etcdMethods().watch;

/** The binary frame for `sample(i)`. */
function binaryFrame(i: number): Buffer {
  const s = sample(i);
  return watchMethod.responseSerialize(
    create(WatchResponseSchema, {
      header: { clusterId: 14841639068965178418n, memberId: 10276657743932975437n, revision: s.revision, raftTerm: 2n },
      watchId: 3n,
      events: s.events.map((e) => ({ kv: { key: e.key, createRevision: e.rev, modRevision: e.rev, version: 1n, value: e.value, lease: e.lease } })),
    }),
  );
}

function decodeGrpc(frame: Buffer): Decoded {
  const msg = watchMethod.responseDeserialize(frame);
  return { header: header(msg.header), events: msg.events.map(event) };
}

function decodeHttp(line: string): Decoded {
  const m = JSON.parse(line) as Json;
  const r = decodeWatchResult(m['result'] as Json);
  return { header: r.header, events: r.events };
}

// ---- the runner ---------------------------------------------------------------------------------

/** CPU milliseconds used by this process so far. */
function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/** Best and median CPU milliseconds of `ROUNDS` rounds decoding every input once. */
function measure<T>(inputs: readonly T[], decode: (input: T) => Decoded): { best: number; median: number } {
  const check = decode(inputs[0]!);
  if (check.events.length !== EVENTS || check.events[0]!.kv.modRevision !== 1_000_000n) throw new Error('decoder returned the wrong answer');
  const times: number[] = [];
  let sink = 0;
  for (let round = 0; round <= ROUNDS; round++) {
    const t0 = cpuMs();
    for (const input of inputs) sink += decode(input).events.length;
    if (round > 0) times.push(cpuMs() - t0); // round 0 warms up
  }
  if (sink !== (ROUNDS + 1) * inputs.length * EVENTS) throw new Error('lost events');
  times.sort((a, b) => a - b);
  return { best: times[0]!, median: times[Math.floor(times.length / 2)]! };
}

const frames = Array.from({ length: RESPONSES }, (_, i) => binaryFrame(i));
const lines = Array.from({ length: RESPONSES }, (_, i) => jsonLine(i));
const rows: [string, number, { best: number; median: number }][] = [
  ['grpc (binary WatchResponse)', frames.reduce((n, f) => n + f.length, 0), measure(frames, decodeGrpc)],
  ['http (gateway JSON line)', lines.reduce((n, l) => n + l.length, 0), measure(lines, decodeHttp)],
];

console.log(`Watch decode: ${RESPONSES.toLocaleString('en')} responses × ${EVENTS} events, ${ROUNDS} rounds, node ${process.version}\n`);
console.log('| transport | input bytes | best CPU ms / round | median CPU ms / round | responses/s | ns / event |');
console.log('|---|---:|---:|---:|---:|---:|');
for (const [name, bytes, { best, median }] of rows) {
  const perSec = Math.round((RESPONSES / best) * 1000);
  const nsPerEvent = Math.round((best * 1e6) / (RESPONSES * EVENTS));
  console.log(`| ${name} | ${bytes.toLocaleString('en')} | ${best.toFixed(1)} | ${median.toFixed(1)} | ${perSec.toLocaleString('en')} | ${nsPerEvent} |`);
}
