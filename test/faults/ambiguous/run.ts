/**
 * Runs one case of the ambiguous-outcome table under one fault: builds the client under fault
 * (`recordingTransport` under `lostReplyTransport`, optionally through a relay), prepares, runs
 * the operation with its Nth write's reply lost (or delayed past the call deadline), lets the
 * case verify its invariants with fault-free participants, closes the client and checks that
 * nothing was left behind.
 */
import { createGrpcTransport } from '../../../adapters/grpc/index.js';
import { ConclaveError, connect, type Conclave } from '../../../src/index.js';
import type { Transport } from '../../../src/transport/index.js';
import { lostReplyTransport, type LossyMethod } from '../../harness/lost-reply.js';
import { startRelay, type Relay } from '../../harness/relay.js';
import { uniquePrefix } from '../../harness/prefix.js';
import { checkLeftovers, type LeaseState } from '../checkers/leftovers.js';
import { recordingTransport, type SeenWrite } from './recorder.js';
import { describeError, RunLog, settle, within, type Outcome, type World } from './steps.js';

/** One write step of one primitive: a row of the table. */
export interface AmbiguousCase<S = unknown> {
  /** `primitive.operation`, e.g. `mutex.acquire`. */
  name: string;
  /** Brings the primitive into the state the operation starts from (no fault, not counted). */
  prepare(w: World): Promise<S>;
  /** The operation under fault. */
  op(w: World, state: S): Promise<unknown>;
  /** After the operation settled (fault off): exercise the invariants with the other participants; record violations on `w.log`. */
  verify(w: World, state: S, outcome: Outcome): Promise<void>;
  /** Keys (relative to the run's prefix) the primitive keeps by design after every client closed. */
  keeps?: (key: string) => boolean;
}

/** The fault of one run. */
export type Fault =
  | { kind: 'none' }
  /** `lostReplyTransport`: the Nth write is applied, its reply replaced by a `ConnectionError`. */
  | { kind: 'lost-reply'; write: number }
  /** The relay forwards the Nth write, loses etcd's answer and resets the connection. */
  | { kind: 'relay-lose'; write: number }
  /** The relay holds etcd's answers from the Nth write on past the call deadline. */
  | { kind: 'relay-delay'; write: number };

/** What one run found. */
export interface RunResult {
  fault: Fault;
  writes: readonly SeenWrite[];
  outcome: string;
  violations: RunLog['violations'];
  notes: string[];
}

/** The fault-free clients shared by every run of a file. */
export interface Participants {
  endpoints: string[];
  peer: Conclave;
  third: Conclave;
  observer: Conclave;
  /** A raw transport to read leases. */
  raw: Transport;
}

const WRITE_METHODS: LossyMethod[] = ['put', 'deleteRange', 'txn', 'leaseGrant', 'leaseRevoke'];
/** Session TTL of the client under fault. */
export const SUBJECT_TTL_SECONDS = 5;
const CALL_TIMEOUT_MS = 1_500;
const DELAY_MS = 2_500;
const OP_MS = 15_000;

function isWriteTxn(request: unknown): boolean {
  const r = request as { success?: object[]; failure?: object[] };
  const has = (ops: object[] = []): boolean => ops.some((o) => 'put' in o || 'deleteRange' in o || ('txn' in o && isWriteTxn((o as { txn: unknown }).txn)));
  return has(r.success) || has(r.failure);
}

export function faultLabel(fault: Fault): string {
  return fault.kind === 'none' ? 'clean' : `${fault.kind} #${fault.write}`;
}

