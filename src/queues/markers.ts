/**
 * The writes of the queues' consuming side, each safe under an ambiguous
 * outcome (the request may have been applied although its reply was lost):
 *
 * | write | guard | after an unknown outcome |
 * |---|---|---|
 * | {@link placeMarker}: claim the first free of a few items in queue order (marker on the session lease, value: a random token of this attempt; one txn, each item's guard in the failure branch of the previous one's) | item's mod revision unchanged, no marker | read the markers: our token → the claim is ours; otherwise it was not applied (or went with the lease): the items are visible, the error goes to the pump, which scans again |
 * | {@link finishTake}: delete item and marker together (a `dequeue()`) | our marker (create revision) and the item's mod revision | read both: our marker still there → re-send; marker and item gone → ours if both went at the same revision (a txn is one revision), read from history |
 * | {@link dropMarker}: delete our marker (release, give-back) | our marker (create revision) | re-send until it answers, the session ends (the marker goes with the lease) or the client closes: a repeat is harmless |
 *
 * So a lost reply never hides an item behind its claimant's own marker, never
 * loses a taken item, and never delivers one twice.
 * @module
 * @internal
 */
import { firstValueFrom, filter, timeout } from 'rxjs';
import { hex } from '../bytes.js';
import type { SessionImpl } from '../kit/store.js';
import { ClosedError, ConclaveError } from '../errors.js';
import type { Bytes, Compare, TxnRequest, TxnResponse, WireKeyValue } from '../transport/index.js';
import { Backoff, sleep } from '../backoff.js';
import { op, rangeOf, type Store } from '../kit/store.js';

/** A claim marker held on the session lease. */
export interface HeldClaim {
  /** Stored key of the marker. */
  marker: Bytes;
  /** Create revision of the marker (names this claim: a later claim of the item has another). */
  markerRevision: bigint;
  session: SessionImpl;
}

/** An item handed to a waiter. */
export interface TakenItem {
  /** User key of the item. */
  key: string;
  /** Stored key of the item. */
  stored: Bytes;
  value: Bytes;
  /** Mod revision of the item when it was taken (its enqueue revision). */
  revision: bigint;
  claim?: HeldClaim | undefined;
  /** Jobs mode: the item's key after the queue's prefix. */
  suffix?: string | undefined;
  /** Jobs mode: deliveries of this item so far, this one included (the counter's version after the claim). */
  deliveries?: number | undefined;
}

/** An item found by a scan. */
export interface Candidate {
  key: string;
  stored: Bytes;
  modRevision: bigint;
  marker: Bytes;
  /** The item's key after the queue's prefix. */
  suffix?: string | undefined;
  /** Jobs mode: the stored delivery counter bumped by the claim txn (see `job-keys.ts`). */
  counter?: Bytes | undefined;
}

/** How long the history read that settles a double fault may take. */
const HISTORY_MS = 5000;

/** Whether `error` may come from a write that was applied: anything but a closed client. */
function unknownOutcome(error: unknown): boolean {
  return !(error instanceof ClosedError);
}

function retryable(error: unknown): boolean {
  return error instanceof ConclaveError && error.retryable && !(error instanceof ClosedError);
}

/** Marker and item as they are now; undefined if they could not be read before the session ended. */
async function readBoth(store: Store, marker: Bytes, item: Bytes, session: SessionImpl): Promise<{ marker?: WireKeyValue; item?: WireKeyValue } | undefined> {
  const backoff = new Backoff(50, 1000);
  for (;;) {
    try {
      const res = await store.txn({ compare: [], success: [op.range({ key: marker }), op.range({ key: item })], failure: [] });
      return { marker: rangeOf(res, 0).kvs[0], item: rangeOf(res, 1).kvs[0] };
    } catch (error) {
      if (!retryable(error)) throw error;
      if (session.state !== 'alive') return undefined;
      await sleep(backoff.next(), session.signal).catch(() => undefined);
    }
  }
}

function sameBytes(a: Bytes, b: Bytes): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function guards(candidate: Candidate): Compare[] {
  return [
    { target: 'mod', result: 'equal', key: candidate.stored, value: candidate.modRevision },
    { target: 'create', result: 'equal', key: candidate.marker, value: 0n },
  ];
}

/** What a claim txn did: the item it claimed (if any) and the candidates it found taken. */
export interface Placed {
  item: TakenItem | undefined;
  /** Candidates before the claimed one (all of them when none was claimed): someone else holds or took them. */
  taken: Candidate[];
}

/**
 * The claim txn of a chain of candidates (in queue order): each level claims
 * its candidate if nobody took or claimed it since the scan, else runs the
 * next level in its failure branch — one round trip claims the first free
 * candidate, so consumers racing for the head of the queue do not fail their
 * txns on each other's items.
 */
function chainRequest(candidates: readonly Candidate[], token: Bytes, lease: bigint): TxnRequest {
  let request: TxnRequest | undefined;
  for (let i = candidates.length - 1; i >= 0; i--) {
    const candidate = candidates[i]!;
    const { counter } = candidate;
    request = {
      compare: guards(candidate),
      success: [
        op.range({ key: candidate.stored }),
        op.put({ key: candidate.marker, value: token, lease }),
        // Jobs mode: count the delivery in the same txn as the claim, so every delivery counts whatever ends it.
        ...(counter ? [op.range({ key: counter, keysOnly: true }), op.put({ key: counter, value: new Uint8Array(0) })] : []),
      ],
      failure: request ? [{ txn: request }] : [],
    };
  }
  return request!;
}

/**
 * Claims the first of `candidates` (in queue order) that nobody took or
 * claimed since the scan, with a marker on `session`'s lease, in one txn (see
 * {@link chainRequest}). Resolves with the claimed item (undefined when every
 * candidate was taken) and the candidates found taken. After an unknown
 * outcome the markers are read back: our token names the claim; none means
 * it was not applied (or went with the lease) and the original error is
 * thrown (the items are visible: the caller scans again).
 */
export async function placeMarker(store: Store, candidates: readonly Candidate[], session: SessionImpl): Promise<Placed> {
  const token = new TextEncoder().encode(hex(globalThis.crypto.getRandomValues(new Uint8Array(16))));
  const held = (candidate: Candidate, value: Bytes, markerRevision: bigint, deliveries?: number): TakenItem => ({
    key: candidate.key,
    stored: candidate.stored,
    value,
    revision: candidate.modRevision,
    claim: { marker: candidate.marker, markerRevision, session },
    suffix: candidate.suffix,
    deliveries,
  });
  let res: TxnResponse;
  try {
    res = await store.txn(chainRequest(candidates, token, session.lease));
  } catch (error) {
    if (!unknownOutcome(error)) throw error;
    return settleChain(store, candidates, token, session, held, error);
  }
  const revision = res.header.revision;
  for (let level = 0; level < candidates.length; level++) {
    const candidate = candidates[level]!;
    if (res.succeeded) {
      const kv = rangeOf(res, 0).kvs[0];
      const deliveries = candidate.counter ? Number(rangeOf(res, 2).kvs[0]?.version ?? 0n) + 1 : undefined;
      return { item: kv && held(candidate, kv.value, revision, deliveries), taken: candidates.slice(0, level) };
    }
    const next = res.responses[0];
    if (!next || !('txn' in next)) break;
    res = next.txn;
  }
  return { item: undefined, taken: [...candidates] };
}

/** After an unknown outcome of a claim txn: finds our marker among the candidates' (see {@link placeMarker}). */
async function settleChain(
  store: Store,
  candidates: readonly Candidate[],
  token: Bytes,
  session: SessionImpl,
  held: (candidate: Candidate, value: Bytes, markerRevision: bigint, deliveries?: number) => TakenItem,
  error: unknown,
): Promise<Placed> {
  for (const candidate of candidates) {
    const now = await readBoth(store, candidate.marker, candidate.stored, session);
    const marker = now?.marker;
    if (!marker || !sameBytes(marker.value, token)) continue;
    // Ours: the counter was bumped by the same txn, and nobody bumps it while the marker is ours.
    const { counter } = candidate;
    const deliveries = counter ? Number((await store.range({ key: counter, keysOnly: true })).kvs[0]?.version ?? 1n) : undefined;
    const claimed = held(candidate, now.item?.value ?? new Uint8Array(0), marker.createRevision, deliveries);
    if (now.item?.modRevision === candidate.modRevision) return { item: claimed, taken: [] };
    // Ours, but the item went meanwhile (a consumer that ignores markers, e.g. Go's recipe): let it go.
    await dropMarker(store, claimed.claim!);
    return { item: undefined, taken: [] };
  }
  throw error;
}