/** Runs `c` once under `fault`. */
export async function runCase<S>(c: AmbiguousCase<S>, fault: Fault, parts: Participants): Promise<RunResult> {
  const prefix = uniquePrefix(c.name);
  const log = new RunLog(`${c.name} [${faultLabel(fault)}]`);
  const viaRelay = fault.kind === 'relay-lose' || fault.kind === 'relay-delay';
  let relay: Relay | undefined;
  let relayLoss: Promise<void> | undefined;
  let delayTimer: ReturnType<typeof setTimeout> | undefined;
  let subjectRoot: Conclave | undefined;
  const recorder = recordingTransport(
    createGrpcTransport({ endpoints: viaRelay ? [(relay = await startRelay(parts.endpoints[0]!)).address] : parts.endpoints, callTimeoutMs: fault.kind === 'relay-delay' ? CALL_TIMEOUT_MS : 10_000 }),
  );
  const lossy = lostReplyTransport(recorder);
  let outcome: Outcome;
  try {
    subjectRoot = await connect({ transport: lossy, sessionTtlSeconds: SUBJECT_TTL_SECONDS });
    const w: World = {
      subject: subjectRoot.namespace(prefix),
      peer: parts.peer.namespace(prefix),
      third: parts.third.namespace(prefix),
      observer: parts.observer.namespace(prefix),
      prefix,
      log,
      faulted: fault.kind !== 'none',
    };
    const prepared = await settle(c.prepare(w), OP_MS, 'prepare');
    if (!prepared.ok) {
      log.that(false, 'prepare-failed', describeError(prepared.error));
      return { fault, writes: [], outcome: 'not run', violations: log.violations, notes: log.notes };
    }
    const state = prepared.value;

    recorder.resetCount();
    if (fault.kind === 'lost-reply') {
      let n = 0;
      for (const method of WRITE_METHODS) {
        lossy.arm({ method, when: (req) => recorder.counting && (method !== 'txn' || isWriteTxn(req)) && ++n === fault.write });
      }
    } else if (fault.kind === 'relay-lose') {
      recorder.onWrite = (i) => {
        if (i === fault.write) relayLoss = relay!.loseReplies();
      };
    } else if (fault.kind === 'relay-delay') {
      recorder.onWrite = (i) => {
        if (i !== fault.write) return;
        relay!.delayReplies(DELAY_MS);
        // Only this call (and what overlaps it) is late: answers after the deadline flow again, behind the held ones.
        delayTimer = setTimeout(() => relay!.restore(), CALL_TIMEOUT_MS + 200);
      };
    }
    recorder.counting = true;
    outcome = await settle(c.op(w, state), OP_MS, 'the operation');
    recorder.counting = false;
    recorder.onWrite = undefined;
    lossy.disarm();
    await relayLoss;
    if (fault.kind === 'relay-delay') {
      // The verification runs on a normal network again: wait out the delayed answers (the fault's length).
      await new Promise((resolve) => setTimeout(resolve, CALL_TIMEOUT_MS + 300));
      relay!.restore();
      await relay!.drained();
    }

    const injected = fault.kind === 'none' ? true : fault.kind === 'lost-reply' ? lossy.fired === 1 : recorder.writes.length >= fault.write;
    log.that(injected, 'not-injected', `the fault never fired (${recorder.writes.length} writes)`);
    if (!outcome.ok) {
      log.that(outcome.error instanceof ConclaveError, 'untyped-error', `the operation failed with ${describeError(outcome.error)}`);
      log.that(!(outcome.error instanceof Error && outcome.error.name === 'HangError'), 'hang', describeError(outcome.error));
      log.note(`op failed: ${describeError(outcome.error)}`);
    }
    if (fault.kind === 'none') log.that(outcome.ok, 'clean-run-failed', `without a fault the operation failed: ${outcome.ok ? '' : describeError(outcome.error)}`);

    const verified = await settle(c.verify(w, state, outcome), 60_000, 'verify');
    if (!verified.ok) log.that(false, 'verify-failed', describeError(verified.error));

    const closed = await settle(subjectRoot.close(), 10_000, 'close of the client under fault');
    log.that(closed.ok, 'hang', `client close: ${closed.ok ? '' : describeError(closed.error)}`);
    await checkNothingLeft(c, fault, prefix, recorder, parts, log);
    return { fault, writes: [...recorder.writes], outcome: outcome.ok ? 'ok' : describeError(outcome.error), violations: log.violations, notes: log.notes };
  } finally {
    clearTimeout(delayTimer);
    await subjectRoot?.close().catch(() => undefined);
    await relay?.close();
  }
}

async function checkNothingLeft(
  c: AmbiguousCase<unknown>,
  fault: Fault,
  prefix: string,
  recorder: ReturnType<typeof recordingTransport>,
  parts: Participants,
  log: RunLog,
): Promise<void> {
  const lostGrant = fault.kind === 'none' ? undefined : recorder.leaseOfWrite.get(fault.write);
  await checkLeftBehind(prefix, recorder.leases, lostGrant, c.keeps, parts, log);
}

/**
 * Records on `log` every key under `prefix` not allowed (`~*`, `res/*`, and what `keeps` allows)
 * and every lease of `leases` still alive (`lostGrant`: the lease whose grant reply was lost).
 */
export async function checkLeftBehind(
  prefix: string,
  leases: ReadonlySet<bigint>,
  lostGrant: bigint | undefined,
  keeps: ((key: string) => boolean) | undefined,
  parts: Pick<Participants, 'observer' | 'raw'>,
  log: RunLog,
): Promise<void> {
  const keys = (await within(parts.observer.getPrefix(prefix), 10_000, 'read the prefix')).map((kv) => kv.key.slice(prefix.length));
  const states: LeaseState[] = [];
  for (const id of leases) {
    const ttl = await within(parts.raw.leaseTimeToLive(id, { keys: true }), 10_000, 'lease time-to-live');
    states.push({ id, ttl: ttl.ttl, keys: (ttl.keys ?? []).map((k) => new TextDecoder().decode(k)), grantReplyLost: id === lostGrant });
    if (id === lostGrant && ttl.ttl >= 0n) log.note(`lease ${id.toString(16)} of the lost grant reply expires by its TTL`);
  }
  const allowed = (key: string): boolean => key.startsWith('~') || key.startsWith('res/') || (keeps?.(key) ?? false);
  for (const v of checkLeftovers(keys, allowed, states)) log.that(false, v.kind, v.detail);
}