/**
 * Deletes a claimed item and its marker together (claim → take). `'taken'`:
 * the item is ours to deliver; `'gone'`: it was not deleted by us (the claim
 * was lost with its session, or a consumer that ignores markers took it) and
 * must not be delivered. After an unknown outcome the state is read back
 * until it is known.
 */
export async function finishTake(store: Store, item: TakenItem): Promise<'taken' | 'gone'> {
  const claim = item.claim!;
  const request: TxnRequest = {
    compare: [
      { target: 'create', result: 'equal', key: claim.marker, value: claim.markerRevision },
      { target: 'mod', result: 'equal', key: item.stored, value: item.revision },
    ],
    success: [op.del({ key: item.stored }), op.del({ key: claim.marker })],
    failure: [],
  };
  for (;;) {
    try {
      const res = await store.txn(request);
      if (res.succeeded) return 'taken';
      await dropMarker(store, claim);
      return 'gone';
    } catch (error) {
      if (!unknownOutcome(error)) throw error;
      const now = await readBoth(store, claim.marker, item.stored, claim.session);
      const ours = now?.marker?.createRevision === claim.markerRevision;
      const itemThere = now?.item?.modRevision === item.revision;
      if (ours && itemThere) continue; // not applied: send it again
      if (ours) {
        await dropMarker(store, claim);
        return 'gone';
      }
      if (itemThere) return 'gone'; // the claim went with its session; the item is back in the queue
      return (await deletedTogether(store, item, claim)) ? 'taken' : 'gone';
    }
  }
}

/**
 * Whether the marker and the item were deleted by one txn (ours): the
 * marker's delete revision, from its history, is the revision at which the
 * item went too. Without the history (compacted), the session decides: while
 * it lives nobody else deletes its marker.
 */
async function deletedTogether(store: Store, item: TakenItem, claim: HeldClaim): Promise<boolean> {
  try {
    const gone = await firstValueFrom(
      store.watch(store.userKey(claim.marker), { fromRevision: claim.markerRevision + 1n }).pipe(
        filter((e) => e.type === 'delete'),
        timeout(HISTORY_MS),
      ),
    );
    const deletedAt = gone.revision;
    const [before, after] = await Promise.all([
      store.range({ key: item.stored, revision: deletedAt - 1n }),
      store.range({ key: item.stored, revision: deletedAt }),
    ]);
    return before.kvs[0]?.modRevision === item.revision && after.kvs.length === 0;
  } catch {
    return claim.session.state === 'alive';
  }
}

/**
 * Deletes our marker if it is still ours, making the item visible again at
 * its place. Re-sent after any retryable failure until it answers, the
 * session ends (the marker goes with its lease) or the client closes, so a
 * lost reply never leaves the item hidden. Resolves with the revision of the
 * delete when this call applied it (so the client's view can show the item
 * at once), else undefined.
 */
export async function dropMarker(store: Store, claim: HeldClaim): Promise<bigint | undefined> {
  const backoff = new Backoff(50, 1000);
  for (;;) {
    if (claim.session.state !== 'alive') return undefined;
    try {
      const res = await store.txn({
        compare: [{ target: 'create', result: 'equal', key: claim.marker, value: claim.markerRevision }],
        success: [op.del({ key: claim.marker })],
        failure: [],
      });
      return res.succeeded ? res.header.revision : undefined;
    } catch (error) {
      if (error instanceof ClosedError) return undefined; // the close revokes the lease, and the marker with it
      if (!retryable(error)) throw error;
      await sleep(backoff.next(), claim.session.signal).catch(() => undefined);
    }
  }
}
